"""PostgreSQL rehearsal: on a copy of the scratch database, with a second connection
sampling `pg_locks` while each migration runs.

The copy (`CREATE DATABASE … TEMPLATE scratch`) is what makes "leave the database as it was
found" hold even when a migration fails half way or has no way back; it is dropped at the
end. Each migration runs in one transaction, as migration tools do, unless it uses
CONCURRENTLY, which PostgreSQL refuses inside one: then statement by statement.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from types import TracebackType
from typing import Any

import psycopg
from psycopg import conninfo, sql

from launchready.gatherers.deploy.migrations.model import Migration
from launchready.gatherers.deploy.migrations.sql import split_statements
from launchready.gatherers.deploy.rehearsal.model import Direction, LockSample

SAMPLE_INTERVAL_S = 0.01
_CONCURRENTLY = re.compile(r"\bCONCURRENTLY\b", re.IGNORECASE)
_LOCKS = """
SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
WHERE l.pid = %s AND l.granted AND c.relkind IN ('r', 'p', 'm')
"""
_TABLES = """
SELECT tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
"""
_SCHEMA = """
SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' '
       || CASE WHEN is_nullable = 'YES' THEN 'null' ELSE 'not null' END
FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
UNION ALL
SELECT 'index ' || indexdef FROM pg_indexes
WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
UNION ALL
SELECT 'constraint ' || conrelid::regclass || ' ' || pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace NOT IN (
  SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema'))
"""


class StepFailed(Exception):
    def __init__(self, reason: str, duration_s: float, locks: list[LockSample]) -> None:
        super().__init__(reason)
        self.reason, self.duration_s, self.locks = reason, duration_s, locks


def psycopg_url(url: str) -> str:
    """SQLAlchemy's `postgresql+psycopg://` is the same URL to libpq."""
    return re.sub(r"^postgres(ql)?\+\w+://", "postgresql://", url)


def with_dbname(url: str, dbname: str) -> str:
    params = {k: str(v) for k, v in conninfo.conninfo_to_dict(psycopg_url(url)).items() if v}
    params["dbname"] = dbname
    return conninfo.make_conninfo("", **params)


def dbname_of(url: str) -> str:
    return str(conninfo.conninfo_to_dict(psycopg_url(url)).get("dbname") or "")


class _Sampler(threading.Thread):
    """Polls the locks one backend holds until stopped; keeps first/last sighting of each."""

    def __init__(self, conn: psycopg.Connection[Any], pid: int, tables: set[str]) -> None:
        super().__init__(daemon=True)
        self.conn, self.pid, self.tables = conn, pid, tables
        self.stop = threading.Event()
        self.seen: dict[tuple[str, str], tuple[float, float]] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            now = time.monotonic()
            try:
                rows = self.conn.execute(_LOCKS, (self.pid,)).fetchall()
            except psycopg.Error:
                return
            for relname, mode in rows:
                first, _ = self.seen.get((relname, mode), (now, now))
                self.seen[(relname, mode)] = (first, now)
            self.stop.wait(SAMPLE_INTERVAL_S)

    def samples(self) -> list[LockSample]:
        return [
            LockSample(
                table, mode, round(last - first + SAMPLE_INTERVAL_S, 3), table in self.tables
            )
            for (table, mode), (first, last) in sorted(self.seen.items())
        ]


class PgDatabase:
    """Context manager: the working copy exists between enter and exit."""

    def __init__(self, url: str, statement_timeout_s: float) -> None:
        self.url = psycopg_url(url)
        self.source = dbname_of(url)
        self.working_copy = f"launchready_rehearsal_{secrets.token_hex(4)}"
        self.timeout_ms = int(statement_timeout_s * 1000)
        self._admin: psycopg.Connection[Any] | None = None
        self._conn: psycopg.Connection[Any] | None = None
        self._probe: psycopg.Connection[Any] | None = None

    def __enter__(self) -> PgDatabase:
        self._admin = _admin_connection(self.url, self.source)
        try:
            self._admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(self.working_copy), sql.Identifier(self.source)
                )
            )
        except psycopg.Error as exc:
            self._admin.close()
            self._admin = None
            reason = (exc.diag.message_primary or str(exc)).strip()
            raise psycopg.OperationalError(
                f"cannot copy {self.source} to rehearse on ({reason}); the rehearsal needs "
                "CREATEDB and no other session on the scratch database"
            ) from None
        copy = with_dbname(self.url, self.working_copy)
        self._conn = psycopg.connect(copy, autocommit=True, connect_timeout=10)
        self._conn.execute(f"SET statement_timeout = {self.timeout_ms}")
        self._probe = psycopg.connect(copy, autocommit=True, connect_timeout=10)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for conn in (self._conn, self._probe):
            if conn is not None:
                conn.close()
        if self._admin is not None:
            try:
                self._admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(self.working_copy)
                    )
                )
            finally:
                self._admin.close()

    @property
    def conn(self) -> psycopg.Connection[Any]:
        assert self._conn is not None
        return self._conn

    def tables(self) -> set[str]:
        return {r[0] for r in self.conn.execute(_TABLES).fetchall()}

    def schema(self) -> tuple[str, ...]:
        return tuple(sorted(r[0] for r in self.conn.execute(_SCHEMA).fetchall()))

    def applied_versions(self) -> set[str] | None:
        return applied_versions(self.conn, self.tables())

    def run(self, migration: Migration, direction: Direction) -> tuple[float, list[LockSample]]:
        text = migration.up_sql if direction == "up" else migration.down_sql
        assert text is not None and self._probe is not None
        sampler = _Sampler(self._probe, self.conn.info.backend_pid, self.tables())
        sampler.start()
        started = time.monotonic()
        try:
            if _CONCURRENTLY.search(text):
                for _, statement in split_statements(text):
                    self.conn.execute(statement)
            else:
                with self.conn.transaction():
                    self.conn.execute(text)
        except psycopg.Error as exc:
            reason = (exc.diag.message_primary or str(exc)).strip()
            sampler.stop.set()
            sampler.join()
            raise StepFailed(reason, time.monotonic() - started, sampler.samples()) from None
        duration = time.monotonic() - started
        sampler.stop.set()
        sampler.join()
        return duration, sampler.samples()


def _admin_connection(url: str, source: str) -> psycopg.Connection[Any]:
    """A connection to another database of the server: one cannot copy a database one is in."""
    last: psycopg.Error | None = None
    for name in ("postgres", "template1"):
        if name == source:
            continue
        try:
            return psycopg.connect(with_dbname(url, name), autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            last = exc
    raise last or psycopg.OperationalError("no maintenance database to connect to")


def applied_versions(conn: psycopg.Connection[Any], tables: set[str]) -> set[str] | None:
    """Versions recorded by a migration tool's own table; None when there is none."""
    if "_prisma_migrations" in tables:
        rows = conn.execute(
            "SELECT migration_name FROM _prisma_migrations "
            "WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL"
        ).fetchall()
        return {str(r[0]) for r in rows}
    if "flyway_schema_history" in tables:
        rows = conn.execute("SELECT version FROM flyway_schema_history WHERE success").fetchall()
        return {str(r[0]) for r in rows if r[0] is not None}
    if "goose_db_version" in tables:
        rows = conn.execute("SELECT version_id FROM goose_db_version WHERE is_applied").fetchall()
        return {str(r[0]) for r in rows}
    if "schema_migrations" in tables:
        rows = conn.execute("SELECT * FROM schema_migrations").fetchall()
        return {str(r[0]) for r in rows}
    return None
