"""Stage ``performance``: does it stay fast with real people on it?

Every check reads one measured fact; targets travel inside the facts (from the config), so
the verdicts here are arithmetic, not I/O.
"""

from __future__ import annotations

from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.core.findings import Harm, Severity, Stage, Status
from launchready.gatherers.performance.facts import (
    BACKGROUND,
    CONCURRENCY,
    EMAIL,
    ENDPOINT,
    GENERATOR,
    PAYLOAD,
    QUERY_PLAN,
    ConcurrencyCurve,
    EmailCoupling,
    EndpointLatency,
    GeneratorHealth,
    Interference,
    Payload,
    QueryPlanFact,
)

ROADMAP = "https://roadmap.sh/backend-performance-best-practices"
K6_THRESHOLDS = "https://grafana.com/docs/k6/latest/using-k6/thresholds/"
OPEN_CLOSED = "https://grafana.com/docs/k6/latest/using-k6/scenarios/concepts/open-vs-closed/"
# A rise smaller than this is not "sharp" to a person, whatever the ratio (3 ms → 6 ms).
MIN_RISE_MS = 20.0
HUGE_BYTES = 1_000_000
UNPAGINATED_ITEMS = 100
COMPRESSIBLE_BYTES = 10_000
INDEX_GAIN = 0.5  # Dexter's rule: recommend an index only when it halves the cost


@check(
    id="performance.endpoint-p95",
    stage=Stage.PERFORMANCE,
    title="Endpoint p95 latency within target",
    severity=Severity.HIGH,
    harm=Harm.SLOW,
    reads=ENDPOINT,
    impact="One request in twenty is slower than the target: the people using the app all "
    "day meet that slowness many times a day, and admin workflows time out.",
    remediation="Profile the endpoint (query plans, N+1 queries, payload size, work that could "
    "be a background job) and cache safe read-heavy data; targets are set per kind in "
    "[performance] (read_p95_ms, write_p95_ms, page_p95_ms) or per endpoint (p95_ms).",
    references=[ROADMAP, K6_THRESHOLDS],
)
def endpoint_p95(m: EndpointLatency) -> Verdict:
    """p95, not the mean: averages hide the slow tail people actually notice."""
    s = m.summary
    where = f"{m.method} {m.path} with {m.users} user{'s' if m.users > 1 else ''} at once"
    if s.count == 0:
        return Verdict.fail(f"{where}: no request completed")
    evidence = f"{where}: {s.brief()}; target p95 < {m.target_ms:.0f} ms ({m.kind})"
    if s.p95_ms > m.target_ms:
        return Verdict.fail(evidence)
    return Verdict.ok(evidence)


@check(
    id="performance.error-rate",
    stage=Stage.PERFORMANCE,
    title="Endpoints answer without errors under load",
    severity=Severity.HIGH,
    harm=Harm.SLOW,
    reads=ENDPOINT,
    impact="Requests that fail under a handful of users are saves lost and pages that break "
    "as soon as the first customers work at the same time.",
    remediation="Look up the failing requests in the server log by status code; common causes "
    "are database lock timeouts, exhausted connection pools and worker timeouts.",
    references=[ROADMAP, K6_THRESHOLDS],
)
def error_rate(m: EndpointLatency) -> Verdict:
    """Status ≥ 400, timeouts and broken connections all count as errors."""
    s = m.summary
    codes = ", ".join(f"{code}: {n}" for code, n in s.statuses)
    evidence = (
        f"{s.errors} of {s.count} requests failed ({s.error_rate:.1%}; limit "
        f"{m.max_error_rate:.1%}); answers: {codes or 'none'}"
    )
    if s.count == 0 or s.error_rate > m.max_error_rate:
        return Verdict.fail(evidence)
    return Verdict.ok(evidence)


@check(
    id="performance.two-users",
    stage=Stage.PERFORMANCE,
    title="Latency holds when two people work at once",
    severity=Severity.HIGH,
    harm=Harm.SLOW,
    reads=CONCURRENCY,
    impact="When a second person works at the same time, everyone waits: the symptom of a "
    "global lock, a single worker process or a serialised database, and it gets worse with "
    "every customer added.",
    remediation="Find what requests queue behind: a process-wide lock around the handler, a "
    "server started with one worker, SQLite without WAL or a long transaction; make the "
    "update atomic in the database (UPDATE … SET col = ? WHERE id = ?) instead of locking.",
    references=[ROADMAP, OPEN_CLOSED],
)
def two_users(c: ConcurrencyCurve) -> Verdict:
    """Flag p95 at 2 users above ``ratio_limit`` × p95 at 1 user, when the rise is material."""
    one, two = c.at(1), c.at(2)
    curve = ", ".join(f"{lv.users} → {lv.summary.p95_ms:.0f} ms" for lv in c.levels)
    evidence = f"p95 by users at once: {curve}"
    # Not measured is not fine: without both levels there is nothing to compare.
    if one is None or two is None:
        missing = "1 user" if one is None else "2 users"
        return Verdict(Status.SKIPPED, f"{evidence}; {missing} not measured")
    if one.count == 0 or two.count == 0:
        empty = "1 user" if one.count == 0 else "2 users"
        return Verdict(Status.ERROR, f"{evidence}; no request completed with {empty}")
    ratio = two.p95_ms / max(one.p95_ms, 0.001)
    rise = two.p95_ms - one.p95_ms
    evidence += f"; 2 users = {ratio:.2f} × 1 user (limit {c.ratio_limit:g} ×)"
    if ratio > c.ratio_limit and rise >= max(MIN_RISE_MS, 0.1 * c.target_ms):
        return Verdict.fail(evidence)
    return Verdict.ok(evidence)


