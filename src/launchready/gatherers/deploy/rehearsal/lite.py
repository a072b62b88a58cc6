"""SQLite rehearsal, on a copy of the database file made with SQLite's backup API.

SQLite has no per-table locks to sample: a schema change holds the database's write lock
for its whole run, which is recorded as one lock on "*" for the step's duration.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from types import TracebackType

from launchready.gatherers.deploy.migrations.model import Migration
from launchready.gatherers.deploy.rehearsal.model import Direction, LockSample
from launchready.gatherers.deploy.rehearsal.pg import StepFailed

WRITE_LOCK = "database write lock"


def sqlite_path(url: str) -> str:
    """`sqlite:///relative.db`, `sqlite:////absolute.db` (SQLAlchemy's forms)."""
    path = url.split("://", 1)[1] if "://" in url else url
    path = path.split("?", 1)[0]
    return path[1:] if path.startswith("/") else path


class LiteDatabase:
    def __init__(self, path: str) -> None:
        self.source = path
        self._dir = tempfile.mkdtemp(prefix="launchready-rehearsal-")
        self.working_copy = os.path.join(self._dir, "copy.db")
        self._conn: sqlite3.Connection | None = None

    def __enter__(self) -> LiteDatabase:
        if not os.path.isfile(self.source):
            raise FileNotFoundError(f"{self.source} does not exist")
        with sqlite3.connect(f"file:{self.source}?mode=ro", uri=True) as src:
            dst = sqlite3.connect(self.working_copy)
            src.backup(dst)
            dst.close()
        self._conn = sqlite3.connect(self.working_copy, isolation_level=None)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._conn is not None:
            self._conn.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    @property
    def conn(self) -> sqlite3.Connection:
        assert self._conn is not None
        return self._conn

    def tables(self) -> set[str]:
        rows = self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        return {r[0] for r in rows}

    def schema(self) -> tuple[str, ...]:
        rows = self.conn.execute(
            "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_%'"
        ).fetchall()
        return tuple(sorted(r[0] for r in rows))

    def applied_versions(self) -> set[str] | None:
        if "schema_migrations" in self.tables():
            return {str(r[0]) for r in self.conn.execute("SELECT * FROM schema_migrations")}
        return None

    def run(self, migration: Migration, direction: Direction) -> tuple[float, list[LockSample]]:
        text = migration.up_sql if direction == "up" else migration.down_sql
        assert text is not None
        started = time.monotonic()
        try:
            self.conn.executescript(f"BEGIN;\n{text}\n;COMMIT;")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise StepFailed(str(exc), time.monotonic() - started, []) from None
        duration = time.monotonic() - started
        return duration, [LockSample("*", WRITE_LOCK, round(duration, 3), True)]
