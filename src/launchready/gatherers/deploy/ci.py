"""CI facts: every command a pipeline runs, the actions it uses, the environments it deploys to.

One reader serves every YAML CI system: a command is a string under `run`, `script`,
`command`… (GitHub Actions, GitLab, CircleCI, Bitbucket, Azure, Buildkite, Drone, Travis),
an action is a `uses:` value. Jenkinsfiles are read for their `sh` steps.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from launchready.gatherers.deploy.files import CI, RepoFiles
from launchready.gatherers.deploy.redact import redact
from launchready.gatherers.deploy.yamlwalk import ITEM, scalars

CI_FACT = "deploy.ci"

_COMMAND_KEYS = frozenset(
    {"run", "script", "before_script", "after_script", "command", "commands", "cmd", "bash"}
    | {"sh", "pwsh", "powershell", "inline", "install", "before_install"}
)
# What a command does, by the tools it calls (the checks and the deploy plan share these).
# A test runner at the start of a command (after `&&`, `uv run`, `npx`, `CI=1`, `env X=y`…),
# so that `pip install pytest` is not mistaken for running the tests.
TESTS = re.compile(
    r"(^|&&|;|\|\||\n)\s*(env\s+)?([A-Za-z_][A-Za-z0-9_]*=(\"[^\"\n]*\"|'[^'\n]*'|\S*)\s+)*"
    r"((uv|poetry|pdm|hatch|pipenv|bundle)\s+(run|exec)\s+|npx\s+"
    r"|python3?\s+(-m\s+)?)?"
    r"(pytest|py\.test|tox|nox|manage\.py\s+test|unittest|(npm|pnpm|yarn|bun)\s+(run\s+)?test"
    r"|jest|vitest|mocha|go\s+test|cargo\s+test|rspec|rails\s+test|rake\s+(test|spec)|phpunit"
    r"|mvn\s+(test|verify)|\./gradlew\s+test|gradle\s+test|make\s+test|dotnet\s+test"
    r"|playwright\s+test|cypress\s+run)\b"
)
DEPLOYS = re.compile(
    r"\bfly(ctl)?\s+deploy|superfly/flyctl-actions|\bheroku\s+(container:release|deploy)"
    r"|git\s+push\s+\S*heroku|heroku-deploy|\bkubectl\s+(apply|set\s+image|rollout\s+restart)"
    r"|\bhelm\s+(upgrade|install)|aws\s+ecs\s+update-service|amazon-ecs-deploy-task-definition"
    r"|gcloud\s+(run|app)\s+deploy|deploy-cloudrun|\bvercel\b.*--prod|netlify\s+deploy"
    r"|\brailway\s+up|\b(serverless|sls)\s+deploy|\bkamal\s+deploy|\bcap\s+\w+\s+deploy"
    r"|api\.render\.com/deploy|\beb\s+deploy|webapps-deploy|\bdokku\b|terraform\s+apply"
    r"|\bansible-playbook\b"
)
ENV_CHECKS = re.compile(
    r"dotenv-linter|env-?check|check[-_]?env|envalid|\$\{\w+:\?|\[\s*-[nz]\s+\"?\$|test\s+-[nz]\s+\"?\$"
    r"|required[-_]env|launchready\s+audit"
)
# Platforms that build and deploy from the git repository on every push to a branch.
_AUTO_DEPLOY = re.compile(r"(^|/)(render\.ya?ml|vercel\.json|netlify\.toml|railway\.(json|toml))$")
_JENKINS_SH = re.compile(r"""\b(?:sh|bat|powershell)\s*\(?\s*(?:script:\s*)?(['"]{1,3})(.+?)\1""")


@dataclass(frozen=True)
class CiCommand:
    line: int
    job: str
    text: str  # as written, secrets masked (``redact``): the checks and the plan quote it


@dataclass(frozen=True)
class ActionRef:
    line: int
    job: str
    uses: str  # owner/repo@ref, ./local, docker://image


@dataclass(frozen=True)
class CiConfig:
    path: str
    system: str
    commands: tuple[CiCommand, ...]
    actions: tuple[ActionRef, ...]
    environments: tuple[str, ...]  # deployment environments jobs declare
    problem: str | None = None


@dataclass(frozen=True)
class CiFact:
    configs: tuple[CiConfig, ...]
    auto_deploy: tuple[str, ...] = ()  # platform files that deploy on every push (render.yaml)

    def commands(self) -> list[tuple[str, CiCommand]]:
        return [(c.path, cmd) for c in self.configs for cmd in c.commands]


def system_of(path: str) -> str:
    name = posixpath.basename(path)
    if path.startswith(".github/workflows/"):
        return "GitHub Actions"
    return {
        ".gitlab-ci.yml": "GitLab CI",
        ".gitlab-ci.yaml": "GitLab CI",
        "Jenkinsfile": "Jenkins",
        "bitbucket-pipelines.yml": "Bitbucket Pipelines",
        "azure-pipelines.yml": "Azure Pipelines",
        ".travis.yml": "Travis CI",
        ".drone.yml": "Drone",
    }.get(name, "CircleCI" if path.startswith(".circleci/") else "CI")


def _job(path: tuple[str, ...], system: str) -> str:
    keys = [p for p in path if p != ITEM]
    if system == "GitHub Actions" and len(keys) > 1 and keys[0] == "jobs":
        return keys[1]
    if system in ("CircleCI",) and len(keys) > 1 and keys[0] == "jobs":
        return keys[1]
    return keys[0] if keys else ""


def read_ci(path: str, text: str) -> CiConfig:
    """Commands, actions and environments of one CI file; every value taken from the file is
    masked here, before anything can quote it."""
    system = system_of(path)
    if system == "Jenkins":
        commands = [
            CiCommand(n, "", redact(m.group(2), path))
            for n, line in enumerate(text.splitlines(), start=1)
            for m in _JENKINS_SH.finditer(line)
        ]
        return CiConfig(path, system, tuple(commands), (), ())
    try:
        found = scalars(text)
    except ValueError as exc:
        return CiConfig(path, system, (), (), (), str(exc))
    commands, actions, environments = [], [], []
    for s in found:
        job = _job(s.path, system)
        if s.key in _COMMAND_KEYS:
            commands.append(CiCommand(s.line, job, redact(s.value, path)))
        elif s.key == "uses" and system == "GitHub Actions":
            actions.append(ActionRef(s.line, job, redact(s.value.strip(), path)))
        keys = [p for p in s.path if p != ITEM]
        if "environment" in keys[-2:] and keys[-1] in ("environment", "name"):
            environments.append(redact(s.value, path))
    return CiConfig(
        path, system, tuple(commands), tuple(actions), tuple(dict.fromkeys(environments))
    )


def gather_ci(files: RepoFiles) -> CiFact:
    configs = []
    for path in files.matching(CI):
        text = files.read(path)
        configs.append(
            read_ci(path, text)
            if text is not None
            else CiConfig(path, system_of(path), (), (), (), "unreadable or larger than 1 MB")
        )
    return CiFact(tuple(configs), tuple(files.matching(_AUTO_DEPLOY)))
