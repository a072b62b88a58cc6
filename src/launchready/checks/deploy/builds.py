"""Deterministic builds: locks in sync with their manifests, pinned base images and actions."""

from __future__ import annotations

import re
from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.core.findings import Harm, Severity, Stage, Status
from launchready.gatherers.deploy.builds import BUILDS, BuildsFact, LockRecord
from launchready.gatherers.deploy.ci import CI_FACT, CiFact
from launchready.gatherers.deploy.locks import norm_spec

REPRODUCIBLE = "https://reproducible-builds.org/docs/definition/"
_RELOCK = {
    "uv": "`uv lock`, then install with `uv sync --locked`",
    "poetry": "`poetry lock`, then install with `poetry install --sync`",
    "pip-tools": "`pip-compile --generate-hashes requirements.in`",
    "npm": "`npm install`, then install with `npm ci`",
    "pnpm": "`pnpm install`, then install with `pnpm install --frozen-lockfile`",
    "yarn": "`yarn install`, then install with `yarn install --immutable`",
}
_SHA = re.compile(r"^[0-9a-f]{40}$")
_BRANCH = frozenset({"main", "master", "develop", "dev", "trunk", "head", "latest", "stable"})
_FIRST_PARTY = ("actions/", "github/")


def _differences(record: LockRecord) -> list[str]:
    declared = {d.name: d.spec for d in record.declared}
    if record.records == "names":
        locked_names = {d.name for d in record.locked}
        missing = [n for n in declared if n not in locked_names]
        return [f"not locked: {', '.join(missing)}"] if missing else []
    if record.ecosystem == "yarn":  # a lock entry per name@specifier it resolves
        pairs = {(d.name, d.spec) for d in record.locked}
        stale = [f"{n}@{s}" for n, s in declared.items() if (n, s) not in pairs]
        return [f"no lock entry for {', '.join(stale)}"] if stale else []
    locked = {d.name: d.spec for d in record.locked}
    out = []
    missing = [n for n in declared if n not in locked]
    removed = [n for n in locked if n not in declared]
    changed = [
        f"{n} ({declared[n]} in {record.manifest}, {locked[n]} in {record.lock})"
        for n in declared
        if n in locked and norm_spec(declared[n]) != norm_spec(locked[n])
    ]
    if missing:
        out.append(f"not locked: {', '.join(missing)}")
    if removed:
        out.append(f"locked but no longer declared: {', '.join(removed)}")
    if changed:
        out.append(f"specifier changed: {'; '.join(changed)}")
    return out


@check(
    id="deploy.lockfile-sync",
    stage=Stage.DEPLOY,
    title="Each lock file is in sync with its manifest",
    severity=Severity.MEDIUM,
    harm=Harm.DEPLOY,
    reads=BUILDS,
    impact="A lock written from an older manifest makes `npm ci` or `uv sync --locked` fail in "
    "CI, or installs versions nobody tested once someone re-locks during a deploy.",
    remediation="Re-lock and commit the lock file with the manifest change; install with the "
    "frozen flag so CI fails when they drift.",
    references=[
        "https://docs.npmjs.com/cli/v10/commands/npm-ci",
        "https://docs.astral.sh/uv/concepts/projects/sync/#checking-if-the-lockfile-is-up-to-date",
        "https://pip-tools.readthedocs.io/en/stable/#using-hashes",
        REPRODUCIBLE,
    ],
)
def lockfile_sync(fact: BuildsFact) -> Iterator[Verdict]:
    """Each package manager records what the manifest declared when it locked: npm and pnpm the
    specifiers, uv its root's requires-dist, yarn its entry headers; Poetry and pip-tools only
    names. Compiled requirements without --hash are noted (pip cannot verify the download)."""
    if not fact.locks:
        yield Verdict(Status.SKIPPED, "no manifest with a lock file (see deploy.lockfile)")
        return
    for r in fact.locks:
        if r.problem:
            yield Verdict(
                Status.ERROR, f"could not compare with {r.lock}: {r.problem}", target=r.manifest
            )
            continue
        diffs = _differences(r)
        if diffs:
            fix = _RELOCK.get(r.ecosystem, "re-lock")
            yield Verdict.fail(
                f"{r.lock} is out of date — {'; '.join(diffs)}. Fix: {fix}", target=r.manifest
            )
        else:
            yield Verdict.ok(f"{r.lock} matches ({len(r.declared)} declared)", target=r.manifest)
        if r.unhashed:
            shown = ", ".join(r.unhashed[:5]) + (" …" if len(r.unhashed) > 5 else "")
            yield Verdict.warn(
                f"{len(r.unhashed)} requirement(s) in {r.lock} without --hash: {shown}",
                target=r.lock,
                severity=Severity.LOW,
            )


