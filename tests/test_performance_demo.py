"""The performance stage end to end on the flawed demo app: each planted problem is found.

(The fixed variant's clean bill is asserted by tests/test_demo.py: no must-fix, no error.)
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator

import pytest

from launchready.config import load_config
from launchready.core.findings import Report, Stage, Status
from launchready.engine import run_audit
from launchready.renderers import renderer
from launchready.sandbox.environment import Sandbox


@pytest.fixture(scope="module")
def report() -> Iterator[Report]:
    with Sandbox(fixed=False) as sandbox:
        config = load_config(sandbox.config_path)
        yield asyncio.run(run_audit(config, [Stage.PERFORMANCE]))


def failing(report: Report, check_id: str) -> dict[str, str]:
    return {
        f.target: f.evidence
        for f in report.findings
        if f.id == check_id and f.status is Status.FAIL
    }


def test_the_serialised_update_is_flagged_by_the_two_users_check(report: Report) -> None:
    assert set(failing(report, "performance.two-users")) == {"update client"}


def test_the_export_is_flagged_for_slowing_requests(report: Report) -> None:
    flagged = failing(report, "performance.background-jobs")
    [update] = [evidence for target, evidence in flagged.items() if target.startswith("update")]
    assert all("csv export" in evidence for evidence in flagged.values())
    # Updates wait for the export's read lock: not a borderline p95 but a stall, counted for
    # every update that was due during it (target 500 ms).
    p95 = re.search(r"p95 (\d+) ms", update)
    assert p95 is not None and int(p95.group(1)) >= 1000, update


def test_activity_logs_get_an_index_on_client_id_with_before_and_after(report: Report) -> None:
    [evidence] = failing(report, "performance.query-plan").values()
    assert "ON activity_logs (client_id)" in evidence
    assert "SCAN activity_logs" in evidence and "SEARCH activity_logs USING INDEX" in evidence
    assert "ms →" in evidence and "nothing left behind" in evidence


def test_the_synchronous_reset_email_is_flagged(report: Report) -> None:
    assert set(failing(report, "performance.email-in-request")) == {"/password-reset"}
    assert "/api/clients" in failing(report, "performance.payload")


def test_nothing_could_not_be_checked_and_charts_reach_the_reports(report: Report) -> None:
    assert not [f for f in report.findings if f.status in (Status.ERROR, Status.SKIPPED)]
    data = json.loads(renderer("json")(report))["performance"]
    names = [e["name"] for e in data["endpoints"]]
    assert names == ["client list", "client activity", "update client"]
    assert all(
        e["timeline"] and e["histogram"] and e["summary"]["p95_ms"] > 0 for e in data["endpoints"]
    )
    html = renderer("html")(report)
    assert html.count("<svg") == 6 and "<script" not in html
    assert "<polyline" in html and "Latency under load" in html
