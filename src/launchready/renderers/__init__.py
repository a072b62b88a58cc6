"""Renderers: each turns a ``Report`` into text, and receives nothing else."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from launchready.core.findings import Report

FORMATS = ("terminal", "json", "md", "html", "sarif", "junit")
_MODULES = {
    "terminal": "terminal",
    "json": "json_report",
    "md": "markdown",
    "html": "html",
    "sarif": "sarif",
    "junit": "junit",
}


def renderer(fmt: str) -> Callable[[Report], str]:
    """``render(report) -> str`` of the named format (modules load on demand)."""
    module = importlib.import_module(f"launchready.renderers.{_MODULES[fmt]}")
    render: Callable[[Report], str] = module.render
    return render