@check(
    id="deploy.base-image-pinned",
    stage=Stage.DEPLOY,
    title="Container base images are pinned by digest",
    severity=Severity.MEDIUM,
    harm=Harm.DEPLOY,
    reads=BUILDS,
    impact="`latest` or an untagged image changes under you: the same commit builds a different "
    "image tomorrow, and a rollback rebuilds onto a base that was never tested.",
    remediation="Pin each FROM to a version and its digest (`python:3.12-slim@sha256:…`, from "
    "`docker buildx imagetools inspect`), and let Dependabot or Renovate bump it.",
    references=[
        "https://docs.docker.com/build/building/best-practices/#pin-base-image-versions",
        REPRODUCIBLE,
    ],
)
def base_image_pinned(fact: BuildsFact) -> Iterator[Verdict]:
    """A digest pins the bytes; a tag pins only a name that can be re-pushed (warn); `latest`
    or no tag pins nothing (fail). Earlier build stages and `scratch` are not images."""
    if not fact.images:
        yield Verdict(Status.SKIPPED, "no Dockerfile pulls an image")
        return
    for img in fact.images:
        target = f"{img.path}:{img.line}"
        if img.digest:
            yield Verdict.ok(f"{img.via} {img.reference}", target=target)
        elif img.tag is None or img.tag == "latest":
            yield Verdict.fail(f"{img.via} {img.reference}: no version pinned", target=target)
        elif "$" in img.tag:
            yield Verdict.warn(
                f"{img.via} {img.reference}: the tag comes from a build argument",
                target=target,
                severity=Severity.LOW,
            )
        else:
            yield Verdict.warn(
                f"{img.via} {img.reference}: tag without digest, can be re-pushed",
                target=target,
                severity=Severity.LOW,
            )


@check(
    id="deploy.ci-actions-pinned",
    stage=Stage.DEPLOY,
    title="CI actions are pinned to a commit SHA",
    severity=Severity.MEDIUM,
    harm=Harm.DEPLOY,
    reads=CI_FACT,
    impact="A tag or branch can be moved by whoever controls the action's repository: the next "
    "build runs their code with your secrets (as with tj-actions/changed-files in 2025).",
    remediation="Pin each `uses:` to the full commit SHA with the version as a comment "
    "(`actions/checkout@<sha> # v4.2.2`); Dependabot keeps SHAs current.",
    references=[
        "https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#using-third-party-actions",
        "https://github.com/advisories/GHSA-mrrh-fwg8-r2c3",
    ],
)
def ci_actions_pinned(fact: CiFact) -> Iterator[Verdict]:
    """Branches (`@main`) are worst; tags of GitHub's own actions are a smaller risk than
    third-party tags. Local actions (`./…`) and digests of docker actions are pinned."""
    actions = [(c.path, a) for c in fact.configs for a in c.actions]
    if not actions:
        yield Verdict(Status.SKIPPED, "no GitHub Actions workflow uses an action")
        return
    for path, a in actions:
        target = f"{path}:{a.line}"
        uses = a.uses
        if uses.startswith("./") or (uses.startswith("docker://") and "@sha256:" in uses):
            yield Verdict.ok(f"{uses}: pinned", target=target)
            continue
        ref = uses.rsplit("@", 1)[1] if "@" in uses else ""
        if _SHA.match(ref):
            yield Verdict.ok(f"{uses.split('@')[0]} pinned to a commit", target=target)
        elif not ref or ref.lower() in _BRANCH:
            yield Verdict.fail(f"{uses}: follows a branch", target=target)
        else:
            first_party = uses.startswith(_FIRST_PARTY)
            yield Verdict.warn(
                f"{uses}: pinned to a tag, which can be moved",
                target=target,
                severity=Severity.LOW if first_party else Severity.MEDIUM,
            )
