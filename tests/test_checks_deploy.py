"""Deploy checks on plain repository facts."""

from launchready.checks.deploy import (
    env_files_tracked,
    is_env_file,
    lockfile,
    unpinned_requirements,
)
from launchready.core.findings import Status
from launchready.gatherers.deploy.repo import AddedFile, RepoFact


def repo(files=(), untracked=(), added=(), texts=(), is_git=True) -> RepoFact:
    return RepoFact("/r", is_git, tuple(files), tuple(untracked), tuple(added), tuple(texts))


def by_target(check, fact):
    return {v.target: v.status for v in check.evaluate(fact)}


PYPROJECT = '[project]\nname = "x"\ndependencies = ["starlette"]\n'


def test_lockfile_missing_and_present() -> None:
    missing = repo(["pyproject.toml", "web/package.json"], texts=[("pyproject.toml", PYPROJECT)])
    assert by_target(lockfile, missing) == {
        "pyproject.toml": Status.FAIL,
        "web/package.json": Status.FAIL,
    }
    locked = repo(
        ["pyproject.toml", "uv.lock", "web/package.json", "web/pnpm-lock.yaml"],
        texts=[("pyproject.toml", PYPROJECT)],
    )
    assert set(by_target(lockfile, locked).values()) == {Status.PASS}


def test_tool_only_pyproject_needs_no_lock() -> None:
    fact = repo(["pyproject.toml"], texts=[("pyproject.toml", "[tool.ruff]\nline-length = 100\n")])
    assert [v.status for v in lockfile.evaluate(fact)] == [Status.PASS]


def test_bare_requirements_must_pin() -> None:
    text = (
        "# deps\nflask==3.0.0\nrequests>=2\n-r other.txt\n"
        "uvicorn[standard]==0.30.0 ; python_version>'3'\n"
    )
    assert unpinned_requirements(text) == ["requests>=2"]
    fact = repo(["requirements.txt"], texts=[("requirements.txt", text)])
    assert by_target(lockfile, fact) == {"requirements.txt": Status.FAIL}
    pinned = repo(["requirements.txt"], texts=[("requirements.txt", "flask==3.0.0\n")])
    assert by_target(lockfile, pinned) == {"requirements.txt": Status.PASS}


def test_env_file_names() -> None:
    assert is_env_file(".env") and is_env_file("deploy/.env.production") and is_env_file("prod.env")
    assert not is_env_file(".env.example") and not is_env_file(".env.sample")
    assert not is_env_file("environment.py")


def test_env_files_tracked_now_in_history_and_unignored() -> None:
    fact = repo(
        files=[".env.production", ".env.example", "app.py"],
        untracked=[".env.local"],
        added=[AddedFile(".env.production", "abc1234"), AddedFile(".env.old", "def5678")],
    )
    verdicts = {v.target: v for v in env_files_tracked.evaluate(fact)}
    assert verdicts[".env.production"].status == Status.FAIL
    assert "abc1234" in verdicts[".env.production"].evidence
    assert verdicts[".env.old"].status == Status.FAIL
    assert "history" in verdicts[".env.old"].evidence
    assert verdicts[".env.local"].status == Status.WARN
    assert ".env.example" not in verdicts
    clean = repo(files=[".env.example", "app.py"], added=[AddedFile(".env.example", "a")])
    assert [v.status for v in env_files_tracked.evaluate(clean)] == [Status.PASS]
