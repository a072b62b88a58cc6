"""``launchready checks`` and ``launchready explain ID``."""

from __future__ import annotations

import argparse
import difflib

from rich.table import Table

from launchready.checks.registry import load_registry
from launchready.cli.output import stdout_console
from launchready.config.errors import ConfigError


def list_checks(args: argparse.Namespace) -> int:
    table = Table(title="launchready checks")
    for column in ("id", "stage", "severity", "harm", "title"):
        table.add_column(column)
    for c in load_registry():
        table.add_row(c.id, c.stage.value, c.severity.value, c.harm.value, c.title)
    stdout_console().print(table)
    return 0


def explain(args: argparse.Namespace) -> int:
    registry = load_registry()
    c = registry.get(args.id)
    if c is None:
        close = difflib.get_close_matches(args.id, [x.id for x in registry], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `launchready checks`"
        raise ConfigError(f"no check with id {args.id!r}{hint}")
    console = stdout_console()
    console.print(f"[bold]{c.id}[/bold] — {c.title}")
    rows = [
        ("stage", c.stage.value),
        ("severity", c.severity.value),
        ("harm", c.harm.value),
        ("reads fact", c.reads),
        ("defined in", c.source),
        ("impact", c.impact),
        ("remediation", c.remediation),
    ]
    for key, value in rows:
        console.print(f"[bold]{key}:[/bold] {value}", highlight=False)
    if c.rationale:
        console.print(f"[bold]why:[/bold] {c.rationale}", highlight=False)
    console.print("[bold]references:[/bold]")
    for ref in c.references:
        console.print(f"  {ref}", highlight=False)
    return 0
