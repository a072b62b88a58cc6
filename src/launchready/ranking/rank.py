"""How findings are ordered and scored. The README's "Scoring" section documents this.

Order: problems first; then severity (blocker → info); then the harm each check names
(login and data exposure before email, trust, speed, deploys and blindness); fail before
warn; then stage and id so the order is stable.

Score per stage and overall: each evaluated finding weighs by its severity (blocker 10,
high 6, medium 3, low 1, info 0) and earns full credit when it passes, half when it
warns, none when it fails; score = 100 × earned / possible. A failing blocker caps the
score at 40: a stage with a blocker is not "mostly ready". Findings that could not be
evaluated (error, skipped) count for nothing either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from launchready.core.findings import (
    MUST_FIX_SEVERITIES,
    Finding,
    Harm,
    LaunchStep,
    Report,
    Score,
    Severity,
    Stage,
    Status,
)

WEIGHTS = {
    Severity.BLOCKER: 10,
    Severity.HIGH: 6,
    Severity.MEDIUM: 3,
    Severity.LOW: 1,
    Severity.INFO: 0,
}
CREDIT = {Status.PASS: 1.0, Status.WARN: 0.5, Status.FAIL: 0.0}
BLOCKER_CAP = 40
# Score bands every renderer colours by: below LOW is not ready, HIGH and above is good.
LOW, HIGH = 50, 80
_GROUP = {Status.FAIL: 0, Status.WARN: 0, Status.ERROR: 1, Status.SKIPPED: 2, Status.PASS: 3}

# What fixing each harm's must-fix items achieves, in launch order.
HARM_GOALS = {
    Harm.LOGIN: "Customers can reach the app and sign in",
    Harm.DATA_EXPOSURE: "No one else sees a customer's records or sessions",
    Harm.DATA_LOSS: "No customer data can be lost",
    Harm.EMAIL: "Invites and password resets arrive",
    Harm.TRUST: "No browser warning or spoofed mail undermines trust",
    Harm.SLOW: "Everyday workflows stay fast",
    Harm.DEPLOY: "Releases are repeatable and can be rolled back",
    Harm.BLIND: "Outages are seen before customers report them",
}


def is_must_fix(f: Finding) -> bool:
    return f.is_problem and f.severity in MUST_FIX_SEVERITIES


def _key(f: Finding) -> tuple[int, int, int, int, int, str, str]:
    return (
        _GROUP[f.status],
        f.severity.order,
        f.harm.order,
        0 if f.status == Status.FAIL else 1,
        list(Stage).index(f.stage),
        f.id,
        f.target,
    )


def rank_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    ordered = sorted(findings, key=_key)
    return tuple(
        replace(f, rank=i, must_fix=is_must_fix(f)) for i, f in enumerate(ordered, start=1)
    )


def _score_of(findings: list[Finding]) -> int | None:
    possible = earned = 0.0
    capped = False
    for f in findings:
        if f.status not in CREDIT:
            continue
        weight = WEIGHTS[f.severity]
        possible += weight
        earned += weight * CREDIT[f.status]
        capped |= f.status == Status.FAIL and f.severity == Severity.BLOCKER
    if possible == 0:
        return None
    value = round(100 * earned / possible)
    return min(value, BLOCKER_CAP) if capped else value


def score(findings: tuple[Finding, ...]) -> Score:
    stages: dict[str, int] = {}
    for stage in Stage:
        value = _score_of([f for f in findings if f.stage == stage])
        if value is not None:
            stages[stage.value] = value
    return Score(overall=_score_of(list(findings)), stages=stages)


def launch_order(ranked: tuple[Finding, ...]) -> tuple[LaunchStep, ...]:
    """Must-fix work grouped by harm, login first, so early steps unblock the first customer."""
    steps: list[LaunchStep] = []
    for harm in Harm:
        items = [f for f in ranked if f.must_fix and f.harm == harm]
        if items:
            steps.append(
                LaunchStep(
                    step=len(steps) + 1,
                    harm=harm,
                    summary=HARM_GOALS[harm],
                    finding_ranks=tuple(f.rank for f in items),
                )
            )
    return tuple(steps)


def band(value: int | None) -> Literal["good", "fair", "poor", "none"]:
    """The score band a renderer colours by; "none" when there is no score."""
    if value is None:
        return "none"
    return "good" if value >= HIGH else "fair" if value >= LOW else "poor"


@dataclass(frozen=True)
class PlanStep:
    """A launch-order step with its must-fix findings resolved from their ranks."""

    number: int
    goal: str
    harm: str
    findings: tuple[Finding, ...]


def launch_plan(report: Report) -> tuple[PlanStep, ...]:
    """The launch order with findings attached; must-fix items no step names come last.

    A report built without a launch order (or with a stale one) must still show every
    must-fix item, so anything left over forms a final catch-all step.
    """
    by_rank = {f.rank: f for f in report.findings}
    steps: list[PlanStep] = []
    placed: set[int] = set()
    for step in report.launch_order:
        found = tuple(by_rank[r] for r in step.finding_ranks if r in by_rank)
        placed.update(f.rank for f in found)
        steps.append(PlanStep(step.step, step.summary, step.harm.value, found))
    rest = tuple(f for f in report.must_fix if f.rank not in placed)
    if rest:
        steps.append(PlanStep(len(steps) + 1, "Everything else that must be fixed", "", rest))
    return tuple(steps)
