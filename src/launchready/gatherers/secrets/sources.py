"""Where text to scan comes from: the working tree, the whole git history, staged changes.

Only reading happens here; ``scan.py`` turns the hits into facts. git runs with options that
pin its output format whatever the user's configuration (prefixes, quoting, colour, external
diff drivers), because the patch parser depends on it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from launchready.gatherers.secrets.matcher import Hit, Matcher, is_fixture
from launchready.gatherers.secrets.patch import LOG_FORMAT, PatchHit, PatchScanner, ScanTimeout

# Third-party code copied into the repository: its secrets (if any) are not the team's.
VENDORED = frozenset(
    {
        ".git",
        "node_modules",
        "bower_components",
        "vendor",
        "third_party",
        "third-party",
        ".venv",
        "venv",
        "site-packages",
        "__pycache__",
        "Pods",
        ".yarn",
        ".tox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    }
)
BINARY_SUFFIXES = frozenset(
    [
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".webp",
        ".ico",
        ".bmp",
        ".tiff",
        ".psd",
        ".pdf",
        ".zip",
        ".gz",
        ".tgz",
        ".bz2",
        ".xz",
        ".7z",
        ".rar",
        ".jar",
        ".war",
        ".whl",
        ".egg",
        ".so",
        ".dll",
        ".dylib",
        ".exe",
        ".bin",
        ".o",
        ".a",
        ".pyc",
        ".pyo",
        ".class",
        ".woff",
        ".woff2",
        ".ttf",
        ".otf",
        ".eot",
        ".mp3",
        ".mp4",
        ".mov",
        ".avi",
        ".webm",
        ".wav",
        ".ogg",
        ".flac",
        ".sqlite",
        ".sqlite3",
        ".db",
        ".parquet",
        ".pkl",
        ".npy",
        ".npz",
        ".h5",
        ".onnx",
        ".pt",
        ".iso",
        ".dmg",
    ]
)
MAX_FILE = 16 << 20  # larger files are data dumps or artefacts; reported as skipped
# How much of a history blob is read to find the fixture marker in its first lines: a blob
# may be hundreds of MB, and twenty lines of source fit many times over.
FIXTURE_HEAD = 64 << 10
_SNIFF = 8192
_GIT_CONFIG = (
    "-c",
    "core.quotepath=false",
    "-c",
    "diff.noprefix=false",
    "-c",
    "diff.mnemonicprefix=false",
    "-c",
    "log.showSignature=false",
    "-c",
    "color.ui=false",
)
_DIFF_OPTIONS = (
    "-U0",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-renames",
    "--full-index",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--relative",
)


class GitError(RuntimeError):
    pass


@dataclass
class TreeScan:
    # (path, hit); the path as listed, for opening and matching ``untracked`` (show it
    # through ``display_path``)
    hits: list[tuple[str, Hit]] = field(default_factory=list)
    untracked: set[str] = field(default_factory=set)
    files: int = 0
    bytes: int = 0
    skipped: int = 0  # binary, too large or unreadable
    too_large: list[str] = field(default_factory=list)  # over MAX_FILE: could hold a secret


@dataclass
class PatchScan:
    hits: list[PatchHit] = field(default_factory=list)
    bytes: int = 0
    commits: int = 0
    sections: int = 0


def _env() -> dict[str, str]:
    return {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C"}


def git(root: str, *args: str) -> bytes:
    proc = subprocess.run(
        ["git", "-C", root, *_GIT_CONFIG, *args], capture_output=True, env=_env(), check=False
    )
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(lines[-1] if lines else f"git {args[0]} failed")
    return proc.stdout


def is_work_tree(root: str) -> bool:
    try:
        return git(root, "rev-parse", "--is-inside-work-tree").strip() == b"true"
    except (GitError, FileNotFoundError):
        return False


def has_commits(root: str) -> bool:
    try:
        return bool(git(root, "rev-list", "-n", "1", "--all").strip())
    except GitError:
        return False


def display_path(path: str) -> str:
    """A listed path as reports show it. File names are bytes; those that are not UTF-8 are
    listed with surrogate escapes, which open the file but cannot be written out (JSON,
    SARIF, a report file), so each such byte is shown as ``\\xff`` instead."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _vendored(path: str) -> bool:
    return any(part in VENDORED for part in path.split("/")[:-1])


