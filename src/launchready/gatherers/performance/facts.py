"""The performance stage's facts: what was measured, never whether it is good enough.

Targets and limits from the configuration travel inside the facts so that each check stays
a pure function of one fact.
"""

from __future__ import annotations

from dataclasses import dataclass

from launchready.gatherers.performance.histogram import (
    GeneratorLag,
    HistogramBin,
    LatencySummary,
    TimePoint,
)

ENDPOINT = "performance.endpoint"
CONCURRENCY = "performance.concurrency"
BACKGROUND = "performance.background"
PAYLOAD = "performance.payload"
EMAIL = "performance.email"
QUERY_PLAN = "performance.query-plan"
GENERATOR = "performance.generator"
LOAD_FACTS = (ENDPOINT, CONCURRENCY, BACKGROUND, PAYLOAD, EMAIL, GENERATOR)


@dataclass(frozen=True)
class EndpointLatency:
    """One endpoint under the largest configured number of users at once."""

    name: str
    method: str
    path: str
    kind: str
    target_ms: float
    max_error_rate: float
    users: int
    summary: LatencySummary


@dataclass(frozen=True)
class Level:
    users: int
    summary: LatencySummary


@dataclass(frozen=True)
class ConcurrencyCurve:
    """p95 of one endpoint with 1, 2 … N users sending at once (no think time)."""

    name: str
    kind: str
    target_ms: float
    ratio_limit: float
    levels: tuple[Level, ...]

    def at(self, users: int) -> LatencySummary | None:
        for level in self.levels:
            if level.users == users:
                return level.summary
        return None


@dataclass(frozen=True)
class InterferenceRow:
    endpoint: str
    kind: str
    target_ms: float
    baseline_p95_ms: float  # the same endpoint at 1 user, nothing in the background
    during: LatencySummary


@dataclass(frozen=True)
class Interference:
    """The endpoints, sent at a constant arrival rate (open model, latency from each
    request's intended start), while ``job`` ran back to back."""

    job: str
    path: str
    window_s: float
    job_runs: int  # successful runs of the job completed inside the window
    job_errors: int  # runs that failed (status >= 400, or no answer)
    rows: tuple[InterferenceRow, ...]
    job_statuses: tuple[tuple[str, int], ...] = ()  # the job's answers: ("200", 2), ("404", 3)
    rate: float = 0.0  # requests per second sent to the endpoints meanwhile


@dataclass(frozen=True)
class Payload:
    """One GET of a list endpoint, asking for compression like a browser does."""

    name: str
    path: str
    status: int
    wire_bytes: int
    decoded_bytes: int
    content_type: str
    content_encoding: str | None
    top_level_array: bool
    largest_list: int | None  # items in the biggest JSON array in the answer
    pagination_hint: str | None  # Link rel=next, X-Total-Count, a "next"/"page" key …
    truncated: bool = False  # cut at the probe's size limit: decoded_bytes is a lower bound


@dataclass(frozen=True)
class EmailCoupling:
    """The mail-sending request measured with the SMTP server fast, then slowed."""

    name: str
    path: str
    smtp_delay_s: float
    base: LatencySummary
    slowed: LatencySummary

    @property
    def follows(self) -> float:
        """Seconds of request latency gained per second of SMTP delay (1.0: it waits)."""
        return (self.slowed.p50_ms - self.base.p50_ms) / 1000 / self.smtp_delay_s


@dataclass(frozen=True)
class GeneratorHealth:
    lag: GeneratorLag
    cut_off: int
    requests: int
    duration_s: float


@dataclass(frozen=True)
class PhaseMark:
    label: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class EndpointSeries:
    """What the HTML report draws for one endpoint: latency over time and a histogram."""

    name: str
    kind: str
    target_ms: float
    timeline: tuple[TimePoint, ...]
    histogram: tuple[HistogramBin, ...]


@dataclass(frozen=True)
class PlanNode:
    """One node of a query plan, flattened; ``depth`` keeps the tree's shape."""

    depth: int
    operation: str  # "Seq Scan", "Index Scan", "SCAN", "SEARCH" …
    relation: str | None
    detail: str
    rows: float | None = None
    cost: float | None = None


@dataclass(frozen=True)
class IndexProof:
    """A trial index created inside a rolled-back transaction, and what it changed."""

    statement: str
    method: str  # "rolled-back transaction" or "hypopg"
    cost_before: float | None
    cost_after: float | None
    plan_after: tuple[PlanNode, ...]
    ms_before: float | None = None
    ms_after: float | None = None
    left_behind: bool = False


@dataclass(frozen=True)
class QueryPlanFact:
    sql: str
    dialect: str
    source: str  # "hot_queries" or "pg_stat_statements"
    plan: tuple[PlanNode, ...]
    total_cost: float | None
    table_rows: tuple[tuple[str, int], ...]
    large_table_rows: int
    proof: IndexProof | None
    note: str = ""


SERIES = "performance.series"


@dataclass(frozen=True)
class LoadSeries:
    """Not read by any check: the charts the report draws (through ``Report.extras``)."""

    base_url: str
    marks: tuple[PhaseMark, ...]
    endpoints: tuple[EndpointSeries, ...]
