"""Facts that are deliverables in their own right, carried whole into the report.

A redirect map is not a verdict: the team needs the map itself ("redirect map documented"
on the handover list). A fact value that is ``Publishable`` names a report key and gives
JSON-ready rows; the engine copies them into ``Report.extras`` without reading them, so
no stage logic leaks into the engine and renderers still receive only the report.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

from launchready.core.outcome import Outcome, OutcomeStatus

# Keys of the JSON report's contract; an artifact must never shadow one of them.
RESERVED = frozenset(
    {"tool", "target", "started_at", "duration_s", "score", "stages_run", "summary"}
    | {"launch_order", "findings"}
)


@runtime_checkable
class Publishable(Protocol):
    def publish(self) -> tuple[str, list[dict[str, object]]]:
        """``(report key, rows)``; rows of every outcome under one key are concatenated."""
        ...


def published(outcomes: Iterable[Outcome[Any]]) -> dict[str, object]:
    artifacts: dict[str, list[dict[str, object]]] = {}
    for outcome in outcomes:
        if outcome.status is OutcomeStatus.OK and isinstance(outcome.value, Publishable):
            key, rows = outcome.value.publish()
            if key in RESERVED:
                raise ValueError(f"artifact key {key!r} would replace a report field")
            artifacts.setdefault(key, []).extend(rows)
    return dict(artifacts)
