"""Rollback path: a way to put the previous release back, and a runbook that says how."""

from __future__ import annotations

import re
from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.core.findings import Harm, Severity, Stage
from launchready.gatherers.deploy.rollback import ROLLBACK, RollbackFact

# Image references that name one build: a commit SHA, a version, a CI run.
IMMUTABLE_TAG = re.compile(
    r"github\.(sha|ref_name|run_number|run_id)|GITHUB_SHA|CI_COMMIT_(SHA|SHORT_SHA|TAG)"
    r"|git\s+rev-parse|\b(VERSION|GIT_SHA|COMMIT_SHA|SHA|RELEASE|TAG)\b|:v?\d+\.\d+|type=sha"
    r"|@sha256:",
    re.IGNORECASE,
)


@check(
    id="deploy.rollback-path",
    stage=Stage.DEPLOY,
    title="The previous release can be put back",
    severity=Severity.MEDIUM,
    harm=Harm.DEPLOY,
    reads=ROLLBACK,
    impact="When a release breaks login and nothing can redeploy the previous one, the outage "
    "lasts until someone writes and ships a fix.",
    remediation="Deploy versioned artifacts — images tagged with the commit SHA and pushed to a "
    "registry — or use the platform's releases (`fly releases`, `heroku rollback`, `kubectl "
    "rollout undo`), and try a rollback on staging before launch.",
    references=[
        "https://kubernetes.io/docs/reference/kubectl/generated/kubectl_rollout/kubectl_rollout_undo/",
        "https://devcenter.heroku.com/articles/releases#rollback",
        "https://fly.io/docs/flyctl/releases/",
    ],
)
def rollback_path(fact: RollbackFact) -> Iterator[Verdict]:
    """A hosting platform with releases counts, and so do images tagged per build and pushed;
    images pushed only as `latest` overwrite the release a rollback would need."""
    if fact.platforms:
        p = fact.platforms[0]
        others = ", ".join(x.platform for x in fact.platforms[1:])
        more = f" (also {others})" if others else ""
        yield Verdict.ok(f"{p.platform} ({p.where}){more}: {p.rollback}")
        return
    pushed = [t for t in fact.image_tags if t.pushed]
    versioned = [t for t in pushed if IMMUTABLE_TAG.search(t.reference)]
    if versioned:
        t = versioned[0]
        yield Verdict.ok(
            f"images tagged per build and pushed ({t.reference}): redeploy the previous tag",
            target=t.where,
        )
    elif pushed:
        yield Verdict.fail(
            f"images are pushed as {pushed[0].reference} only: each push overwrites the release "
            "a rollback would need",
            target=pushed[0].where,
        )
    else:
        built = (
            f" (images are built, e.g. {fact.image_tags[0].reference}, but never pushed)"
            if fact.image_tags
            else ""
        )
        yield Verdict.fail(f"no platform release history or versioned image found{built}")


@check(
    id="deploy.rollback-runbook",
    stage=Stage.DEPLOY,
    title="A runbook says how to roll back",
    severity=Severity.MEDIUM,
    harm=Harm.DEPLOY,
    reads=ROLLBACK,
    impact="At 9 pm, with login failing, whoever is on call has to work out the rollback from "
    "scratch — while customers wait.",
    remediation="Write the rollback steps (code, then migrations) in RUNBOOK.md or the README's "
    "deploy section; `launchready audit --only deploy` writes deploy-checklist.md to start from.",
    references=[
        "https://sre.google/sre-book/emergency-response/",
        "https://sre.google/workbook/canarying-releases/",
    ],
)
def rollback_runbook(fact: RollbackFact) -> Iterator[Verdict]:
    """Any Markdown, reStructuredText or text document in the root, docs/ or runbooks/ that
    talks about rolling back (or reverting a deploy) counts."""
    if fact.runbooks:
        r = fact.runbooks[0]
        yield Verdict.ok(f"“{r.excerpt}”", target=r.where)
    else:
        yield Verdict.fail("no document in the repository mentions rolling back")
