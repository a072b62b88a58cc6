"""The migration facts: one normalised model for SQL files and ORM migrations alike.

Every tool's migration is reduced to `Operation`s (add column, drop column, create index…)
with the observations the checks need as flags, so one set of rules judges Alembic, Django,
Knex, Rails and plain SQL the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

MIGRATIONS = "deploy.migrations"

# Flags an operation may carry (observations, not verdicts).
NOT_NULL = "not_null"
HAS_DEFAULT = "has_default"
CONCURRENTLY = "concurrently"
UNIQUE = "unique"
NOT_VALID = "not_valid"
ONLINE = "online"  # MySQL ALGORITHM=INPLACE|INSTANT with LOCK=NONE
NO_REVERSE = "no_reverse"  # RunPython/RunSQL without a reverse

# What a migration's way back is.
DownKind = Literal["sql", "code", "implicit", "empty", "none"]


@dataclass(frozen=True)
class Operation:
    kind: str  # create_table, drop_table, rename_table, add_column, drop_column,
    # rename_column, alter_type, set_not_null, create_index, drop_index, add_foreign_key,
    # add_unique, add_constraint, data, run_code, raw
    table: str | None
    column: str | None = None
    new_name: str | None = None
    line: int = 0
    flags: frozenset[str] = frozenset()
    columns: tuple[str, ...] = ()  # create_table: the columns it creates


@dataclass(frozen=True)
class Migration:
    id: str
    path: str
    up: tuple[Operation, ...]
    down: tuple[Operation, ...]
    down_kind: DownKind
    up_sql: str | None = None  # executable SQL, for the rehearsal
    down_sql: str | None = None
    down_path: str | None = None
    problem: str | None = None  # could not be read or parsed
    down_line: int | None = None  # where a dbmate/goose file's down section starts

    def created_tables(self) -> set[str]:
        return {op.table for op in self.up if op.kind == "create_table" and op.table}


@dataclass(frozen=True)
class MigrationSet:
    tool: str  # sql, golang-migrate, dbmate, goose, flyway, prisma, alembic, django, knex, rails
    root: str
    dialect: str  # postgresql | sqlite | mysql
    dialect_source: str  # where the dialect came from ("[migrations] dialect", "assumed"…)
    migrations: tuple[Migration, ...]

    @property
    def runs_sql(self) -> bool:
        """Whether the migrations are SQL that can be applied as written."""
        return all(m.up_sql is not None for m in self.migrations)


@dataclass(frozen=True)
class LintHit:
    path: str
    line: int
    rule: str
    message: str
    table: str | None = None
    new_table: bool = False  # the table was created earlier in the same migration


@dataclass(frozen=True)
class CodeRef:
    """Code that still names a column a migration dropped or renamed."""

    table: str
    column: str
    change: str  # "dropped" or "renamed to x"
    migration: str  # path:line of the operation
    code: tuple[str, ...]  # path:line of each use, at most a few
    also_on: tuple[str, ...] = ()  # other tables that still have a column of that name


@dataclass(frozen=True)
class MigrationsFact:
    sets: tuple[MigrationSet, ...]
    lint: tuple[LintHit, ...] = ()
    linted: tuple[str, ...] = ()  # files squawk read
    lint_problem: str | None = None  # squawk could not run
    code_refs: tuple[CodeRef, ...] = ()
    code_files: int = 0  # how many source files were searched for column names
    notes: tuple[str, ...] = field(default_factory=tuple)
