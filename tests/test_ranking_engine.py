"""Ranking order, must-fix, scores and launch order; the engine's not-evaluated handling."""

import asyncio
from typing import Any

from launchready.checks.base import Verdict, check
from launchready.checks.registry import Registry
from launchready.config.model import AuditConfig
from launchready.core.findings import Finding, Harm, Severity, Stage, Status
from launchready.core.outcome import Outcome
from launchready.engine import evaluate, gather_all
from launchready.gatherers.base import GatherContext, NoProgress
from launchready.gatherers.network import Network
from launchready.ranking import launch_order, rank_findings, score


def f(
    id: str, status: Status, severity: Severity, harm: Harm, stage: Stage = Stage.EDGE
) -> Finding:
    return Finding(id, stage, status, severity, harm, id, "t", "e", "i", "r", ("https://x",))


def test_severity_first_then_harm_then_fail_before_warn() -> None:
    ranked = rank_findings(
        [
            f("edge.pass", Status.PASS, Severity.BLOCKER, Harm.LOGIN),
            f("edge.trust-high", Status.FAIL, Severity.HIGH, Harm.TRUST),
            f("edge.login-high", Status.FAIL, Severity.HIGH, Harm.LOGIN),
            f("edge.low", Status.FAIL, Severity.LOW, Harm.LOGIN),
            f("edge.blocker", Status.FAIL, Severity.BLOCKER, Harm.BLIND),
            f("edge.exposure-warn", Status.WARN, Severity.HIGH, Harm.DATA_EXPOSURE),
            f("edge.error", Status.ERROR, Severity.BLOCKER, Harm.LOGIN),
        ]
    )
    assert [x.id for x in ranked] == [
        "edge.blocker",
        "edge.login-high",
        "edge.exposure-warn",
        "edge.trust-high",
        "edge.low",
        "edge.error",
        "edge.pass",
    ]
    assert [x.rank for x in ranked] == list(range(1, 8))
    assert {x.id for x in ranked if x.must_fix} == {
        "edge.blocker",
        "edge.login-high",
        "edge.exposure-warn",
        "edge.trust-high",
    }


def test_launch_order_groups_must_fix_by_harm_login_first() -> None:
    ranked = rank_findings(
        [
            f("edge.blocker", Status.FAIL, Severity.BLOCKER, Harm.BLIND),
            f("edge.login", Status.FAIL, Severity.HIGH, Harm.LOGIN),
            f("edge.minor", Status.FAIL, Severity.MEDIUM, Harm.LOGIN),
        ]
    )
    steps = launch_order(ranked)
    assert [s.harm for s in steps] == [Harm.LOGIN, Harm.BLIND]
    by_rank = {x.rank: x.id for x in ranked}
    assert [by_rank[r] for s in steps for r in s.finding_ranks] == ["edge.login", "edge.blocker"]


def test_scores() -> None:
    ranked = rank_findings(
        [
            f("edge.a", Status.PASS, Severity.HIGH, Harm.LOGIN),
            f("edge.b", Status.FAIL, Severity.HIGH, Harm.LOGIN),
            f("deploy.c", Status.WARN, Severity.MEDIUM, Harm.DEPLOY, Stage.DEPLOY),
            f("deploy.d", Status.SKIPPED, Severity.HIGH, Harm.DEPLOY, Stage.DEPLOY),
        ]
    )
    s = score(ranked)
    assert s.stages == {"edge": 50, "deploy": 50}
    assert s.overall == round(100 * (6 + 1.5) / 15)
    capped = score(
        rank_findings(
            [
                f("edge.a", Status.PASS, Severity.HIGH, Harm.LOGIN),
                f("edge.a2", Status.PASS, Severity.HIGH, Harm.LOGIN),
                f("edge.b", Status.FAIL, Severity.BLOCKER, Harm.LOGIN),
            ]
        )
    )
    assert capped.stages["edge"] == 40  # 12/22 = 55, capped by the failing blocker
    assert (
        score(rank_findings([f("edge.x", Status.ERROR, Severity.HIGH, Harm.LOGIN)])).overall is None
    )


@check(
    id="edge.probe",
    stage=Stage.EDGE,
    title="Probe",
    severity=Severity.HIGH,
    harm=Harm.LOGIN,
    reads="edge.test-fact",
    impact="i",
    remediation="r",
    references=["https://x.test"],
)
def probe(value: Any) -> Verdict:
    """Fails on odd numbers."""
    if value == "boom":
        raise ValueError("bad input")
    return Verdict.fail("odd") if value % 2 else Verdict.ok("even")


def test_missing_facts_are_not_evaluated_never_pass() -> None:
    findings = evaluate(
        probe,
        [
            Outcome.ok("edge.test-fact", "a", 1),
            Outcome.ok("edge.test-fact", "b", 2),
            Outcome.error("edge.test-fact", "c", "connection refused"),
            Outcome.skipped("edge.test-fact", "d", "not configured"),
            Outcome.ok("edge.test-fact", "e", "boom"),
        ],
    )
    got = {x.target: (x.status, x.evidence) for x in findings}
    assert got["a"][0] == Status.FAIL and got["b"][0] == Status.PASS
    assert got["c"] == (Status.ERROR, "could not check: connection refused")
    assert got["d"] == (Status.SKIPPED, "not configured")
    assert got["e"][0] == Status.ERROR and "bad input" in got["e"][1]
    assert [x.status for x in evaluate(probe, [])] == [Status.SKIPPED]


class Exploding:
    name = "exploding"
    provides = ("edge.test-fact",)

    async def gather(self, ctx: GatherContext) -> list[Outcome[Any]]:
        raise RuntimeError("kaboom")


def test_a_crashing_gatherer_becomes_errors_for_its_facts() -> None:
    ctx = GatherContext(AuditConfig(), Network(), NoProgress())
    facts = asyncio.run(gather_all([Exploding()], ctx))
    (outcome,) = facts["edge.test-fact"]
    assert outcome.status == "error" and "kaboom" in outcome.reason
    assert Registry([probe]).get("edge.probe") is probe
