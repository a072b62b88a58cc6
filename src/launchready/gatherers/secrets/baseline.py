"""The baseline: fingerprints of known secrets, so that only new ones fail a scan.

Fingerprints hash the secret itself (``rule:digest``), not its place, so an entry survives
line shifts, renames, rebases and squashes; path and line are kept only for the reader.
The file holds no secret and no more of one than a finding shows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

DEFAULT_NAME = ".launchready-baseline.json"
FORMAT_VERSION = 1


class BaselineError(ValueError):
    """The baseline file cannot be read or is not one of ours."""


class _Entry(Protocol):
    @property
    def fingerprint(self) -> str: ...
    @property
    def rule_id(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def commit(self) -> str | None: ...


def load(path: str) -> frozenset[str]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {path} is not valid JSON: {exc}") from None
    findings = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(findings, list) or not all(
        isinstance(f, dict) and isinstance(f.get("fingerprint"), str) for f in findings
    ):
        raise BaselineError(f"baseline {path} has no list of findings with fingerprints")
    return frozenset(f["fingerprint"] for f in findings)


def render(entries: Iterable[_Entry]) -> str:
    rows: dict[tuple[str, str], dict[str, object]] = {}
    for e in entries:
        row: dict[str, object] = {
            "fingerprint": e.fingerprint,
            "rule": e.rule_id,
            "path": e.path,
            "line": e.line,
        }
        if e.commit:
            row["commit"] = e.commit
        rows.setdefault((e.fingerprint, e.path), row)
    doc = {
        "tool": "launchready",
        "version": FORMAT_VERSION,
        "comment": "Known secrets: `launchready secrets scan` fails only on fingerprints not "
        "listed here. Each must still be rotated.",
        "findings": [rows[k] for k in sorted(rows)],
    }
    return json.dumps(doc, indent=2) + "\n"


def write(path: str, entries: Iterable[_Entry]) -> int:
    text = render(entries)
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {path}: {exc.strerror or exc}") from None
    return text.count('"fingerprint"')
