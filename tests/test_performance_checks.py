"""The performance checks as pure functions of plain facts."""

from __future__ import annotations

from launchready.checks import performance as P
from launchready.core.findings import Severity, Status
from launchready.gatherers.performance.facts import (
    ConcurrencyCurve,
    EmailCoupling,
    EndpointLatency,
    GeneratorHealth,
    IndexProof,
    Interference,
    InterferenceRow,
    Level,
    Payload,
    PlanNode,
    QueryPlanFact,
)
from launchready.gatherers.performance.histogram import GeneratorLag, LatencySummary


def s(p95: float, p50: float | None = None, count: int = 100, errors: int = 0) -> LatencySummary:
    p50 = p95 / 2 if p50 is None else p50
    return LatencySummary(
        count, errors, p50, p95 * 0.9, p95, p95 * 1.1, p95 * 1.2, p50, 10.0, (("200", count),)
    )


def status(check: object, fact: object) -> list[Status]:
    return [v.status for v in check.evaluate(fact)]  # type: ignore[attr-defined]


def test_endpoint_p95_against_its_target() -> None:
    fast = EndpointLatency("list", "GET", "/x", "read", 300, 0.01, 8, s(120))
    slow = EndpointLatency("list", "GET", "/x", "read", 300, 0.01, 8, s(450))
    assert status(P.endpoint_p95, fast) == [Status.PASS]
    assert status(P.endpoint_p95, slow) == [Status.FAIL]
    assert "450 ms" in P.endpoint_p95.evaluate(slow)[0].evidence


def test_error_rate_limit() -> None:
    bad = EndpointLatency("save", "POST", "/x", "write", 500, 0.01, 2, s(50, errors=5))
    assert status(P.error_rate, bad) == [Status.FAIL]


def curve(one: float, two: float) -> ConcurrencyCurve:
    return ConcurrencyCurve(
        "save", "write", 500, 1.5, (Level(1, s(one)), Level(2, s(two)), Level(8, s(two * 4)))
    )


def test_two_users_flags_a_serialised_endpoint_but_not_noise() -> None:
    assert status(P.two_users, curve(55, 110)) == [Status.FAIL]
    assert status(P.two_users, curve(55, 60)) == [Status.PASS]
    # 3 ms → 7 ms is a big ratio but no person notices it.
    assert status(P.two_users, curve(3, 7)) == [Status.PASS]


def test_background_job_slowing_requests_beyond_target() -> None:
    rows = (
        InterferenceRow("list", "read", 300, 5, s(8)),
        InterferenceRow("save", "write", 500, 54, s(1500)),
        InterferenceRow("activity", "read", 300, 20, s(200)),
    )
    verdicts = P.background_jobs.evaluate(Interference("csv export", "/e.csv", 5, 1, 0, rows))
    assert [v.status for v in verdicts] == [Status.PASS, Status.FAIL, Status.WARN]
    assert "csv export" in verdicts[1].evidence


def payload(**kw: object) -> Payload:
    base: dict[str, object] = dict(
        name="clients",
        path="/api/clients",
        status=200,
        wire_bytes=257_000,
        decoded_bytes=257_000,
        content_type="application/json",
        content_encoding=None,
        top_level_array=True,
        largest_list=500,
        pagination_hint=None,
    )
    return Payload(**(base | kw))  # type: ignore[arg-type]


def test_payload_unpaginated_and_uncompressed() -> None:
    assert status(P.payload, payload()) == [Status.FAIL]
    fixed = payload(
        wire_bytes=1900,
        decoded_bytes=9600,
        content_encoding="gzip",
        top_level_array=False,
        largest_list=50,
        pagination_hint="Link: rel=next",
    )
    assert status(P.payload, fixed) == [Status.PASS]


def plan(proof: IndexProof | None, rows: int = 120_000) -> QueryPlanFact:
    nodes = (PlanNode(0, "SCAN", "activity_logs", "SCAN activity_logs"),)
    return QueryPlanFact(
        "SELECT * FROM activity_logs WHERE client_id = 42",
        "sqlite",
        "hot_queries",
        nodes,
        None,
        (("activity_logs", rows),),
        10_000,
        proof,
    )


