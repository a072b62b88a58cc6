"""The terminal report: one screen of summary, must-fix in launch order, then the rest.

``print_report`` draws on a rich console the CLI set up (colour only on a TTY without
NO_COLOR); ``render`` returns plain text for files and pipes. Text from the audited site
(targets, evidence) always goes in as ``Text``, never as a string: rich would read
``app/[slug]/page.tsx`` as markup and drop ``[slug]``.
"""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from launchready.core.findings import Finding, Report, Severity, Status
from launchready.ranking import band, launch_plan

SEVERITY_STYLE = {
    Severity.BLOCKER: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
BAND_STYLE = {"good": "green", "fair": "yellow", "poor": "red", "none": "dim"}


def _score_text(value: int | None) -> Text:
    if value is None:
        return Text("n/a", style="dim")
    return Text(f"{value}/100", style=f"bold {BAND_STYLE[band(value)]}")


def _summary(report: Report) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("Target", Text(report.target))
    grid.add_row("Readiness", _score_text(report.score.overall))
    stages = Text()
    for i, (stage, value) in enumerate(report.score.stages.items()):
        if i:
            stages.append("  ")
        stages.append(f"{stage} ")
        stages.append_text(_score_text(value))
    grid.add_row("Stages", stages)
    counts = Text()
    counts.append(
        f"{len(report.must_fix)} must-fix", style="bold red" if report.must_fix else "green"
    )
    counts.append(f"  ·  {len(report.nice_to_have)} nice-to-have")
    counts.append(f"  ·  {len(report.passed)} passed")
    if report.not_evaluated:
        counts.append(f"  ·  {len(report.not_evaluated)} not evaluated", style="yellow")
    grid.add_row("Findings", counts)
    grid.add_row("Took", f"{report.duration_s:.1f} s")
    return Panel(grid, title="launchready", title_align="left")


SHOWN_PER_CHECK = 3  # targets listed per check before "… and N more"


def _by_check(findings: list[Finding]) -> list[list[Finding]]:
    """Findings of one check side by side, in rank order: the fix is said once per check."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.id, []).append(f)
    return list(groups.values())


def _ranks(group: list[Finding]) -> str:
    ranks = [f.rank for f in group]
    if len(ranks) > 1 and ranks == list(range(ranks[0], ranks[-1] + 1)):
        return f"{ranks[0]}–{ranks[-1]}"
    return ", ".join(str(r) for r in ranks)


def _findings_table(findings: list[Finding], *, detail: bool) -> Table:
    table = Table(show_lines=detail, expand=True)
    table.add_column("#", justify="right")
    table.add_column("severity", no_wrap=True)
    table.add_column("finding", ratio=3)
    table.add_column("target", ratio=2, overflow="fold")
    for group in _by_check(findings):
        first = group[0]
        cell = Text(first.title, style="bold")
        cell.append(f"  {first.id}", style="dim")
        shown = group[:SHOWN_PER_CHECK]
        for f in shown:
            cell.append(f"\n{f.evidence}" if len(group) == 1 else f"\n• {f.target}: {f.evidence}")
        if len(group) > len(shown):
            cell.append(f"\n… and {len(group) - len(shown)} more", style="dim")
        if detail:
            cell.append(f"\nFix: {first.remediation}", style="green")
        # Several targets are named in the bullets; the column just counts them.
        targets = Text(first.target if len(group) == 1 else f"{len(group)} targets")
        table.add_row(
            _ranks(group),
            Text(first.severity.value, style=SEVERITY_STYLE[first.severity]),
            cell,
            targets,
        )
    return table


def _launch_order(report: Report) -> Group:
    parts: list[Text | Table] = []
    for step in launch_plan(report):
        harm = f" ({step.harm})" if step.harm else ""
        parts.append(Text(f"Step {step.number} — {step.goal}{harm}", style="bold"))
        parts.append(_findings_table(list(step.findings), detail=True))
    return Group(*parts)


def print_report(console: Console, report: Report) -> None:
    console.print(_summary(report))
    if report.must_fix:
        console.rule("[bold red]Must fix before launch, in this order")
        console.print(_launch_order(report))
    else:
        console.print(Text("No must-fix findings.", style="bold green"))
    if report.nice_to_have:
        console.rule("Nice to have")
        console.print(_findings_table(list(report.nice_to_have), detail=False))
    if report.not_evaluated:
        console.rule("Not evaluated")
        for f in report.not_evaluated:
            label = "could not check" if f.status == Status.ERROR else "skipped"
            console.print(Text(f"{f.id} [{label}] {f.target}: {f.evidence}", style="dim"))


def render(report: Report, *, width: int = 110) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, no_color=True, force_terminal=False, highlight=False, emoji=False
    )
    print_report(console, report)
    return buffer.getvalue()
