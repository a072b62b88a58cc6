"""Rollback facts: the hosting platform's way back, image tags, and runbooks that say how."""

from __future__ import annotations

import re
from dataclasses import dataclass

from launchready.gatherers.deploy.ci import CiFact
from launchready.gatherers.deploy.files import DOCS, RepoFiles
from launchready.gatherers.deploy.redact import redact

ROLLBACK = "deploy.rollback"

# platform -> (files that show it is used, commands that deploy to it, how to roll back)
PLATFORMS: tuple[tuple[str, re.Pattern[str], re.Pattern[str], str], ...] = tuple(
    (name, re.compile(files), re.compile(commands), how)
    for name, files, commands, how in (
        (
            "Fly.io",
            r"(^|/)fly\.toml$",
            r"\bfly(ctl)?\s+deploy|superfly/flyctl-actions",
            "`fly releases` to find the previous image, then `fly deploy --image <image>`",
        ),
        (
            "Render",
            r"(^|/)render\.ya?ml$",
            r"api\.render\.com/deploy|render-deploy|\brender\s+deploys?\b",
            "Render dashboard → Events → Rollback on the previous deploy",
        ),
        (
            "Heroku",
            r"(^|/)(Procfile|app\.json|heroku\.ya?ml)$",
            r"\bheroku\s+(container:release|releases|deploy)|git\s+push\s+\S*heroku|heroku-deploy",
            "`heroku releases` then `heroku rollback vNN`",
        ),
        (
            "Kubernetes",
            r"(^|/)(kustomization\.ya?ml|Chart\.yaml)$|(^|/)(k8s|kubernetes|manifests)/",
            r"\bkubectl\s+(apply|set\s+image|rollout)|\bhelm\s+(upgrade|install)",
            "`kubectl rollout undo deployment/<name>` (or `helm rollback <release>`)",
        ),
        (
            "AWS ECS",
            r"task-?definition[\w.-]*\.json$",
            r"aws\s+ecs\s+update-service|amazon-ecs-deploy-task-definition",
            "update the service to the previous task definition revision",
        ),
        (
            "Google Cloud Run",
            r"(^|/)service\.ya?ml$",
            r"gcloud\s+run\s+deploy|deploy-cloudrun",
            "`gcloud run services update-traffic <svc> --to-revisions <previous>=100`",
        ),
        (
            "Vercel",
            r"(^|/)vercel\.json$",
            r"\bvercel\b.*--prod|\bvercel\s+deploy",
            "`vercel rollback` (or promote the previous deployment)",
        ),
        (
            "Railway",
            r"(^|/)railway\.(json|toml)$",
            r"\brailway\s+up\b",
            "Railway dashboard → Deployments → Redeploy the previous one",
        ),
    )
)
# An image reference, which may hold a `${{ github.sha }}` expression with spaces in it.
_REF = r"((?:\$\{\{[^}]*\}\}|[^\s\"'])+)"
_TAGGED = re.compile(
    r"(?:docker\s+(?:build|buildx\s+build|tag)\b.*?\s(?:-t|--tag)\s+|docker\s+push\s+)" + _REF
)
_TAGS_KEY = re.compile(r"^\s*tags:\s*(\S+)")
_PUSH = re.compile(r"docker\s+push|push:\s*true|--push\b|docker/build-push-action")
_RUNBOOK = re.compile(r"roll(ing)?[\s-]?back|revert(ing)?\s+(a|the)\s+(deploy|release)", re.I)


@dataclass(frozen=True)
class PlatformHint:
    platform: str
    where: str
    rollback: str  # how that platform rolls back


@dataclass(frozen=True)
class ImageTag:
    where: str
    reference: str  # the image reference a build tags, as written
    pushed: bool  # the same config pushes images to a registry


@dataclass(frozen=True)
class RunbookHint:
    where: str
    excerpt: str


@dataclass(frozen=True)
class RollbackFact:
    platforms: tuple[PlatformHint, ...]
    image_tags: tuple[ImageTag, ...]
    runbooks: tuple[RunbookHint, ...]


def _platforms(files: RepoFiles, ci: CiFact) -> list[PlatformHint]:
    found: dict[str, PlatformHint] = {}
    for name, file_rx, command_rx, how in PLATFORMS:
        for path in files.files:
            if file_rx.search(path):
                found.setdefault(name, PlatformHint(name, path, how))
        for path, cmd in ci.commands():
            if command_rx.search(cmd.text):
                found.setdefault(name, PlatformHint(name, f"{path}:{cmd.line}", how))
        for config in ci.configs:
            for action in config.actions:
                if command_rx.search(action.uses):
                    found.setdefault(name, PlatformHint(name, f"{config.path}:{action.line}", how))
    return list(found.values())


def _image_tags(files: RepoFiles, ci: CiFact) -> list[ImageTag]:
    tags = []
    for config in ci.configs:
        text = files.read(config.path) or ""
        pushed = bool(_PUSH.search(text))
        for cmd in config.commands:
            for m in _TAGGED.finditer(cmd.text):
                tags.append(ImageTag(f"{config.path}:{cmd.line}", m.group(1), pushed))
        for number, line in enumerate(text.splitlines(), start=1):
            key = _TAGS_KEY.match(line)
            if key and ("/" in key.group(1) or ":" in key.group(1)):
                reference = redact(key.group(1), config.path)  # a registry URL may hold a password
                tags.append(ImageTag(f"{config.path}:{number}", reference, pushed))
    return tags


def _runbooks(files: RepoFiles) -> list[RunbookHint]:
    hints = []
    for path, text in files.texts(DOCS):
        for number, line in enumerate(text.splitlines(), start=1):
            if _RUNBOOK.search(line):
                # Masked before it is cut: a secret cut in half is no longer recognisable.
                excerpt = redact(line, path).strip().lstrip("#").strip()
                hints.append(RunbookHint(f"{path}:{number}", excerpt[:120]))
                break
    return hints


def gather_rollback(files: RepoFiles, ci: CiFact) -> RollbackFact:
    return RollbackFact(
        tuple(_platforms(files, ci)), tuple(_image_tags(files, ci)), tuple(_runbooks(files))
    )
