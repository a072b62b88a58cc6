"""Where a report goes: the terminal (with colour only when it is one) or a file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console

from launchready.config.errors import ConfigError
from launchready.core.findings import Report
from launchready.renderers import renderer
from launchready.renderers.terminal import print_report


def stdout_console() -> Console:
    # rich honours NO_COLOR itself; force_terminal stays automatic so pipes get plain text.
    return Console(highlight=False, emoji=False, no_color="NO_COLOR" in os.environ or None)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, no_color="NO_COLOR" in os.environ or None)


def write_text(path: str, text: str) -> None:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None


def emit(report: Report, fmt: str, output: str | None) -> None:
    """Print or write ``report`` in ``fmt``; say where a file went."""
    if fmt == "terminal" and output is None:
        print_report(stdout_console(), report)
        return
    text = renderer(fmt)(report)
    if output is None:
        sys.stdout.write(text)
        return
    write_text(output, text)
    # markup=False: a path is a name, not markup ("out/[/x].json" must not crash).
    stderr_console().print(f"{fmt} report written to {output}", markup=False)
