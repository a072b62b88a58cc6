"""squawk (`squawk-cli`, `--reporter json`) over PostgreSQL migration files.

squawk ships beside the Python that runs launchready (the wheel puts it in the venv's bin),
so it is looked for next to ``sys.executable`` before ``PATH``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SQUAWK_TIMEOUT_S = 60


@dataclass(frozen=True)
class SquawkHit:
    path: str  # as given (relative to the repository root)
    line: int  # 1-based
    rule: str
    message: str


def find_squawk() -> str | None:
    beside = Path(sys.executable).parent / "squawk"
    if beside.is_file():
        return str(beside)
    return shutil.which("squawk")


def run_squawk(root: str, paths: list[str]) -> list[SquawkHit]:
    """Hits for every file; raises RuntimeError with a printable reason when squawk cannot run.

    Exit status 1 means "found something"; only unreadable output is a failure.
    """
    if not paths:
        return []
    binary = find_squawk()
    if binary is None:
        raise RuntimeError("squawk is not installed (pip install squawk-cli)")
    try:
        done = subprocess.run(
            [binary, "--reporter", "json", *paths],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=SQUAWK_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"squawk could not run: {type(exc).__name__}") from None
    try:
        raw = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        raise RuntimeError(
            f"squawk exited with status {done.returncode} without a report"
        ) from None
    return [
        SquawkHit(
            str(item.get("file", "")),
            int(item.get("line", 0)) + 1,  # squawk counts lines from 0
            str(item.get("rule_name", "")),
            str(item.get("message", "")),
        )
        for item in raw
        if isinstance(item, dict)
    ]
