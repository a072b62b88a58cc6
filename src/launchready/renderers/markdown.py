"""The Markdown report: a handover document that reads well raw and rendered (PRs, wikis).

Text that came from the audited world (evidence, targets) is escaped so it can neither
break the layout (a ``|`` in a table cell) nor inject HTML where Markdown is rendered.
"""

from __future__ import annotations

import re

from launchready.core.findings import Finding, Report
from launchready.ranking import launch_plan

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that
# change meaning in running text or tables. ``<``/``>``/``&`` are here so evidence such as
# ``<script>`` renders as text instead of raw HTML.
_SPECIAL = re.compile(r"([\\`*\[\]<>|&])")
_SAFE_URL = re.compile(r"^https?://[^\s<>]+$")


def escape(text: str) -> str:
    """Running text: Markdown-significant characters escaped, line breaks kept."""
    lines = [_SPECIAL.sub(r"\\\1", line) for line in text.splitlines() or [""]]
    # A trailing backslash is a CommonMark hard line break; the indent keeps the
    # continuation inside the list item it belongs to.
    return "\\\n  ".join(lines)


def cell(text: str) -> str:
    """A table cell: escaped, on one line (a newline would end the table row)."""
    return "<br>".join(_SPECIAL.sub(r"\\\1", line) for line in text.splitlines())


def code(text: str) -> str:
    """An inline code span that survives backticks inside ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _link(url: str) -> str:
    # Only plain http(s) URLs become links; anything else is shown, never followed.
    return f"<{url}>" if _SAFE_URL.match(url) else escape(url)


def _score_lines(report: Report) -> list[str]:
    overall = report.score.overall
    lines = ["## Score", ""]
    lines.append(f"**Overall: {overall}/100**" if overall is not None else "**Overall: n/a**")
    if report.score.stages:
        lines += ["", "| Stage | Score |", "|---|---:|"]
        lines += [f"| {cell(stage)} | {value} |" for stage, value in report.score.stages.items()]
    return lines


def _plan_lines(report: Report) -> list[str]:
    lines = ["## Launch order", ""]
    plan = launch_plan(report)
    if not plan:
        return [*lines, "Nothing must be fixed before launch."]
    for step in plan:
        lines.append(f"{step.number}. **{escape(step.goal)}**")
        lines += [
            f"   - #{f.rank} {f.severity.value.upper()} {escape(f.title)} ({code(f.target)})"
            for f in step.findings
        ]
    return lines


def _finding_lines(f: Finding) -> list[str]:
    lines = [
        f"### #{f.rank} [{f.severity.value.upper()}] {escape(f.title)}",
        "",
        f"- **Check:** {code(f.id)} · stage {f.stage.value} · harm {f.harm.value}"
        f" · status {f.status.value}",
        f"- **Target:** {code(f.target)}",
        f"- **Evidence:** {escape(f.evidence)}",
        f"- **Impact:** {escape(f.impact)}",
        f"- **Remediation:** {escape(f.remediation)}",
    ]
    if f.commit:
        lines.append(f"- **Commit:** {code(f.commit)}")
    if f.references:
        lines.append("- **References:** " + ", ".join(_link(u) for u in f.references))
    return [*lines, ""]


def _findings_section(heading: str, findings: tuple[Finding, ...], empty: str) -> list[str]:
    lines = [f"## {heading} ({len(findings)})", ""]
    if not findings:
        return [*lines, empty]
    for f in findings:
        lines += _finding_lines(f)
    return lines


def _not_evaluated_lines(report: Report) -> list[str]:
    findings = report.not_evaluated
    lines = [f"## Not evaluated ({len(findings)})", ""]
    if not findings:
        return [*lines, "Every check could be evaluated."]
    lines += ["| # | Check | Target | Status | Reason |", "|---:|---|---|---|---|"]
    lines += [
        f"| {f.rank} | {cell(f.id)} | {cell(f.target)} | {f.status.value} | {cell(f.evidence)} |"
        for f in findings
    ]
    return lines


def _passed_line(count: int) -> str:
    return f"{count} check passed." if count == 1 else f"{count} checks passed."


def render(report: Report) -> str:
    header = [
        f"# Launch readiness: {escape(report.target)}",
        "",
        f"{report.tool_name} {report.tool_version} · started {escape(report.started_at)}"
        f" · took {report.duration_s:.1f} s · "
        f"**{len(report.must_fix)} must-fix**, {len(report.nice_to_have)} nice-to-have",
    ]
    sections = [
        header,
        _score_lines(report),
        _plan_lines(report),
        _findings_section("Must fix", report.must_fix, "Nothing must be fixed before launch."),
        _findings_section("Nice to have", report.nice_to_have, "No other problems found."),
        _not_evaluated_lines(report),
        ["## Passed", "", _passed_line(len(report.passed))],
    ]
    body = "\n\n".join("\n".join(lines).rstrip() for lines in sections)
    return body + "\n"
