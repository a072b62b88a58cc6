"""``launchready checks`` and ``launchready explain ID``."""

from __future__ import annotations

import argparse
import difflib

from rich.table import Table
from rich.text import Text

from launchready.checks.registry import load_registry
from launchready.cli.output import stdout_console
from launchready.config.errors import ConfigError


def list_checks(args: argparse.Namespace) -> int:
    table = Table(title="launchready checks")
    for column in ("id", "stage", "severity", "harm", "title"):
        table.add_column(column)
    for c in load_registry():
        # Text, not markup: "[deploy] required_env" in a check's wording is not a style.
        cells = (c.id, c.stage.value, c.severity.value, c.harm.value, c.title)
        table.add_row(*(Text(cell) for cell in cells))
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
    console.print(Text.assemble((c.id, "bold"), f" — {c.title}"))
    rows = [
        ("stage", c.stage.value),
        ("severity", c.severity.value),
        ("harm", c.harm.value),
        ("reads fact", c.reads),
        ("defined in", c.source),
        ("impact", c.impact),
        ("remediation", c.remediation),
    ]
    if c.rationale:
        rows.append(("why", c.rationale))
    for key, value in rows:
        console.print(Text.assemble((f"{key}:", "bold"), f" {value}"), highlight=False)
    console.print(Text("references:", style="bold"))
    for ref in c.references:
        console.print(Text(f"  {ref}"), highlight=False)
    return 0