def test_query_plan_recommends_a_proven_index() -> None:
    after = (PlanNode(0, "SEARCH", "activity_logs", "SEARCH activity_logs USING INDEX i"),)
    proof = IndexProof(
        "CREATE INDEX i ON activity_logs (client_id)",
        "rolled-back transaction",
        None,
        None,
        after,
        4.5,
        0.1,
    )
    verdict = P.query_plan.evaluate(plan(proof))[0]
    assert verdict.status is Status.FAIL
    assert "client_id" in verdict.evidence and "nothing left behind" in verdict.evidence
    assert status(P.query_plan, plan(None, rows=300)) == [Status.PASS]
    pg = IndexProof("CREATE INDEX i ON t (c)", "hypopg", 2000.0, 1500.0, after)
    assert status(P.query_plan, plan(pg)) == [Status.WARN]  # a 25% gain is not enough


def test_email_inside_the_request() -> None:
    coupled = EmailCoupling("reset", "/password-reset", 0.25, s(10, 5), s(270, 260))
    queued = EmailCoupling("reset", "/password-reset", 0.25, s(10, 5), s(12, 6))
    assert status(P.email_in_request, coupled) == [Status.FAIL]
    assert status(P.email_in_request, queued) == [Status.PASS]


def test_generator_lag_is_reported() -> None:
    busy = GeneratorHealth(GeneratorLag(100, 1.0, 25.0, 40.0), 0, 100, 5.0)
    assert status(P.generator_lag, busy) == [Status.WARN]


def test_two_users_is_not_passed_without_both_levels() -> None:
    only_eight = ConcurrencyCurve("save", "write", 500, 1.5, (Level(1, s(55)), Level(8, s(400))))
    [verdict] = P.two_users.evaluate(only_eight)
    assert verdict.status is Status.SKIPPED and "2 users not measured" in verdict.evidence
    empty = ConcurrencyCurve("save", "write", 500, 1.5, (Level(1, s(55)), Level(2, s(0, count=0))))
    [verdict] = P.two_users.evaluate(empty)
    assert (
        verdict.status is Status.ERROR and "no request completed with 2 users" in verdict.evidence
    )


def test_two_users_needs_a_rise_of_20_ms_and_a_tenth_of_the_target() -> None:
    # 100 → 180 ms is 1.8 × and +80 ms, but a page's target is 2 s: under 10% of it.
    page = ConcurrencyCurve("home", "page", 2000, 1.5, (Level(1, s(100)), Level(2, s(180))))
    assert status(P.two_users, page) == [Status.PASS]
    slower = ConcurrencyCurve("home", "page", 2000, 1.5, (Level(1, s(100)), Level(2, s(320))))
    assert status(P.two_users, slower) == [Status.FAIL]


def test_background_evidence_names_the_jobs_failures_and_the_rate() -> None:
    rows = (InterferenceRow("save", "write", 500, 54, s(1400)),)
    bg = Interference("csv export", "/e.csv", 5, 2, 1, rows, (("200", 2), ("500", 1)), 24.0)
    [verdict] = P.background_jobs.evaluate(bg)
    assert verdict.status is Status.FAIL
    assert "2 runs completed, 1 failed" in verdict.evidence
    assert "24 requests/s" in verdict.evidence


def test_query_plan_leads_without_a_proven_index_are_not_must_fix() -> None:
    [no_index] = P.query_plan.evaluate(plan(None))
    assert no_index.status is Status.WARN and no_index.severity is Severity.MEDIUM
    after = (PlanNode(0, "Index Scan", "t", "Index Name: i"),)
    weak = IndexProof("CREATE INDEX i ON t (c)", "hypopg", 2000.0, 1500.0, after)
    [not_enough] = P.query_plan.evaluate(plan(weak))
    assert not_enough.status is Status.WARN and not_enough.severity is Severity.LOW


def test_facts_do_not_reach_into_the_engine() -> None:
    import ast
    from pathlib import Path

    from launchready.gatherers.performance import facts

    tree = ast.parse(Path(facts.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "launchready.gatherers.performance.engine" not in imported
