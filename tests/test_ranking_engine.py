"""Ranking order, must-fix, scores and launch order; the engine's not-evaluated handling."""

import asyncio
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

from launchready import __version__
from launchready.checks.base import Verdict, check
from launchready.checks.registry import Registry
from launchready.config.model import AuditConfig
from launchready.core.findings import Finding, Harm, Severity, Stage, Status
from launchready.core.outcome import Outcome
from launchready.engine import build_report, evaluate, gather_all
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


def test_build_report_ranks_scores_and_stamps_the_findings() -> None:
    started = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    findings = [
        f("edge.low", Status.FAIL, Severity.LOW, Harm.LOGIN),
        f("edge.ok", Status.PASS, Severity.HIGH, Harm.TRUST),
        f("edge.blocker", Status.FAIL, Severity.BLOCKER, Harm.BLIND),
    ]
    report = build_report("https://x.test", [Stage.EDGE], findings, started, 1.23456, {"k": [1]})
    assert (report.tool_name, report.tool_version) == ("launchready", __version__)
    assert (report.target, report.stages_run) == ("https://x.test", (Stage.EDGE,))
    assert (report.started_at, report.duration_s) == ("2026-01-02T03:04:05+00:00", 1.235)
    assert [(x.id, x.rank) for x in report.findings] == [
        ("edge.blocker", 1),
        ("edge.low", 2),
        ("edge.ok", 3),
    ]
    assert report.must_fix == (report.findings[0],)
    assert report.score == score(report.findings)
    assert report.launch_order == launch_order(report.findings)
    assert report.extras == {"k": [1]}


def _loaded_after(statement: str) -> list[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return run.stdout.split()


def test_the_engine_loads_no_gatherer_until_an_audit_runs() -> None:
    """`launchready secrets scan` (a pre-commit hook) uses the engine: importing it must not
    pull in the HTTP, DNS and SQL stacks of the other stages (~1.5 s of start-up)."""
    heavy = {"aiohttp", "dns", "sqlalchemy", "psycopg", "starlette", "uvicorn"}
    loaded = _loaded_after("import launchready.engine")
    assert [m for m in loaded if m.startswith("launchready.gatherers")] == []
    assert [m for m in loaded if m.split(".")[0] in heavy] == []
    loaded = _loaded_after("import launchready.cli.secrets")
    assert "launchready.engine" in loaded
    stages = {m.split(".")[2] for m in loaded if m.startswith("launchready.gatherers.")}
    assert stages == {"secrets"}
    assert [m for m in loaded if m.split(".")[0] in heavy] == []


def test_building_the_cli_parser_loads_no_network_stack() -> None:
    """`launchready --version`, `--help` and every usage error build the whole parser: the
    commands' HTTP, DNS, SQL and IMAP stacks load only when a command runs."""
    heavy = {"aiohttp", "dns", "sqlalchemy", "psycopg", "starlette", "uvicorn", "imapclient"}
    loaded = _loaded_after("from launchready.cli.main import build_parser; build_parser()")
    assert "launchready.cli.loadtest" in loaded and "launchready.cli.email" in loaded
    stages = {m.split(".")[2] for m in loaded if m.startswith("launchready.gatherers.")}
    assert stages <= {"secrets"}
    assert [m for m in loaded if m.split(".")[0] in heavy] == []
