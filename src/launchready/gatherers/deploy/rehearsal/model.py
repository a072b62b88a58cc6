"""Facts of a migration rehearsal: each step forward and back, its time and the locks it held."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from launchready.gatherers.deploy.migrations.model import Migration

REHEARSAL = "deploy.rehearsal"

Direction = Literal["up", "down"]


@dataclass(frozen=True)
class LockSample:
    table: str  # "*" for SQLite, where a write locks the whole database
    mode: str  # PostgreSQL lock mode (AccessExclusiveLock…) or "database write lock"
    held_s: float  # from first to last time the sampler saw it granted
    preexisting: bool  # the table existed before the step started


@dataclass(frozen=True)
class Step:
    migration: str
    path: str
    direction: Direction
    pass_no: int  # 1 forward, 2 back, 3 forward again
    ok: bool
    duration_s: float
    locks: tuple[LockSample, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class RehearsalFact:
    database: str  # the given URL, password removed
    engine: str  # postgresql | sqlite
    tool: str
    working_copy: str  # the scratch copy the steps ran on (dropped afterwards)
    pending: tuple[str, ...]
    steps: tuple[Step, ...]
    without_down: tuple[str, ...]  # pending migrations the back pass could not undo
    schema_before: tuple[str, ...]
    schema_after_back: tuple[str, ...]
    back_complete: bool  # every migration applied in pass 1 was undone in pass 2
    hot_tables: tuple[str, ...]  # empty: every table that existed before a step
    lock_timeout_s: float
    sample_interval_s: float


class Database(Protocol):
    """One engine's way to run a rehearsal on its working copy."""

    working_copy: str

    def tables(self) -> set[str]: ...

    def schema(self) -> tuple[str, ...]: ...

    def applied_versions(self) -> set[str] | None: ...

    def run(self, migration: Migration, direction: Direction) -> tuple[float, list[LockSample]]: ...
