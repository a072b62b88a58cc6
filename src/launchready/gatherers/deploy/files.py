"""A read-only view of the repository's files for the deploy facts, and what kind each is.

Only files that would ship matter (tracked in git, or every file outside git), so a local
`.env` or a build folder never looks like the project's configuration.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from launchready.gatherers.deploy.repo import list_files

TEXT_LIMIT = 1024 * 1024
LOCK_LIMIT = 32 * 1024 * 1024  # package-lock.json of a large app runs to a few MB

COMPOSE = re.compile(r"(^|/)(docker-)?compose[\w.-]*\.ya?ml$")
DOCKERFILE = re.compile(r"(^|/)(Dockerfile|Containerfile)([.-][\w.-]+)?$|\.[Dd]ockerfile$")
CI = re.compile(
    r"^\.github/workflows/[^/]+\.ya?ml$|(^|/)\.gitlab-ci\.ya?ml$|^\.circleci/config\.ya?ml$"
    r"|(^|/)bitbucket-pipelines\.ya?ml$|(^|/)azure-pipelines\.ya?ml$|^\.buildkite/[^/]+\.ya?ml$"
    r"|(^|/)Jenkinsfile$|^\.drone\.ya?ml$|^\.travis\.ya?ml$|^\.woodpecker(\.ya?ml|/[^/]+\.ya?ml)$"
)
IAC = re.compile(
    r"\.(tf|tfvars|hcl)$"
    r"|(^|/)(fly\.toml|render\.ya?ml|app\.json|heroku\.ya?ml|Procfile|serverless\.ya?ml"
    r"|Pulumi[\w.-]*\.ya?ml|Chart\.yaml|values[\w.-]*\.ya?ml|kustomization\.ya?ml"
    r"|railway\.(json|toml)|vercel\.json|app\.ya?ml|task-?definition[\w.-]*\.json)$"
    r"|(^|/)(k8s|kubernetes|manifests|deploy|deployment|infra|helm|charts|ops)/.+\.(ya?ml|json)$"
)
DOCS = re.compile(
    r"^[^/]+\.(md|rst|txt)$|(^|/)(docs?|runbooks?|ops|wiki)/.+\.(md|rst|txt)$", re.IGNORECASE
)
SCRIPTS = re.compile(r"(^|/)(Makefile|justfile|Taskfile\.ya?ml|package\.json)$|^(bin|scripts)/")


@dataclass(frozen=True)
class RepoFiles:
    root: str
    is_git: bool
    files: tuple[str, ...]

    def matching(self, pattern: re.Pattern[str]) -> list[str]:
        return [f for f in self.files if pattern.search(f)]

    def has(self, path: str) -> bool:
        return path in self._index

    @cached_property
    def _index(self) -> frozenset[str]:
        return frozenset(self.files)

    def read(self, path: str, limit: int = TEXT_LIMIT) -> str | None:
        """The file's text, or None when it is missing, too large or unreadable."""
        full = Path(self.root, path)
        try:
            if not full.is_file() or full.stat().st_size > limit:
                return None
            return full.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def texts(self, pattern: re.Pattern[str]) -> Iterator[tuple[str, str]]:
        for path in self.matching(pattern):
            text = self.read(path)
            if text is not None:
                yield path, text


async def repo_files(root: str) -> RepoFiles:
    is_git, files, _ = await list_files(root)
    return RepoFiles(root, is_git, tuple(sorted(files)))
