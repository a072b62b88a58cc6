"""Performance results for ``Report.extras``: plain, JSON-ready, typed with TypedDicts.

The JSON report carries them under "performance"; the HTML report draws them. Both stay
formatters: every number here was measured by the load run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from launchready.core.outcome import Outcome, OutcomeStatus
from launchready.gatherers.performance import facts as F
from launchready.gatherers.performance.histogram import LatencySummary


class SummaryDict(TypedDict):
    count: int
    errors: int
    error_rate: float
    rps: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int]


class EndpointDict(TypedDict):
    name: str
    kind: str
    target_ms: float
    users: int | None
    summary: SummaryDict | None
    timeline: list[list[float]]  # [t_s, p50_ms, p95_ms, max_ms, count, errors]
    histogram: list[list[float]]  # [upper_ms, count]


class PhaseDict(TypedDict):
    label: str
    start_s: float
    end_s: float


class PerformanceExtras(TypedDict):
    base_url: str
    phases: list[PhaseDict]
    endpoints: list[EndpointDict]


def summary_dict(s: LatencySummary) -> SummaryDict:
    return {
        "count": s.count,
        "errors": s.errors,
        "error_rate": round(s.error_rate, 4),
        "rps": s.rps,
        "p50_ms": s.p50_ms,
        "p90_ms": s.p90_ms,
        "p95_ms": s.p95_ms,
        "p99_ms": s.p99_ms,
        "max_ms": s.max_ms,
        "statuses": dict(s.statuses),
    }


def _ok_values(outcomes: list[Outcome[Any]]) -> list[Any]:
    return [o.value for o in outcomes if o.status is OutcomeStatus.OK and o.value is not None]


def performance_extras(facts: Mapping[str, list[Outcome[Any]]]) -> PerformanceExtras | None:
    series = _ok_values(facts.get(F.SERIES, []))
    if not series:
        return None
    run: F.LoadSeries = series[0]
    latest = {e.name: e for e in _ok_values(facts.get(F.ENDPOINT, []))}
    endpoints: list[EndpointDict] = []
    for s in run.endpoints:
        measured: F.EndpointLatency | None = latest.get(s.name)
        endpoints.append(
            {
                "name": s.name,
                "kind": s.kind,
                "target_ms": s.target_ms,
                "users": measured.users if measured else None,
                "summary": summary_dict(measured.summary) if measured else None,
                "timeline": [
                    [p.t_s, p.p50_ms, p.p95_ms, p.max_ms, p.count, p.errors] for p in s.timeline
                ],
                "histogram": [[b.upper_ms, b.count] for b in s.histogram],
            }
        )
    return {
        "base_url": run.base_url,
        "phases": [{"label": m.label, "start_s": m.start_s, "end_s": m.end_s} for m in run.marks],
        "endpoints": endpoints,
    }
