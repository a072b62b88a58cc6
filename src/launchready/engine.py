"""The audit pipeline: configuration → gatherers → checks → ranking → a ``Report``.

Renderers receive only the report; nothing here formats output.

Importing this module must stay cheap: ``launchready secrets scan`` runs as a pre-commit
hook and uses ``evaluate`` and ``build_report``, so the gatherers (HTTP, DNS, SQL stacks,
~1.5 s of imports) are loaded only inside ``run_audit``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from launchready import __version__
from launchready.checks.base import Check, Verdict
from launchready.checks.registry import Registry, load_registry
from launchready.core.findings import Finding, Report, Severity, Stage, Status
from launchready.core.outcome import Outcome, OutcomeStatus
from launchready.ranking import launch_order, rank_findings, score

if TYPE_CHECKING:
    from launchready.config.model import AuditConfig
    from launchready.gatherers.base import GatherContext, Gatherer, Progress
    from launchready.gatherers.network import Network


def _finding(
    c: Check,
    target: str,
    status: Status,
    evidence: str,
    severity: Severity | None = None,
    v: Verdict | None = None,
) -> Finding:
    return Finding(
        id=c.id,
        stage=c.stage,
        status=status,
        severity=severity or c.severity,
        harm=c.harm,
        title=c.title,
        target=target,
        evidence=evidence,
        impact=c.impact,
        remediation=c.remediation,
        references=c.references,
        commit=v.commit if v else None,
        fingerprint=v.fingerprint if v else None,
    )


def evaluate(c: Check, outcomes: Iterable[Outcome[Any]]) -> list[Finding]:
    """Apply one check to every outcome of the fact it reads.

    A missing fact yields "error"/"skipped" with the gatherer's reason — never "pass".
    """
    findings: list[Finding] = []
    seen = False
    for outcome in outcomes:
        seen = True
        if outcome.status is OutcomeStatus.ERROR:
            findings.append(
                _finding(c, outcome.target, Status.ERROR, f"could not check: {outcome.reason}")
            )
            continue
        if outcome.status is OutcomeStatus.SKIPPED:
            findings.append(_finding(c, outcome.target, Status.SKIPPED, outcome.reason))
            continue
        try:
            verdicts = c.evaluate(outcome.value)
        except Exception as exc:  # noqa: BLE001 - a buggy check must not sink the audit
            findings.append(
                _finding(
                    c,
                    outcome.target,
                    Status.ERROR,
                    f"check failed internally: {type(exc).__name__}: {exc}",
                )
            )
            continue
        for v in verdicts:
            findings.append(
                _finding(c, v.target or outcome.target, v.status, v.evidence, v.severity, v)
            )
    if not seen:
        findings.append(_finding(c, "-", Status.SKIPPED, f"no gatherer provided {c.reads}"))
    return findings


async def gather_all(
    gatherers: list[Gatherer], ctx: GatherContext
) -> dict[str, list[Outcome[Any]]]:
    async def run(g: Gatherer) -> list[Outcome[Any]]:
        try:
            return await g.gather(ctx)
        except Exception as exc:  # noqa: BLE001 - becomes "could not check" for its facts
            reason = f"{g.name} gatherer failed: {type(exc).__name__}: {exc}"
            return [Outcome.error(fact, "-", reason) for fact in g.provides]

    facts: dict[str, list[Outcome[Any]]] = {}
    for outcomes in await asyncio.gather(*(run(g) for g in gatherers)):
        for o in outcomes:
            facts.setdefault(o.fact, []).append(o)
    return facts


def describe_target(config: AuditConfig) -> str:
    parts = [*config.web.urls]
    if config.web.domain and not parts:
        parts.append(config.web.domain)
    if config.repo.path:
        parts.append(config.resolve_path(config.repo.path))
    return ", ".join(parts) or "-"


async def run_audit(
    config: AuditConfig,
    stages: Iterable[Stage],
    *,
    progress: Progress | None = None,
    registry: Registry | None = None,
    network: Network | None = None,
    timeout_s: float | None = None,
) -> Report:
    """``timeout_s`` overrides ``[network] timeout_s``, the per-target limit."""
    from launchready.gatherers.base import GatherContext, NoProgress
    from launchready.gatherers.catalog import providers_of, report_extras
    from launchready.gatherers.network import Network

    registry = registry or load_registry()
    stages = tuple(stages)
    checks = registry.for_stages(stages)
    network = network or Network.from_config(config.network, config.base_dir)
    limit = timeout_s or config.network.timeout_s
    ctx = GatherContext(config, network, progress or NoProgress(), limit)
    started = datetime.now(UTC)
    clock = time.perf_counter()
    facts = await gather_all(providers_of({c.reads for c in checks}), ctx)
    findings = [f for c in checks for f in evaluate(c, facts.get(c.reads, []))]
    return build_report(
        describe_target(config),
        stages,
        findings,
        started,
        time.perf_counter() - clock,
        report_extras(facts),
    )


def build_report(
    target: str,
    stages: Iterable[Stage],
    findings: Iterable[Finding],
    started: datetime,
    duration_s: float,
    extras: Mapping[str, object] | None = None,
) -> Report:
    """The one place a ``Report`` is assembled: ranks, must-fix, launch order and scores
    from the findings, plus the tool's name and version and when the run started."""
    ranked = rank_findings(list(findings))
    return Report(
        tool_name="launchready",
        tool_version=__version__,
        target=target,
        started_at=started.isoformat(timespec="seconds"),
        duration_s=round(duration_s, 3),
        score=score(ranked),
        findings=ranked,
        launch_order=launch_order(ranked),
        stages_run=tuple(stages),
        extras=dict(extras or {}),
    )
