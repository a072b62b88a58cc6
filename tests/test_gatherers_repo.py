"""The repository gatherer against a real git repository."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from gitutil import git

from launchready.gatherers.deploy.repo import GitError, _git, read_repo


def test_tracked_untracked_and_history(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / ".env.production").write_text("DEBUG=false\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "first")
    git(tmp_path, "rm", "-q", "--cached", ".env.production")
    (tmp_path / ".gitignore").write_text(".env.production\n")
    (tmp_path / ".env.local").write_text("X=1\n")
    git(tmp_path, "add", ".gitignore")
    git(tmp_path, "commit", "-qm", "untrack env")
    fact = asyncio.run(read_repo(str(tmp_path)))
    assert fact.is_git
    assert fact.files == (".gitignore", "requirements.txt")
    assert fact.untracked == (".env.local",)
    assert {a.path for a in fact.ever_added} >= {".env.production", "requirements.txt"}
    assert fact.text("requirements.txt") == "flask\n"


def test_plain_folder(tmp_path: Path) -> None:
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "x.js").write_text("")
    (tmp_path / "package.json").write_text("{}")
    fact = asyncio.run(read_repo(str(tmp_path)))
    assert not fact.is_git and fact.files == ("package.json",)


def test_names_that_are_not_utf8_are_listed_as_text(tmp_path: Path) -> None:
    """A name is bytes; 0xff is never UTF-8. Listed as `\\xff` (not a surrogate), it can be
    written into JSON, SARIF and the checklist like any other name."""
    name = os.fsdecode(b".env.prod\xff")
    git_root, plain_root = tmp_path / "git", tmp_path / "plain"
    for root in (git_root, plain_root):
        root.mkdir()
        (root / name).write_text("DEBUG=false\n")
    git(git_root, "init", "-q", "-b", "main")
    git(git_root, "add", ".")
    git(git_root, "commit", "-qm", "first")
    for root in (git_root, plain_root):
        fact = asyncio.run(read_repo(str(root)))
        assert fact.files == (".env.prod\\xff",)
        json.dumps(fact.files).encode("utf-8")  # would raise on a surrogate


def test_a_git_error_reads_as_git_last_line(tmp_path: Path) -> None:
    """The error carries git's own last line of complaint, not a Python list of it."""
    git(tmp_path, "init", "-q", "-b", "main")
    with pytest.raises(GitError) as caught:
        asyncio.run(_git(str(tmp_path), "rev-parse", "--verify", "HEAD"))
    message = str(caught.value)
    assert message.startswith("fatal:") and not message.endswith("']")
