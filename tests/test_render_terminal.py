"""The terminal report: text from the audited site stays text, the launch order is the
one every renderer shows, and scores are coloured by the shared bands."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from launchready.core.findings import Finding, Harm, Report, Severity, Stage, Status
from launchready.engine import build_report
from launchready.ranking import HIGH, LOW, band
from launchready.renderers import html
from launchready.renderers.terminal import _score_text, render


def finding(target: str, severity: Severity, harm: Harm = Harm.DEPLOY, **kw: str) -> Finding:
    return Finding(
        kw.get("id", "deploy.required-env"),
        Stage.DEPLOY,
        Status.FAIL,
        severity,
        harm,
        kw.get("title", "Every environment sets the variables the app needs"),
        target,
        kw.get("evidence", "STRIPE_KEY is missing"),
        "impact",
        "Set it in [deploy] required_env.",
        ("https://x.test/doc",),
    )


def report_of(*findings: Finding, target: str = "https://app.acme.test/") -> Report:
    return build_report(target, (Stage.DEPLOY,), findings, datetime(2026, 1, 1, tzinfo=UTC), 1.0)


def test_bracketed_targets_are_shown_as_written() -> None:
    report = report_of(
        finding("app/[slug]/page.tsx:12", Severity.HIGH),
        finding("[/x]", Severity.LOW, id="deploy.lockfile", title="A lockfile"),
        target="https://app.acme.test/[team]/",
    )
    text = render(report, width=200)
    assert "app/[slug]/page.tsx:12" in text  # rich markup would print app//page.tsx:12
    assert "[/x]" in text  # ... and fail on a closing tag nothing opened
    assert "https://app.acme.test/[team]/" in text
    assert "Fix: Set it in [deploy] required_env." in text


def test_must_fix_no_step_names_still_shown_without_a_key_error() -> None:
    report = report_of(finding("web", Severity.HIGH, Harm.LOGIN))
    assert report.must_fix
    stale = replace(
        report,
        launch_order=(replace(report.launch_order[0], finding_ranks=(1, 99)),),
    )
    assert "Step 1 — Customers can reach the app and sign in (login)" in render(stale)
    empty = render(replace(report, launch_order=()))
    assert "Step 1 — Everything else that must be fixed" in empty
    assert "STRIPE_KEY is missing" in empty


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "none"), (0, "poor"), (LOW - 1, "poor"), (LOW, "fair"), (HIGH - 1, "fair")]
    + [(HIGH, "good"), (100, "good")],
)
def test_one_set_of_score_bands(value: int | None, expected: str) -> None:
    assert (LOW, HIGH) == (50, 80)
    assert band(value) == expected
    assert html.band is band


def test_terminal_colours_scores_by_the_shared_bands() -> None:
    assert _score_text(85).style == "bold green"  # 80+ is good in the HTML report too
    assert _score_text(55).style == "bold yellow"
    assert _score_text(45).style == "bold red"
