"""Markdown, HTML, SARIF and JUnit renderers, fed a report built from plain findings."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from launchready.core.findings import Finding, Harm, Report, Severity, Stage, Status
from launchready.engine import build_report
from launchready.ranking import score
from launchready.renderers import html, junit, markdown, renderer, sarif

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
LONG_URL = (
    "https://app.acme.test/api/clients?include=activity,invites,exports"
    "&page=1&per_page=500&sort=-updated_at&token=averyveryverylongopaquetokenwithoutanybreaks"
)
XSS = "<script>alert('owned')</script>"


def _finding(
    check_id: str,
    status: Status,
    severity: Severity,
    harm: Harm,
    title: str,
    target: str,
    **kw: Any,
) -> Finding:
    stage = Stage(check_id.split(".")[0])
    defaults: dict[str, Any] = {
        "evidence": f"measured for {title}",
        "impact": f"impact of {title}",
        "remediation": f"fix for {title}",
        "references": (f"https://docs.example/{check_id}",),
    }
    return Finding(check_id, stage, status, severity, harm, title, target, **(defaults | kw))


FINDINGS = [
    # Rank 1 (blocker) but step 2 of the launch order: login comes before data exposure.
    _finding(
        "secrets.aws-key",
        Status.FAIL,
        Severity.BLOCKER,
        Harm.DATA_EXPOSURE,
        "AWS access key committed",
        "config/settings.py:42",
        evidence=f"AKIA************MPLE | found next to {XSS}\x1b[31m",
        fingerprint="fp-aws-1234",
        commit="0badc0de",
        references=("javascript:alert(1)", "https://docs.example/aws"),
    ),
    _finding(
        "edge.cert-expiry",
        Status.FAIL,
        Severity.HIGH,
        Harm.LOGIN,
        "Certificate expires in 3 days",
        LONG_URL,
        evidence="notAfter=2025-01-04T00:00:00Z; " + "x" * 160,
    ),
    _finding(
        "email.dmarc-policy",
        Status.WARN,
        Severity.HIGH,
        Harm.EMAIL,
        "DMARC policy is none",
        "acme.test",
    ),
    _finding(
        "edge.hsts",
        Status.WARN,
        Severity.MEDIUM,
        Harm.TRUST,
        "HSTS max-age is short",
        "https://app.acme.test/",
    ),
    _finding(
        "deploy.lockfile",
        Status.FAIL,
        Severity.LOW,
        Harm.DEPLOY,
        "No lockfile",
        "requirements.txt",
    ),
    _finding(
        "observability.request-id",
        Status.FAIL,
        Severity.INFO,
        Harm.BLIND,
        "No request id header",
        "https://app.acme.test/api/clients",
    ),
    _finding(
        "performance.read-p95",
        Status.ERROR,
        Severity.HIGH,
        Harm.SLOW,
        "Read p95 under 300 ms",
        "GET /api/clients",
        evidence="connect timeout | after 10 s\nretried once",
    ),
    _finding(
        "email.dkim",
        Status.SKIPPED,
        Severity.MEDIUM,
        Harm.EMAIL,
        "DKIM key strength",
        "acme.test",
        evidence="no DKIM selector configured",
    ),
    _finding(
        "edge.tls-versions",
        Status.PASS,
        Severity.HIGH,
        Harm.TRUST,
        "TLS 1.2+ only",
        "app.acme.test:443",
    ),
    _finding(
        "edge.csp",
        Status.PASS,
        Severity.MEDIUM,
        Harm.DATA_EXPOSURE,
        "CSP present",
        "https://app.acme.test/",
    ),
    _finding(
        "deploy.env-example",
        Status.PASS,
        Severity.LOW,
        Harm.DEPLOY,
        "Env vars documented",
        ".env.example",
    ),
]
# Launch order (login → data exposure → email), deliberately not rank order.
MUST_FIX_IN_LAUNCH_ORDER = [
    "Certificate expires in 3 days",
    "AWS access key committed",
    "DMARC policy is none",
]


@pytest.fixture(scope="module")
def report() -> Report:
    built = build_report(
        "https://app.acme.test/",
        (
            Stage.EDGE,
            Stage.EMAIL,
            Stage.SECRETS,
            Stage.DEPLOY,
            Stage.PERFORMANCE,
            Stage.OBSERVABILITY,
        ),
        FINDINGS,
        datetime(2025, 1, 1, 9, 0, 0, tzinfo=UTC),
        12.5,
    )
    # A fixed version: what the renderers print must not change with each release.
    return replace(built, tool_version="0.1.0")


def by_id(report: Report, check_id: str) -> Finding:
    return next(f for f in report.findings if f.id == check_id)


def test_fixture_covers_what_the_renderers_must_handle(report: Report) -> None:
    assert [by_id(report, "secrets.aws-key").rank, by_id(report, "edge.cert-expiry").rank] == [1, 2]
    assert len(report.must_fix) == 3
    assert len(report.nice_to_have) == 3
    assert len(report.not_evaluated) == 2
    assert len(report.passed) == 3


def test_every_format_is_registered() -> None:
    for fmt, module in {"md": markdown, "html": html, "sarif": sarif, "junit": junit}.items():
        assert renderer(fmt) is module.render


# --- Markdown -----------------------------------------------------------------------------


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_markdown_sections_in_reading_order(report: Report) -> None:
    text = markdown.render(report)
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings == [
        "Score",
        "Launch order",
        "Must fix (3)",
        "Nice to have (3)",
        "Not evaluated (2)",
        "Passed",
    ]
    assert text.startswith("# Launch readiness: https://app.acme.test/")
    assert f"**Overall: {report.score.overall}/100**" in text
    for stage, value in report.score.stages.items():
        assert f"| {stage} | {value} |" in text
    assert "3 checks passed." in text


def test_markdown_launch_order_lists_must_fix_by_step(report: Report) -> None:
    plan = _section(markdown.render(report), "Launch order")
    positions = [plan.index(title) for title in MUST_FIX_IN_LAUNCH_ORDER]
    assert positions == sorted(positions)
    assert plan.index("Customers can reach the app and sign in") < positions[0]
    assert "No lockfile" not in plan  # nice-to-have is not launch work


def test_markdown_finding_has_every_field(report: Report) -> None:
    must_fix = _section(markdown.render(report), "Must fix")
    block = must_fix[must_fix.index("### #1 ") : must_fix.index("### #2 ")]
    assert "[BLOCKER] AWS access key committed" in block
    assert "`secrets.aws-key`" in block
    assert "`config/settings.py:42`" in block
    assert "\\<script\\>" in block and "<script>" not in block  # shown, never raw HTML
    assert "AKIA\\*\\*\\*" in block and "\\| found" in block
    assert "impact of AWS access key committed" in block
    assert "fix for AWS access key committed" in block
    assert "<https://docs.example/aws>" in block
    assert "<javascript:" not in block  # a non-http reference is never a link
    assert "`0badc0de`" in block


def test_markdown_not_evaluated_table_keeps_one_row_per_finding(report: Report) -> None:
    table = _section(markdown.render(report), "Not evaluated")
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 3  # header + error + skipped
    for row in rows:
        cells = re.split(r"(?<!\\)\|", row)[1:-1]
        assert len(cells) == 5, row
    error_row = next(r for r in rows if "performance.read-p95" in r)
    assert "connect timeout \\| after 10 s<br>retried once" in error_row
    assert "| error |" in error_row
    assert any("| skipped | no DKIM selector configured |" in r for r in rows)


def test_markdown_code_span_survives_backticks() -> None:
    assert markdown.code("a`b") == "``a`b``"
    assert markdown.code("`x`") == "`` `x` ``"


# --- HTML ---------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def test_html_fetches_nothing_from_the_network(report: Report) -> None:
    page = html.render(report)
    tags = _tags(page)
    for tag, attrs in tags:
        for attr in ("src", "href", "srcset", "poster", "data", "action"):
            value = attrs.get(attr) or ""
            if tag == "a" and attr == "href":
                continue
            assert not re.match(r"\s*(https?:)?//", value), (tag, attr, value)
    assert not {t for t, _ in tags} & {"script", "img", "link", "iframe", "object", "embed"}
    css = page[page.index("<style>") : page.index("</style>")]
    assert "url(" not in css and "@import" not in css
    # The browser is also told to refuse any fetch.
    csp = [a for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")


def test_html_links_only_http_references(report: Report) -> None:
    hrefs = [a["href"] for t, a in _tags(html.render(report)) if t == "a"]
    assert "https://docs.example/aws" in hrefs
    assert all(h and h.startswith("https://") for h in hrefs)
    assert "javascript:alert(1)" in html.render(report)  # shown as text


def test_html_has_viewport_and_escapes_evidence(report: Report) -> None:
    page = html.render(report)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert XSS not in page
    assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;" in page


def test_html_puts_launch_order_first(report: Report) -> None:
    page = html.render(report)
    order = [
        page.index(f'id="{s}"')
        for s in ("must-fix", "score", "nice-to-have", "not-evaluated", "passed")
    ]
    assert order == sorted(order)
    must_fix = page[order[0] : order[1]]
    assert must_fix.count('class="finding must-fix') == 3
    titles = re.findall(r'<span class="title">([^<]*)</span>', must_fix)
    assert titles == MUST_FIX_IN_LAUNCH_ORDER
    nice = page[order[2] : order[3]]
    assert nice.count('class="finding nice-to-have') == 3
    passed = page[order[4] :]
    assert '<details class="passed">' in passed and '<details class="passed" open' not in passed


def test_html_finding_body_and_scores(report: Report) -> None:
    page = html.render(report)
    assert "impact of DMARC policy is none" in page
    assert "fix for DMARC policy is none" in page
    assert f"<strong>{report.score.overall}</strong>" in page
    for stage, value in report.score.stages.items():
        assert f"<dt>{stage}</dt>" in page
        assert f'value="{value}"' in page


def test_html_without_problems_says_ready(report: Report) -> None:
    passed = tuple(f for f in report.findings if f.status == Status.PASS)
    clean = Report(
        "launchready", "0.1.0", "acme.test", "t", 1.0, score(passed), passed, (), (Stage.EDGE,)
    )
    page = html.render(clean)
    assert "Nothing must be fixed before launch." in page
    assert "finding must-fix" not in page


# --- SARIF --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_log(report: Report) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(sarif.render(report))
    return log


def test_sarif_validates_against_the_official_schema(sarif_log: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_cls = jsonschema.validators.validator_for(schema)
    assert validator_cls is jsonschema.Draft7Validator
    validator = validator_cls(schema, format_checker=jsonschema.FormatChecker())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(sarif_log)]
    assert errors == []


def test_sarif_schema_catches_a_broken_log(sarif_log: dict[str, Any]) -> None:
    # Guards the test above: a vendored schema that accepts anything would prove nothing.
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = json.loads(json.dumps(sarif_log))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert not jsonschema.Draft7Validator(schema).is_valid(broken)


def test_sarif_results_only_for_problems(report: Report, sarif_log: dict[str, Any]) -> None:
    run = sarif_log["runs"][0]
    assert sarif_log["version"] == "2.1.0"
    assert run["tool"]["driver"]["name"] == "launchready"
    assert run["tool"]["driver"]["version"] == "0.1.0"
    rules = run["tool"]["driver"]["rules"]
    assert sorted(r["id"] for r in rules) == sorted({f.id for f in report.findings})
    problems = {f.id for f in report.findings if f.status in (Status.FAIL, Status.WARN)}
    results = run["results"]
    assert {r["ruleId"] for r in results} == problems and len(results) == len(problems)
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels == {
        "secrets.aws-key": "error",
        "edge.cert-expiry": "error",
        "email.dmarc-policy": "error",
        "edge.hsts": "warning",
        "deploy.lockfile": "note",
        "observability.request-id": "note",
    }
    must_fix = {r["ruleId"] for r in results if r["properties"]["must_fix"]}
    assert must_fix == {f.id for f in report.must_fix}


def test_sarif_rule_metadata(sarif_log: dict[str, Any]) -> None:
    rule = next(
        r for r in sarif_log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "secrets.aws-key"
    )
    assert rule["name"] == "AwsKey"
    assert rule["shortDescription"]["text"] == "AWS access key committed"
    assert rule["fullDescription"]["text"] == "impact of AWS access key committed"
    assert rule["help"]["text"] == "fix for AWS access key committed"
    assert rule["helpUri"] == "https://docs.example/aws"  # the first *link*, not javascript:
    assert rule["defaultConfiguration"]["level"] == "error"
    assert rule["properties"]["stage"] == "secrets"
    assert rule["properties"]["harm"] == "data-exposure"


def _result(log: dict[str, Any], check_id: str) -> dict[str, Any]:
    result: dict[str, Any] = next(r for r in log["runs"][0]["results"] if r["ruleId"] == check_id)
    return result


def test_sarif_locations(sarif_log: dict[str, Any]) -> None:
    secret = _result(sarif_log, "secrets.aws-key")["locations"][0]["physicalLocation"]
    assert secret == {
        "artifactLocation": {"uri": "config/settings.py"},
        "region": {"startLine": 42},
    }
    lockfile = _result(sarif_log, "deploy.lockfile")["locations"][0]
    assert lockfile == {"physicalLocation": {"artifactLocation": {"uri": "requirements.txt"}}}
    for check_id, target in (("edge.cert-expiry", LONG_URL), ("email.dmarc-policy", "acme.test")):
        location = _result(sarif_log, check_id)["locations"][0]
        assert "physicalLocation" not in location
        assert location["logicalLocations"][0]["fullyQualifiedName"] == target


def test_sarif_message_fingerprints_and_properties(
    report: Report, sarif_log: dict[str, Any]
) -> None:
    secret = _result(sarif_log, "secrets.aws-key")
    assert secret["message"]["text"].startswith("AWS access key committed: AKIA")
    assert secret["partialFingerprints"] == {"launchready/v1": "fp-aws-1234"}
    assert secret["properties"]["commit"] == "0badc0de"
    hsts = _result(sarif_log, "edge.hsts")
    assert re.fullmatch(r"[0-9a-f]{64}", hsts["partialFingerprints"]["launchready/v1"])
    assert hsts["properties"] == {
        "rank": by_id(report, "edge.hsts").rank,
        "must_fix": False,
        "harm": "trust",
        "stage": "edge",
        "severity": "medium",
        "status": "warn",
        "target": "https://app.acme.test/",
    }
    # Stable across runs, different across targets.
    again = json.loads(sarif.render(report))
    assert _result(again, "edge.hsts")["partialFingerprints"] == hsts["partialFingerprints"]
    cert = _result(sarif_log, "edge.cert-expiry")
    assert cert["partialFingerprints"] != hsts["partialFingerprints"]


@pytest.mark.parametrize(
    ("target", "is_file"),
    [
        ("config/settings.py:42", True),
        ("requirements.txt", True),
        (".env.production", True),
        ("Dockerfile", True),
        ("app.py:7", True),
        ("migrations/0003_add_index.sql", True),
        ("acme.test", False),
        ("app.acme.test:443", False),
        ("https://app.acme.test/login", False),
        ("https://app.acme.test/ (cookie session)", False),
        ("GET /api/clients", False),
        ("clients", False),
    ],
)
def test_sarif_tells_files_from_network_targets(target: str, is_file: bool) -> None:
    assert sarif.is_file_target(target) is is_file


# --- JUnit --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def junit_root(report: Report) -> ET.Element:
    return ET.fromstring(junit.render(report))


def test_junit_failures_are_exactly_the_must_fix(report: Report, junit_root: ET.Element) -> None:
    assert junit_root.tag == "testsuites"
    failures = junit_root.findall(".//failure")
    assert len(failures) == len(report.must_fix) == int(junit_root.get("failures", ""))
    assert {f.get("message") for f in failures} == set(MUST_FIX_IN_LAUNCH_ORDER)
    secret = next(f for f in failures if f.get("message") == "AWS access key committed")
    assert secret.get("type") == "blocker"
    assert "AKIA" in (secret.text or "") and "fix for AWS access key committed" in (
        secret.text or ""
    )
    assert "\x1b" not in (secret.text or "")  # control characters cannot travel in XML 1.0


def test_junit_counts_per_stage(report: Report, junit_root: ET.Element) -> None:
    suites = {s.attrib["name"]: s for s in junit_root.findall("testsuite")}
    assert list(suites) == ["edge", "email", "secrets", "deploy", "performance", "observability"]
    expected = {
        "edge": ("4", "1", "0", "0"),
        "email": ("2", "1", "0", "1"),
        "secrets": ("1", "1", "0", "0"),
        "deploy": ("2", "0", "0", "0"),
        "performance": ("1", "0", "1", "0"),
        "observability": ("1", "0", "0", "0"),
    }
    for name, suite in suites.items():
        counts = tuple(suite.get(k) for k in ("tests", "failures", "errors", "skipped"))
        assert counts == expected[name], name
        assert len(suite.findall("testcase")) == int(suite.get("tests", ""))
    assert junit_root.get("tests") == str(len(report.findings))


def test_junit_testcases_by_status(junit_root: ET.Element) -> None:
    cases = {c.get("name"): c for c in junit_root.iter("testcase")}
    nice = cases["edge.hsts https://app.acme.test/"]
    assert nice.get("classname") == "launchready.edge"
    assert nice.find("failure") is None
    assert (nice.findtext("system-out") or "").startswith("nice-to-have:")
    error = cases["performance.read-p95 GET /api/clients"]
    assert error.find("error") is not None and "connect timeout" in (error.findtext("error") or "")
    skipped = cases["email.dkim acme.test"].find("skipped")
    assert skipped is not None and skipped.get("message") == "no DKIM selector configured"
    passed = cases["edge.csp https://app.acme.test/"]
    assert list(passed) == []


def test_terminal_groups_a_checks_targets_and_says_the_fix_once(report: Report) -> None:
    from launchready.core.findings import Finding, Harm, Severity, Stage, Status
    from launchready.ranking import launch_order, rank_findings, score
    from launchready.renderers.terminal import render

    def hsts(target: str) -> Finding:
        return Finding(
            "edge.hsts", Stage.EDGE, Status.FAIL, Severity.HIGH, Harm.TRUST, "HSTS is set",
            target, f"no header on {target}", "impact", "Send the HSTS header.", ("https://x",),
        )  # fmt: skip

    ranked = rank_findings([hsts(f"https://{n}.test/") for n in ("a", "b", "c", "d", "e")])
    five = report.__class__(
        **{**report.__dict__, "findings": ranked, "launch_order": launch_order(ranked),
           "score": score(ranked)}
    )  # fmt: skip
    text = render(five, width=160)
    assert text.count("Fix: Send the HSTS header.") == 1
    assert "1–5" in text and "5 targets" in text and "… and 2 more" in text
    assert "https://c.test/: no header" in text and "https://d.test/" not in text
