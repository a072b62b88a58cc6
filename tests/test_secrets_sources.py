"""Where secrets are looked for: the working tree, the whole history, staged changes.

Real git repositories in tmp_path; secrets generated at run time.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from random import Random
from typing import IO, Any

import pytest
from gitutil import GIT_ENV, git

from launchready.checks.secrets import leaked_in_history, leaked_in_tree
from launchready.gatherers.secrets import scan as scan_module
from launchready.gatherers.secrets import sources
from launchready.gatherers.secrets.matcher import FIXTURE_MARK, Matcher, fingerprint
from launchready.gatherers.secrets.patch import PatchScanner, unquote_path
from launchready.gatherers.secrets.samples import SAMPLES, Sample
from launchready.gatherers.secrets.scan import HISTORY, TREE, ScanOptions, collect
from launchready.gatherers.secrets.sources import (
    _GIT_CONFIG,
    history_command,
    list_files,
    scan_history,
    scan_staged,
)

R = Random(11)


def commit(root: Path, files: dict[str, str], message: str = "change") -> str:
    for path, text in files.items():
        full = root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return git(root, "rev-parse", "HEAD").strip()


def secret(rule_id: str) -> Sample:
    return SAMPLES[rule_id](R)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    return tmp_path


def test_tree_lists_tracked_and_untracked_but_not_ignored_binary_or_vendored(repo: Path) -> None:
    key = secret("stripe-secret-key").text
    line = f'KEY = "{key}"\n'
    commit(repo, {".gitignore": "ignored.env\n", "app.py": line, "node_modules/x/a.js": line})
    (repo / "ignored.env").write_text(line)
    (repo / "new.py").write_text("x = 1\n" + line)
    (repo / "logo.png").write_bytes(b"\x89PNG\0" + line.encode())
    (repo / "blob.dat").write_bytes(b"\0\1" + line.encode())
    files, untracked = list_files(str(repo))
    assert "ignored.env" not in files and "node_modules/x/a.js" not in files
    assert untracked == {"new.py", "logo.png", "blob.dat"}
    tree, _ = collect(str(repo), ScanOptions(history=False))
    assert tree.value is not None
    found = {(h.path, h.line, h.source) for h in tree.value.hits}
    assert found == {("app.py", 1, "tree"), ("new.py", 2, "untracked")}


def test_plain_folder_is_walked(tmp_path: Path) -> None:
    (tmp_path / "vendor").mkdir()
    token = secret("github-token").text
    (tmp_path / "vendor" / "lib.py").write_text(token)
    (tmp_path / "deploy.sh").write_text(f"export GH={token}\n")
    tree, history = collect(str(tmp_path), ScanOptions())
    assert tree.value is not None
    assert [h.path for h in tree.value.hits] == ["deploy.sh"]
    assert history.status == "skipped" and "not a git repository" in history.reason


def test_history_attributes_added_lines_to_the_commit_that_added_them(repo: Path) -> None:
    stripe, mail = secret("stripe-secret-key"), secret("sendgrid-api-key")
    first = commit(repo, {"settings.py": f"DEBUG = False\nSTRIPE = '{stripe.text}'\n"})
    commit(repo, {"settings.py": "DEBUG = False\n", "other.py": "x = 1\n"}, "remove key")
    third = commit(repo, {"mail.py": "a = 1\nb = 2\n\n" + f"SG = '{mail.text}'\n"})
    tree, history = collect(str(repo), ScanOptions())
    assert history.value is not None and tree.value is not None
    by_fp = {h.fingerprint: h for h in history.value.hits}
    gone = by_fp[fingerprint("stripe-secret-key", stripe.secret)]
    assert (gone.path, gone.line, gone.commit, gone.in_head) == ("settings.py", 2, first, False)
    kept = by_fp[fingerprint("sendgrid-api-key", mail.secret)]
    assert (kept.path, kept.line, kept.commit, kept.in_head) == ("mail.py", 4, third, True)
    (in_tree,) = tree.value.hits
    assert in_tree.introduced == third  # the tree finding says when it was committed
    assert history.value.commits == 3


def test_removed_lines_and_deleted_files_are_not_hits(repo: Path) -> None:
    key = secret("github-token").text
    commit(repo, {"a.py": f"T = '{key}'\n"})
    commit(repo, {"a.py": "T = None\n"})
    git(repo, "rm", "-q", "a.py")
    git(repo, "commit", "-qm", "delete")
    scan = scan_history(str(repo), Matcher())
    assert len(scan.hits) == 1  # only the line's addition, not its removals


def test_each_blob_is_reported_once_across_branches(repo: Path) -> None:
    key = secret("npm-token").text
    commit(repo, {"README.md": "hi\n"})
    git(repo, "checkout", "-qb", "feature")
    commit(repo, {".npmrc": f"//registry.npmjs.org/:_authToken={key}\n"})
    git(repo, "checkout", "-q", "main")
    git(repo, "checkout", "-qb", "rebased")
    commit(repo, {".npmrc": f"//registry.npmjs.org/:_authToken={key}\n"}, "same change again")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "feature", "-m", "merge")
    scan = scan_history(str(repo), Matcher())
    assert len(scan.hits) == 1


def test_fixture_blobs_are_skipped_in_history_too(repo: Path) -> None:
    key = secret("github-token").text
    marker = FIXTURE_MARK.decode()
    commit(repo, {"tests/fake.py": f"# {marker}\nTOKEN = '{key}'\n"})
    commit(repo, {"tests/fake.py": f"# {marker}\nTOKEN = '{key}'\nMORE = '{key}x'\n"})
    assert scan_history(str(repo), Matcher()).hits == []


def test_unusual_paths(repo: Path) -> None:
    key = secret("github-token").text
    commit(repo, {"dir with space/naïve\tname.py": f"T = '{key}'\n"})
    (hit,) = scan_history(str(repo), Matcher()).hits
    assert hit.path == "dir with space/naïve\tname.py"
    assert unquote_path('"a\\303\\257b"') == "aïb"


def test_history_blobs_are_read_in_bounded_pieces(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fixture markers sit in a blob's first lines: a blob of any size is looked at through
    its first 64 KiB and the rest is drained in pieces, never read whole into memory."""
    marker = FIXTURE_MARK.decode()
    padding = "x = 1\n" * 200_000  # 1.2 MB per blob
    kept = secret("github-token").text
    commit(
        repo,
        {
            "tests/big_fixture.py": f"# {marker}\nT = '{secret('slack-token').text}'\n{padding}",
            "app/big.py": f"T = '{kept}'\n{padding}",
            "tests/small_fixture.py": f"# {marker}\nT = '{secret('npm-token').text}'\n",
        },
    )
    reads: list[int] = []
    real_popen = sources.subprocess.Popen

    class Recorded:
        def __init__(self, raw: IO[bytes]) -> None:
            self.raw = raw

        def read(self, size: int = -1) -> bytes:
            reads.append(size)
            return self.raw.read(size)

        def readline(self) -> bytes:
            return self.raw.readline()

        def close(self) -> None:
            self.raw.close()

    def popen(args: list[str], **kw: Any) -> Any:
        proc = real_popen(args, **kw)
        if "cat-file" in args:
            proc.stdout = Recorded(proc.stdout)
        return proc

    monkeypatch.setattr(sources.subprocess, "Popen", popen)
    hits = scan_history(str(repo), Matcher()).hits
    assert [(h.path, h.fingerprint) for h in hits] == [
        ("app/big.py", fingerprint("github-token", kept))
    ]
    assert reads and max(reads) <= sources.FIXTURE_HEAD