@check(
    id="performance.background-jobs",
    stage=Stage.PERFORMANCE,
    title="Requests stay fast while a background job runs",
    severity=Severity.HIGH,
    harm=Harm.SLOW,
    reads=BACKGROUND,
    impact="While someone runs the export (or another heavy job), everyone else's clicks "
    "stall: a daily job becomes a daily outage.",
    remediation="Run the job outside the request path (a queue worker), read in small "
    "batches with short transactions, use WAL (SQLite) or a read replica, and stream the "
    "result instead of holding locks for the whole run.",
    references=[ROADMAP, "https://www.sqlite.org/wal.html"],
)
def background_jobs(bg: Interference) -> Iterator[Verdict]:
    """Fail past the endpoint's target; warn when p95 more than doubles within it.

    The requests arrived at a constant rate (open model), each timed from when it was due,
    so a stall counts for every request that should have been sent during it."""
    runs = f"{bg.job_runs} run{'s' if bg.job_runs != 1 else ''} completed"
    if bg.job_errors:
        runs += f", {bg.job_errors} failed"
    sent = f"; {bg.rate:g} requests/s sent on schedule" if bg.rate else ""
    job = f"while {bg.job} ({bg.path}) ran for {bg.window_s:g} s ({runs}{sent})"
    for row in bg.rows:
        during = row.during
        target = f"{row.endpoint} (target p95 < {row.target_ms:.0f} ms)"
        evidence = (
            f"{job}: p95 {during.p95_ms:.0f} ms (max {during.max_ms:.0f} ms, "
            f"{during.count} requests) against {row.baseline_p95_ms:.0f} ms alone"
        )
        if during.count == 0:
            yield Verdict.fail(f"{job}: no request completed", target=target)
        elif during.p95_ms > row.target_ms:
            yield Verdict.fail(evidence, target=target)
        elif during.p95_ms > 2 * row.baseline_p95_ms and during.p95_ms - row.baseline_p95_ms >= max(
            MIN_RISE_MS, 0.25 * row.target_ms
        ):
            yield Verdict.warn(evidence, target=target, severity=Severity.MEDIUM)
        else:
            yield Verdict.ok(evidence, target=target)


@check(
    id="performance.payload",
    stage=Stage.PERFORMANCE,
    title="List endpoints are paginated and compressed",
    severity=Severity.MEDIUM,
    harm=Harm.SLOW,
    reads=PAYLOAD,
    impact="Lists that send every record, uncompressed, grow with each customer's data until "
    "pages crawl on ordinary connections and phones.",
    remediation="Paginate list endpoints (limit/offset or cursor, with a next link), return "
    "only the columns the list shows, and enable gzip or brotli for JSON and HTML.",
    references=[
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Compression",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Link",
    ],
)
def payload(p: Payload) -> Verdict:
    """Huge bodies, unpaginated lists and missing compression, each named in the evidence."""
    problems = []
    if p.decoded_bytes > HUGE_BYTES:
        problems.append(f"huge: {p.decoded_bytes / 1e6:.1f} MB")
    items = p.largest_list or 0
    if items > UNPAGINATED_ITEMS and p.pagination_hint is None:
        problems.append(f"no pagination: {items} items in one answer")
    textual = any(t in p.content_type for t in ("json", "text", "xml", "javascript"))
    if textual and p.decoded_bytes > COMPRESSIBLE_BYTES and not p.content_encoding:
        problems.append("no compression although the request accepted gzip")
    at_least = "at least " if p.truncated else ""  # the probe keeps no more than its limit
    size = f"{p.wire_bytes:,} bytes on the wire, {at_least}{p.decoded_bytes:,} decoded" + (
        " (the probe's size limit)" if p.truncated else ""
    )
    evidence = f"GET {p.path} → {p.status}, {size}" + (
        f", {items} items" if p.largest_list is not None else ""
    )
    if p.pagination_hint:
        evidence += f", paginated ({p.pagination_hint})"
    if p.content_encoding:
        evidence += f", {p.content_encoding}"
    if not problems:
        return Verdict.ok(evidence)
    evidence += "; " + "; ".join(problems)
    if len(problems) > 1 or p.decoded_bytes > HUGE_BYTES:
        return Verdict.fail(evidence)
    return Verdict.warn(evidence, severity=Severity.LOW)


def _plan_text(q: QueryPlanFact) -> str:
    return " / ".join(f"{'  ' * n.depth}{n.detail or n.operation}".strip() for n in q.plan)


