"""Repository facts: which files are tracked, which ever were, small manifests' text.

Everything comes from git when the path is a work tree (so ignored files do not count as
"in the repository"), else from walking the folder.
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchready.core.outcome import Outcome
from launchready.gatherers.base import GatherContext
from launchready.gatherers.secrets.sources import display_path

REPO = "deploy.repo"
# Manifests whose text a check may need (pins, hashes); kept small on purpose.
_READ_TEXT = re.compile(
    r"(^|/)(requirements[^/]*\.(txt|in)|Pipfile|pyproject\.toml|package\.json)$"
)
_TEXT_LIMIT = 256 * 1024
_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", "vendor", "dist", "build"}
MAX_FILES = 200_000


@dataclass(frozen=True)
class AddedFile:
    path: str
    commit: str


@dataclass(frozen=True)
class RepoFact:
    root: str
    is_git: bool
    files: tuple[str, ...]  # tracked (or every file, outside git)
    untracked: tuple[str, ...]  # in the work tree, not tracked and not ignored
    ever_added: tuple[AddedFile, ...]  # first commit that added each path (git only)
    texts: tuple[tuple[str, str], ...]  # (path, text) of small manifests

    def text(self, path: str) -> str | None:
        return dict(self.texts).get(path)


class GitError(RuntimeError):
    pass


async def _git(root: str, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        "git",
        "-C",
        root,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        raise GitError(lines[-1] if lines else "git failed")
    return out.decode("utf-8", "backslashreplace")  # as ``display_path``: facts must be text


async def _is_work_tree(root: str) -> bool:
    try:
        return (await _git(root, "rev-parse", "--is-inside-work-tree")).strip() == "true"
    except (GitError, FileNotFoundError):
        return False


def _walk(root: str) -> list[str]:
    found: list[str] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
        rel = os.path.relpath(folder, root)
        for name in names:
            # A name that is not UTF-8 cannot be opened under its shown form: it reads as
            # missing, which for a deploy file (a Dockerfile, a workflow) only matters in
            # that it is named.
            found.append(display_path(name if rel == "." else f"{rel}/{name}"))
            if len(found) >= MAX_FILES:
                return found
    return found


async def _ever_added(root: str) -> list[AddedFile]:
    try:
        out = await _git(
            root, "log", "--all", "--diff-filter=A", "--name-only", "--format=@%h", "--reverse"
        )
    except GitError:  # an empty repository has no log
        return []
    first: dict[str, str] = {}
    commit = ""
    for line in out.splitlines():
        if line.startswith("@"):
            commit = line[1:]
        elif line:
            first.setdefault(line, commit)
    return [AddedFile(p, c) for p, c in first.items()]


async def list_files(root: str) -> tuple[bool, list[str], list[str]]:
    """(is a git work tree, tracked files, untracked-and-not-ignored files)."""
    if not os.path.isdir(root):
        raise FileNotFoundError(f"{root} is not a directory")
    if not await _is_work_tree(root):
        return False, await asyncio.to_thread(_walk, root), []
    listing = await _git(root, "ls-files", "-z")
    files = [f for f in listing.split("\0") if f][:MAX_FILES]
    others = await _git(root, "ls-files", "-z", "--others", "--exclude-standard")
    return True, files, [f for f in others.split("\0") if f][:MAX_FILES]


async def read_repo(root: str) -> RepoFact:
    is_git, files, untracked = await list_files(root)
    added = await _ever_added(root) if is_git else []
    texts = []
    for path in [*files, *untracked]:
        if _READ_TEXT.search(path):
            full = Path(root, path)
            try:
                if full.stat().st_size <= _TEXT_LIMIT:
                    texts.append((path, full.read_text(encoding="utf-8", errors="replace")))
            except OSError:
                continue
    return RepoFact(
        root, is_git, tuple(sorted(files)), tuple(sorted(untracked)), tuple(added), tuple(texts)
    )


class RepoGatherer:
    name: str = "repo"
    provides: tuple[str, ...] = (REPO,)

    async def gather(self, ctx: GatherContext) -> list[Outcome[Any]]:
        path = ctx.config.repo.path
        if not path:
            return [Outcome.skipped(REPO, "-", "no repository given ([repo].path or --repo)")]
        root = ctx.config.resolve_path(path)
        ctx.progress.started("deploy: repository")
        try:
            fact = await asyncio.wait_for(read_repo(root), ctx.timeout_s)
        except TimeoutError:
            return [
                Outcome.error(REPO, root, f"reading the repository took over {ctx.timeout_s:g} s")
            ]
        except (OSError, GitError) as exc:
            return [Outcome.error(REPO, root, str(exc))]
        finally:
            ctx.progress.finished("deploy: repository")
        return [Outcome.ok(REPO, root, fact)]
