"""JUnit XML for CI test tabs: one suite per stage, one test case per finding.

Only must-fix findings are failures, so a CI job's red/green matches the exit code
(1 when must-fix work remains). Nice-to-have problems stay visible in ``system-out``
without failing the build.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from launchready.core.findings import Finding, Report, Stage, Status

NICE_TO_HAVE_PREFIX = "nice-to-have:"
# XML 1.0 cannot carry most control characters, not even escaped; evidence captured
# from terminals or binary responses can contain them (ANSI colour codes, NULs).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _details(f: Finding) -> str:
    lines = [f"Evidence: {f.evidence}", f"Target: {f.target}", f"Fix: {f.remediation}"]
    if f.references:
        lines.append("References: " + " ".join(f.references))
    return xml_text("\n".join(lines))


def _testcase(suite: ET.Element, f: Finding) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"launchready.{f.stage.value}",
        name=xml_text(f"{f.id} {f.target}"),
    )
    if f.must_fix:
        failure = ET.SubElement(case, "failure", type=f.severity.value, message=xml_text(f.title))
        failure.text = _details(f)
    elif f.is_problem:
        out = ET.SubElement(case, "system-out")
        out.text = f"{NICE_TO_HAVE_PREFIX} [{f.severity.value}] {xml_text(f.title)}\n{_details(f)}"
    elif f.status == Status.ERROR:
        error = ET.SubElement(case, "error", type="not-evaluated", message=xml_text(f.title))
        error.text = xml_text(f.evidence)
    elif f.status == Status.SKIPPED:
        ET.SubElement(case, "skipped", message=xml_text(f.evidence))


def _counts(findings: Iterable[Finding]) -> dict[str, str]:
    items = list(findings)
    return {
        "tests": str(len(items)),
        "failures": str(sum(f.must_fix for f in items)),
        "errors": str(sum(f.status == Status.ERROR for f in items)),
        "skipped": str(sum(f.status == Status.SKIPPED for f in items)),
    }


def _stages(report: Report) -> list[Stage]:
    """Stages that ran or produced findings, in the pipeline's order."""
    present = set(report.stages_run) | {f.stage for f in report.findings}
    return [s for s in Stage if s in present]


def junit_tree(report: Report) -> ET.Element:
    totals = {"name": report.tool_name, "time": f"{report.duration_s:.3f}"}
    root = ET.Element("testsuites", totals | _counts(report.findings))
    for stage in _stages(report):
        findings = sorted((f for f in report.findings if f.stage == stage), key=lambda f: f.rank)
        header = {"name": stage.value, "timestamp": report.started_at}
        suite = ET.SubElement(root, "testsuite", header | _counts(findings))
        for f in findings:
            _testcase(suite, f)
    return root


def render(report: Report) -> str:
    root = junit_tree(report)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