@check(
    id="performance.query-plan",
    stage=Stage.PERFORMANCE,
    title="Hot queries use an index, not a full scan of a large table",
    severity=Severity.HIGH,
    harm=Harm.SLOW,
    reads=QUERY_PLAN,
    impact="A full scan reads the whole table on every request: fine with test data, slow "
    "with the first customers' history, and it gets slower every day the table grows.",
    remediation="Create the index shown in the evidence (its effect was proven on the "
    "database with a trial index that was rolled back); on PostgreSQL use CREATE INDEX "
    "CONCURRENTLY in the migration so writes are not blocked while it builds.",
    references=[
        "https://www.postgresql.org/docs/current/using-explain.html",
        "https://www.sqlite.org/eqp.html",
        "https://github.com/ankane/dexter",
    ],
)
def query_plan(q: QueryPlanFact) -> Verdict:
    """Large = at least ``large_table_rows`` rows; an index counts as proven when it halves
    the planner's cost (PostgreSQL) or turns SCAN into SEARCH (SQLite, which has no costs)."""
    large = [(t, n) for t, n in q.table_rows if n >= q.large_table_rows]
    plan = f"plan: {_plan_text(q)}" + (f" (total cost {q.total_cost:,.0f})" if q.total_cost else "")
    if not large:
        scanned = ", ".join(f"{t} ({n:,} rows)" for t, n in q.table_rows)
        suffix = f"; full scans only of small tables: {scanned}" if scanned else ""
        return Verdict.ok(plan + suffix)
    tables = ", ".join(f"{t} ({n:,} rows)" for t, n in large)
    evidence = f"full scan of {tables} ({q.source}); {plan}"
    proof = q.proof
    # Dexter's rule: only a proven index is a must-fix; the rest is a lead to follow.
    if proof is None:
        note = q.note or "no index could be proposed"
        return Verdict.warn(f"{evidence}; {note}", severity=Severity.MEDIUM)
    after = " / ".join(n.detail or n.operation for n in proof.plan_after)
    evidence += f"; with `{proof.statement}` ({proof.method}): {after}"
    gained = False
    if proof.cost_before is not None and proof.cost_after is not None:
        evidence += f"; cost {proof.cost_before:,.0f} → {proof.cost_after:,.0f}"
        gained = proof.cost_after <= INDEX_GAIN * proof.cost_before
    else:
        gained = any(n.operation == "SEARCH" for n in proof.plan_after)
    if proof.ms_before is not None and proof.ms_after is not None:
        evidence += f"; measured {proof.ms_before:.1f} ms → {proof.ms_after:.1f} ms"
    evidence += (
        "; WARNING: the trial index was left behind"
        if proof.left_behind
        else "; the trial was rolled back, nothing left behind"
    )
    if gained:
        return Verdict.fail(evidence)
    return Verdict.warn(
        evidence + "; the index did not help enough to recommend it", severity=Severity.LOW
    )


@check(
    id="performance.email-in-request",
    stage=Stage.PERFORMANCE,
    title="Sending email does not hold the request",
    severity=Severity.HIGH,
    harm=Harm.EMAIL,
    reads=EMAIL,
    impact="The request waits for the whole SMTP conversation: a slow or unreachable mail "
    "provider makes password resets and invites slow, or fail with a server error.",
    remediation="Move email sending into a queue job (a worker with retries and backoff); the "
    "request only records the message and answers at once.",
    references=[ROADMAP, "https://www.rfc-editor.org/rfc/rfc5321#section-4.5.3.2"],
)
def email_in_request(e: EmailCoupling) -> Verdict:
    """When the request's latency rises by half the added SMTP delay or more, it waits."""
    evidence = (
        f"{e.name} ({e.path}): p50 {e.base.p50_ms:.0f} ms with the mail server fast, "
        f"{e.slowed.p50_ms:.0f} ms with it {e.smtp_delay_s * 1000:.0f} ms slower "
        f"({e.follows:.0%} of the delay reached the request)"
    )
    if e.base.count == 0 or e.slowed.count == 0:
        return Verdict.fail(f"{evidence}; requests did not complete")
    if e.follows >= 0.5:
        return Verdict.fail(evidence)
    return Verdict.ok(evidence)


@check(
    id="performance.generator-lag",
    stage=Stage.PERFORMANCE,
    title="The load generator kept up",
    severity=Severity.LOW,
    harm=Harm.SLOW,
    reads=GENERATOR,
    impact="When the generator itself runs late, its latencies include its own delay: the "
    "measurement is then an upper bound, not the app's latency.",
    remediation="Run the audit on a less busy machine, or lower the rate or user count.",
    references=["https://github.com/giltene/wrk2", "https://hdrhistogram.github.io/HdrHistogram/"],
)
def generator_lag(g: GeneratorHealth) -> Verdict:
    """Reported, never hidden: lag above 10 ms at p99, or requests cut off at the drain."""
    evidence = f"{g.requests} requests in {g.duration_s:g} s; {g.lag.brief()}" + (
        f"; {g.cut_off} requests cut off" if g.cut_off else ""
    )
    if g.lag.p99_ms > 10 or g.cut_off:
        return Verdict.warn(evidence)
    return Verdict.ok(evidence)