def test_files_too_large_to_scan_are_named_in_the_evidence(repo: Path) -> None:
    for name in ("dump.sql", "logo.png"):  # a binary is skipped by design, not for its size
        with open(repo / name, "wb") as f:
            f.truncate(sources.MAX_FILE + 1)  # sparse: large on paper, quick to make
    tree, _ = collect(str(repo), ScanOptions(history=False))
    assert tree.value is not None and tree.value.too_large == ("dump.sql",)
    (verdict,) = leaked_in_tree.evaluate(tree.value)
    assert "1 file(s) over 16 MB not scanned (dump.sql)" in verdict.evidence


def test_history_hits_are_not_called_removed_when_the_tree_was_not_scanned(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = secret("github-token").text
    commit(repo, {"a.py": f"T = '{key}'\n"})

    def broken(*_args: object, **_kw: object) -> object:
        raise sources.GitError("fatal: index file corrupt")

    monkeypatch.setattr(scan_module, "scan_tree", broken)
    tree, history = collect(str(repo), ScanOptions())
    assert tree.status == "error" and history.value is not None
    (hit,) = history.value.hits
    assert hit.in_head is None
    (verdict,) = leaked_in_history.evaluate(history.value)
    assert "since removed" not in verdict.evidence and "unknown" in verdict.evidence


def test_staged_changes_only(repo: Path) -> None:
    old, new = secret("slack-token").text, secret("twilio-api-key").text
    commit(repo, {"a.py": f"OLD = '{old}'\n"})
    (repo / "a.py").write_text(f"OLD = '{old}'\nNEW = '{new}'\n")
    (repo / "b.py").write_text(f"UNSTAGED = '{new}'\n")
    git(repo, "add", "a.py")
    hits = scan_staged(str(repo), Matcher()).hits
    assert [(h.path, h.line, h.rule_id) for h in hits] == [("a.py", 2, "twilio-api-key")]
    tree, history = collect(str(repo), ScanOptions(staged=True))
    assert tree.value is not None and tree.value.source == "staged"
    assert history.status == "skipped"


def _patch(repo: Path) -> bytes:
    cmd = ["git", "-C", str(repo), *_GIT_CONFIG, *history_command()]
    return subprocess.run(cmd, check=True, capture_output=True, env=GIT_ENV).stdout


@pytest.mark.parametrize("backend", ["hyperscan", "python"])
def test_small_buffers_give_the_same_hits(repo: Path, backend: str) -> None:
    """Cuts at commit and file boundaries, and a file diff larger than the whole buffer
    (cut at a line, its position carried), find exactly what one big buffer finds."""
    filler = "".join(f"row_{i} = {i}\n" for i in range(700))
    keys = [secret(rule) for rule in ("private-key", "github-token", "database-url")]
    body = filler + "\n".join(k.text for k in keys) + "\n" + filler
    commit(repo, {"big.py": body, "small.py": "x = 1\n"})
    commit(repo, {"small.py": f"x = 2\nT = '{secret('npm-token').text}'\n"})
    patch = _patch(repo)
    matcher = Matcher(backend=backend)

    def hits(block: int, max_buffer: int) -> list[tuple[str, int, str | None, str]]:
        scanner = PatchScanner(matcher, block=block, max_buffer=max_buffer)
        found = scanner.scan(io.BytesIO(patch))
        return sorted((h.path, h.line, h.commit, h.fingerprint) for h in found)

    whole = hits(1 << 22, 1 << 26)
    assert len(whole) == 4
    assert ("big.py", 701) in {(p, n) for p, n, _, _ in whole}  # the key's BEGIN line
    for block, max_buffer in ((97, 8192), (1000, 8192), (4096, 12288)):
        assert hits(block, max_buffer) == whole


def test_timeout_becomes_an_error_outcome(repo: Path) -> None:
    commit(repo, {"a.py": "x = 1\n"})
    tree, history = collect(str(repo), ScanOptions(), timeout_s=-1)
    assert tree.status == "error" and history.status == "error"
    assert "took over" in history.reason


def test_missing_folder_and_bad_baseline(tmp_path: Path) -> None:
    tree, history = collect(str(tmp_path / "nope"), ScanOptions())
    assert tree.status == history.status == "error"
    (tmp_path / "b.json").write_text("{not json")
    tree, _ = collect(str(tmp_path), ScanOptions(baseline=str(tmp_path / "b.json")))
    assert tree.status == "error" and "not valid JSON" in tree.reason
    assert tree.fact == TREE and history.fact == HISTORY
