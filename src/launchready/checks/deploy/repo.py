"""Repository basics: a lock file beside every manifest, env files out of git."""

from __future__ import annotations

import posixpath
import re
import tomllib
from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.core.findings import Harm, Severity, Stage
from launchready.gatherers.deploy.repo import REPO, RepoFact

# manifest file name -> lock files that pin it (any one suffices), per ecosystem.
LOCKFILES: dict[str, tuple[str, ...]] = {
    "pyproject.toml": ("uv.lock", "poetry.lock", "pdm.lock", "pylock.toml", "requirements.txt"),
    "Pipfile": ("Pipfile.lock",),
    "requirements.in": ("requirements.txt",),
    "package.json": (
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lock",
        "bun.lockb",
    ),
    "Gemfile": ("Gemfile.lock",),
    "go.mod": ("go.sum",),
    "Cargo.toml": ("Cargo.lock",),
    "composer.json": ("composer.lock",),
}
_ENV_FILE = re.compile(r"^(\.env(\..+)?|.+\.env)$")
_ENV_TEMPLATE = re.compile(r"(example|sample|template|dist|defaults?|schema)$", re.I)
_PINNED = re.compile(r"^[A-Za-z0-9_.\-\[\],]+\s*===?\s*[^\s;*]+")
_SKIP_REQ = re.compile(r"^\s*(#|-|$)")


def _has_dependencies(pyproject: str | None) -> bool:
    """A pyproject that only configures tools declares nothing to lock."""
    if pyproject is None:
        return True
    try:
        data = tomllib.loads(pyproject)
    except tomllib.TOMLDecodeError:
        return True
    project = data.get("project", {})
    poetry = data.get("tool", {}).get("poetry", {})
    return bool(project.get("dependencies") or poetry.get("dependencies"))


def unpinned_requirements(text: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if not _SKIP_REQ.match(line) and not _PINNED.match(line)]


@check(
    id="deploy.lockfile",
    stage=Stage.DEPLOY,
    title="Every dependency manifest has a lock file",
    severity=Severity.MEDIUM,
    harm=Harm.DEPLOY,
    reads=REPO,
    impact="Without a lock file each build may pull different dependency versions: the app "
    "works in staging and breaks after the production deploy.",
    remediation="Commit the lock file your package manager writes (uv.lock, poetry.lock, "
    "package-lock.json, …) and install from it in CI and production "
    "(`uv sync --frozen`, `npm ci`).",
    references=[
        "https://docs.npmjs.com/cli/v10/configuring-npm/package-lock-json",
        "https://docs.astral.sh/uv/concepts/projects/sync/",
        "https://reproducible-builds.org/docs/definition/",
    ],
)
def lockfile(repo: RepoFact) -> Iterator[Verdict]:
    """Lock files are looked for beside each manifest; a bare requirements.txt must pin."""
    files = set(repo.files)
    found_any = False
    for path in repo.files:
        folder, name = posixpath.split(path)
        if name == "requirements.txt" and not (
            {posixpath.join(folder, m) for m in ("pyproject.toml", "requirements.in")} & files
        ):
            found_any = True
            loose = unpinned_requirements(repo.text(path) or "")
            if loose:
                shown = ", ".join(loose[:5]) + (" …" if len(loose) > 5 else "")
                yield Verdict.fail(
                    f"{len(loose)} requirement(s) not pinned with ==: {shown}", target=path
                )
            else:
                yield Verdict.ok("every requirement pinned with ==", target=path)
            continue
        locks = LOCKFILES.get(name)
        if locks is None:
            continue
        if name == "pyproject.toml" and not _has_dependencies(repo.text(path)):
            continue
        found_any = True
        present = [lock for lock in locks if posixpath.join(folder, lock) in files]
        if present:
            yield Verdict.ok(f"locked by {', '.join(present)}", target=path)
        else:
            yield Verdict.fail(
                f"no lock file tracked beside it (looked for {', '.join(locks)})", target=path
            )
    if not found_any:
        yield Verdict.ok("no dependency manifest in the repository")


def is_env_file(path: str) -> bool:
    name = posixpath.basename(path)
    return bool(_ENV_FILE.match(name)) and not _ENV_TEMPLATE.search(name)


@check(
    id="deploy.env-files-tracked",
    stage=Stage.DEPLOY,
    title="Environment files stay out of git",
    severity=Severity.HIGH,
    harm=Harm.DATA_EXPOSURE,
    reads=REPO,
    impact="Anyone with read access to the repository (contractors, a leaked laptop, a CI log) "
    "holds the production secrets in an .env file.",
    remediation="`git rm --cached` the file, add `.env*` (but not `.env.example`) to .gitignore, "
    "move the values to your platform's secret store, and rotate every secret it held — "
    "removing the file does not remove it from history.",
    references=[
        "https://12factor.net/config",
        "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html",
    ],
)
def env_files_tracked(repo: RepoFact) -> Iterator[Verdict]:
    """Templates (.env.example, .env.sample…) are fine; real env files never belong in git."""
    tracked = [p for p in repo.files if is_env_file(p)] if repo.is_git else []
    added = {a.path: a.commit for a in repo.ever_added if is_env_file(a.path)}
    for path in tracked:
        since = f" (added in commit {added[path]})" if path in added else ""
        yield Verdict.fail(f"tracked in git{since}", target=path)
    for path, commit in added.items():
        if path not in tracked:
            yield Verdict.fail(
                f"removed from the tree but still in history (added in commit {commit}); "
                "its secrets must be rotated",
                target=path,
            )
    for path in (p for p in repo.untracked if is_env_file(p)):
        yield Verdict.warn(
            "not ignored by .gitignore: a `git add .` would commit it",
            target=path,
            severity=Severity.MEDIUM,
        )
    if not repo.is_git:
        yield Verdict.ok("not a git repository: nothing is tracked")
    elif not tracked and not added:
        yield Verdict.ok("no environment file is or was tracked")
