"""The demo git repository: planted repository flaws (unfixed), none (fixed), stable hashes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from gitutil import git

from launchready.sandbox import demo_repo
from launchready.sandbox.demo_repo import build_demo_repo

# Built here, not written out, for the same reason as in demo_repo: no key-shaped literal.
LIVE_KEY = re.compile("sk_" + r"live_[A-Za-z0-9]{24}")


def env_values(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs if not k.startswith("#")}


@pytest.fixture(scope="module")
def unfixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("repo") / "unfixed"
    build_demo_repo(str(path))
    return path


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("repo") / "fixed"
    build_demo_repo(str(path), fixed=True)
    return path


COMMON = {
    "README.md",
    "pyproject.toml",
    "app.py",
    "settings.py",
    ".gitignore",
    "Dockerfile",
    "migrations/001_init.sql",
    ".github/workflows/ci.yml",
    ".env.example",
}


def test_unfixed_repo_tracks_env_files_and_no_lock_file(unfixed: Path) -> None:
    tracked = set(git(unfixed, "ls-files").split())
    assert tracked == COMMON | {".env.staging", ".env.production"}
    assert "uv.lock" not in tracked  # pyproject.toml with dependencies and nothing locking them
    assert "dependencies" in (unfixed / "pyproject.toml").read_text()
    assert git(unfixed, "status", "--porcelain") == ""
    assert len(git(unfixed, "rev-list", "HEAD").split()) >= 5
    assert "FROM python:3.12-slim" in (unfixed / "Dockerfile").read_text()
    assert "CREATE TABLE activity_logs" in (unfixed / "migrations/001_init.sql").read_text()


def test_unfixed_env_files_share_secret_and_database_and_debug_in_production(
    unfixed: Path,
) -> None:
    staging = env_values(unfixed / ".env.staging")
    production = env_values(unfixed / ".env.production")
    assert len(staging["SECRET_KEY"]) >= 32 and staging["SECRET_KEY"] == production["SECRET_KEY"]
    host = re.compile(r"@([^:/]+)")
    assert host.findall(staging["DATABASE_URL"]) == host.findall(production["DATABASE_URL"])
    assert production["DEBUG"] == "true"
    example = env_values(unfixed / ".env.example")
    assert set(example) >= {"SECRET_KEY", "DATABASE_URL", "DEBUG"}
    assert all(value == "" for value in example.values())


def test_unfixed_leaked_key_is_in_history_but_not_at_head(unfixed: Path) -> None:
    for path in git(unfixed, "ls-files").split():
        assert not LIVE_KEY.search((unfixed / path).read_text()), path
    history = git(unfixed, "log", "--all", "-p", "--format=commit %H %s")
    found = LIVE_KEY.findall(history)
    assert found, "the leaked key should survive in history"
    adding = git(unfixed, "log", "--all", "--format=%s", "-G", LIVE_KEY.pattern)
    assert adding.splitlines() == [
        "Read Stripe key from environment",
        "Add Stripe billing settings",
    ]


def test_fixed_repo_tracks_only_the_env_example_and_a_lock_file(fixed: Path) -> None:
    tracked = set(git(fixed, "ls-files").split())
    assert tracked == COMMON | {
        "uv.lock",
        "migrations/002_activity_logs_client_id_index.sql",
        "migrations/002_activity_logs_client_id_index.down.sql",
    }
    assert '[[package]]\nname = "starlette"' in (fixed / "uv.lock").read_text()
    gitignore = (fixed / ".gitignore").read_text().splitlines()
    assert ".env*" in gitignore and "!.env.example" in gitignore
    ignored = git(fixed, "status", "--porcelain", "--ignored").splitlines()
    assert sorted(ignored) == ["!! .env.production", "!! .env.staging"]
    assert not LIVE_KEY.search(git(fixed, "log", "--all", "-p"))
    added_env = git(fixed, "log", "--all", "--diff-filter=A", "--name-only", "--format=")
    assert ".env.production" not in added_env.split()


def test_fixed_env_files_differ_and_disable_debug(fixed: Path) -> None:
    staging = env_values(fixed / ".env.staging")
    production = env_values(fixed / ".env.production")
    assert staging["SECRET_KEY"] != production["SECRET_KEY"]
    assert staging["DATABASE_URL"] != production["DATABASE_URL"]
    assert staging["DEBUG"] == production["DEBUG"] == "false"
    # Every variable the example names is set in each environment.
    example = set(env_values(fixed / ".env.example"))
    assert example <= set(staging) and example <= set(production)


@pytest.mark.parametrize("variant", [False, True], ids=["unfixed", "fixed"])
def test_commit_hashes_are_the_same_on_every_build(tmp_path: Path, variant: bool) -> None:
    heads = []
    for name in ("a", "b"):
        build_demo_repo(str(tmp_path / name), fixed=variant)
        heads.append(git(tmp_path / name, "rev-list", "HEAD"))
    assert heads[0] == heads[1] and len(heads[0].split()) >= 5
    dates = git(tmp_path / "a", "log", "--format=%aI %cI").splitlines()
    assert dates[-1] == "2025-03-03T09:12:00+01:00 2025-03-03T09:12:00+01:00"  # fixed, not now


def test_the_users_git_config_does_not_leak_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unfixed: Path
) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Someone Else\n[commit]\n\tgpgsign = true\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Someone Else")
    build_demo_repo(str(tmp_path / "repo"))
    assert git(tmp_path / "repo", "rev-parse", "HEAD") == git(unfixed, "rev-parse", "HEAD")
    assert set(git(tmp_path / "repo", "log", "--format=%an").split("\n")) - {""} == {
        demo_repo.AUTHOR_NAME
    }


def test_refuses_a_non_empty_directory_and_a_missing_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file.txt").write_text("x")
    with pytest.raises(RuntimeError, match="not an empty directory"):
        build_demo_repo(str(tmp_path / "taken"))
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with pytest.raises(RuntimeError, match="git is not installed"):
        build_demo_repo(str(tmp_path / "fresh"))