def list_files(root: str, is_git: bool | None = None) -> tuple[list[str], set[str]]:
    """(files to scan, those among them untracked): git's view in a work tree (ignored files
    out), else a walk of the folder. ``is_git`` is whether ``root`` is a work tree, when the
    caller knows (None: find out)."""
    if is_git is None:
        is_git = is_work_tree(root)
    if is_git:
        tracked = [
            p for p in git(root, "ls-files", "-z").decode(errors="surrogateescape").split("\0") if p
        ]
        others = git(root, "ls-files", "-z", "--others", "--exclude-standard")
        untracked = {p for p in others.decode(errors="surrogateescape").split("\0") if p}
        files = sorted(set(tracked) | untracked)
    else:
        files, untracked = [], set()
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in VENDORED]
            rel = os.path.relpath(folder, root)
            files.extend(n if rel == "." else f"{rel}/{n}".replace(os.sep, "/") for n in names)
        files.sort()
    return [p for p in files if not _vendored(p)], untracked


def _read(full: Path) -> bytes | None:
    """A text file's bytes; None for binaries, symlinks, huge or unreadable files."""
    if full.suffix.lower() in BINARY_SUFFIXES:
        return None
    try:
        if full.is_symlink() or not full.is_file() or full.stat().st_size > MAX_FILE:
            return None
        data = full.read_bytes()
    except OSError:
        return None
    return None if b"\0" in data[:_SNIFF] else data


def _over_limit(full: Path) -> bool:
    """A file ``_read`` refused for its size alone (binaries are skipped by design)."""
    try:
        return (
            full.suffix.lower() not in BINARY_SUFFIXES
            and not full.is_symlink()
            and full.is_file()
            and full.stat().st_size > MAX_FILE
        )
    except OSError:
        return False


def scan_tree(
    root: str, matcher: Matcher, deadline: float | None = None, is_git: bool | None = None
) -> TreeScan:
    files, untracked = list_files(root, is_git)
    result = TreeScan(untracked=untracked)
    for i, path in enumerate(files):
        if deadline is not None and i % 256 == 0 and time.monotonic() > deadline:
            raise ScanTimeout
        full = Path(root, path)
        data = _read(full)
        if data is None:
            result.skipped += 1
            if _over_limit(full):
                result.too_large.append(path)
            continue
        result.files += 1
        result.bytes += len(data)
        result.hits.extend((path, h) for h in matcher.scan_text(path, data))
    return result


def _stream(root: str, args: Iterable[str], matcher: Matcher, deadline: float | None) -> PatchScan:
    scanner = PatchScanner(matcher)
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            ["git", "-C", root, *_GIT_CONFIG, *args],
            stdout=subprocess.PIPE,
            stderr=err,
            env=_env(),
        )
        assert proc.stdout is not None
        try:
            hits = list(scanner.scan(proc.stdout, deadline))
        except BaseException:
            proc.kill()
            raise
        finally:
            proc.stdout.close()
            code = proc.wait()
        if code != 0:
            err.seek(0)
            lines = err.read().decode(errors="replace").strip().splitlines()
            raise GitError(lines[-1] if lines else f"git exited with {code}")
    hits = _drop_fixtures(root, hits)
    return PatchScan(hits, scanner.bytes_read, scanner.commits, scanner.sections)


def history_command() -> list[str]:
    """Every commit reachable from any ref, oldest first (so a secret is attributed to the
    commit that introduced it); merges diffed against their first parent."""
    return [
        "log",
        "-p",
        *_DIFF_OPTIONS,
        "--all",
        "--reverse",
        "--topo-order",
        "--diff-merges=first-parent",
        f"--format={LOG_FORMAT}",
    ]


def scan_history(root: str, matcher: Matcher, deadline: float | None = None) -> PatchScan:
    return _stream(root, history_command(), matcher, deadline)


def scan_staged(root: str, matcher: Matcher) -> PatchScan:
    return _stream(root, ["diff", "--cached", *_DIFF_OPTIONS], matcher, None)


def _drop_fixtures(root: str, hits: list[PatchHit]) -> list[PatchHit]:
    """Hits in blobs marked as test fixtures (the marker in their first lines) are dropped:
    the same rule as for files in the working tree, applied to the version that was added."""
    blobs = sorted({h.blob for h in hits if h.blob})
    if not blobs:
        return hits
    fixtures = set(_fixture_blobs(root, blobs))
    return [h for h in hits if h.blob not in fixtures]


def _fixture_blobs(root: str, blobs: list[str]) -> Iterator[str]:
    proc = subprocess.Popen(
        ["git", "-C", root, "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=_env(),
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for blob in blobs:
            proc.stdin.write(blob.encode() + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().split()
            if len(header) < 3 or header[1] != b"blob":
                continue
            left = int(header[2]) + 1  # the object and the newline after it
            head = proc.stdout.read(min(left, FIXTURE_HEAD))
            left -= len(head)
            while left > 0:  # the rest only has to be consumed; memory stays one chunk
                chunk = proc.stdout.read(min(left, FIXTURE_HEAD))
                if not chunk:
                    break
                left -= len(chunk)
            if is_fixture(head):
                yield blob
    finally:
        proc.stdin.close()
        proc.stdout.close()
        proc.wait()
