"""Rehearse pending migrations on a scratch database: forward, back, forward again.

Each step is timed and the locks it takes are sampled; the whole run happens on a copy that
is dropped afterwards. Only SQL migrations are applied as written; ORM migrations (Alembic,
Django, Knex, Rails) run through the app's own tool, which launchready does not execute.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from typing import Any

import psycopg
import sqlglot
from psycopg import conninfo
from sqlglot import exp

from launchready.config.model import AuditConfig
from launchready.core.outcome import Outcome
from launchready.gatherers.base import GatherContext
from launchready.gatherers.deploy.files import repo_files
from launchready.gatherers.deploy.migrations import discover_sets
from launchready.gatherers.deploy.migrations.model import Migration, MigrationSet
from launchready.gatherers.deploy.rehearsal import guard
from launchready.gatherers.deploy.rehearsal.lite import LiteDatabase, sqlite_path
from launchready.gatherers.deploy.rehearsal.model import (
    REHEARSAL,
    Database,
    Direction,
    RehearsalFact,
    Step,
)
from launchready.gatherers.deploy.rehearsal.pg import (
    SAMPLE_INTERVAL_S,
    PgDatabase,
    StepFailed,
    psycopg_url,
)
from launchready.gatherers.deploy.repo import GitError

__all__ = ["REHEARSAL", "RehearsalGatherer", "rehearse"]


class NotScratch(Exception):
    """The database cannot be rehearsed on; the message says why."""


def engine_of(url: str) -> str | None:
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    return {"postgres": "postgresql", "postgresql": "postgresql", "sqlite": "sqlite"}.get(scheme)


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*(?=://)")


def redact(url: str) -> str:
    """Where the database is (host, port, name), never who signs in or with what.

    Never raises: it names the target of every outcome, including the one saying the URL
    is malformed. What cannot be parsed shows as its scheme alone: libpq's parse errors
    quote the offending part, which may be the password."""
    scheme = _SCHEME.match(url)
    fallback = f"{scheme[0] if scheme else 'database'}://…"
    try:
        if engine_of(url) == "sqlite":
            return sqlite_path(url)
        if engine_of(url) != "postgresql":
            return fallback
        params = conninfo.conninfo_to_dict(psycopg_url(url))
    except (psycopg.Error, ValueError):
        return fallback
    host, port, name = params.get("host", "localhost"), params.get("port", ""), params.get("dbname")
    return f"postgresql://{host}{':' + str(port) if port else ''}/{name or ''}"


def _parses(url: str) -> bool:
    try:
        conninfo.conninfo_to_dict(psycopg_url(url))
    except psycopg.Error:
        return False
    return True


def _database_error(exc: Exception, url: str) -> str:
    """The first line of a driver error, with the password cut out should the driver have
    quoted it (libpq quotes the text it could not parse)."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    try:
        password = str(conninfo.conninfo_to_dict(psycopg_url(url)).get("password") or "")
    except psycopg.Error:
        password = ""
    return first.replace(password, "…") if password else first


def hot_tables(config: AuditConfig) -> tuple[str, ...]:
    names = [t.lower() for t in config.deploy.hot_tables]
    for query in config.database.hot_queries:
        try:
            parsed = sqlglot.parse_one(query, read="postgres")
        except sqlglot.errors.SqlglotError:
            continue
        names.extend(t.name.lower() for t in parsed.find_all(exp.Table) if t.name)
    return tuple(dict.fromkeys(names))


def _is_applied(m: Migration, versions: set[str], tool: str) -> bool:
    if m.id in versions:
        return True
    prefix = re.match(r"[VU]?(\d+)", m.id)
    if not prefix:
        return False
    number = prefix.group(1)
    if tool == "golang-migrate" and len(versions) == 1:
        (current,) = versions
        return current.isdigit() and int(number) <= int(current)
    return number in versions or str(int(number)) in versions


def _step(db: Database, m: Migration, direction: Direction, pass_no: int) -> Step:
    try:
        duration, locks = db.run(m, direction)
    except StepFailed as exc:
        return Step(
            m.id,
            m.path,
            direction,
            pass_no,
            False,
            round(exc.duration_s, 3),
            tuple(exc.locks),
            exc.reason[:300],
        )
    return Step(m.id, m.path, direction, pass_no, True, round(duration, 3), tuple(locks))


def rehearse(
    db: Database, migrations: MigrationSet
) -> tuple[list[Migration], list[Step], tuple[str, ...], tuple[str, ...], bool]:
    """(pending, steps, schema before, schema after the back pass, back pass complete)."""
    versions = db.applied_versions()
    if versions is None:
        if db.tables():
            raise NotScratch(
                "it has tables but no migration history table, so which migrations are "
                "pending cannot be told; use an empty database, or a copy of staging with "
                "its migration table"
            )
        pending = list(migrations.migrations)
    else:
        pending = [
            m for m in migrations.migrations if not _is_applied(m, versions, migrations.tool)
        ]
    before = db.schema()
    steps: list[Step] = []
    applied: list[Migration] = []
    for m in pending:
        steps.append(_step(db, m, "up", 1))
        if not steps[-1].ok:
            break
        applied.append(m)
    undone: list[Migration] = []
    for m in reversed(applied):
        if m.down_sql is None:
            break
        steps.append(_step(db, m, "down", 2))
        if not steps[-1].ok:
            break
        undone.append(m)
    after_back = db.schema()
    for m in reversed(undone):
        steps.append(_step(db, m, "up", 3))
        if not steps[-1].ok:
            break
    return pending, steps, before, after_back, len(undone) == len(applied)


def _run(
    url: str, engine: str, chosen: MigrationSet, config: AuditConfig, timeout_s: float
) -> RehearsalFact:
    reasons = (
        guard.pg_reasons(url, config)
        if engine == "postgresql"
        else guard.sqlite_reasons(sqlite_path(url))
    )
    if reasons and not config.database.allow_production:
        raise NotScratch(
            "refused: it looks like production (" + "; ".join(reasons) + "); point "
            "--database-url or [deploy] scratch_database_url at a scratch database, or set "
            "[database] allow_production = true (only a copy is ever changed)"
        )
    db: PgDatabase | LiteDatabase = (
        PgDatabase(url, timeout_s) if engine == "postgresql" else LiteDatabase(sqlite_path(url))
    )
    with db:
        pending, steps, before, after_back, complete = rehearse(db, chosen)
        working_copy = db.working_copy
    return RehearsalFact(
        redact(url),
        engine,
        chosen.tool,
        working_copy,
        tuple(m.id for m in pending),
        tuple(steps),
        tuple(m.id for m in pending if m.down_sql is None),
        before,
        after_back,
        complete,
        hot_tables(config),
        config.deploy.lock_timeout_s,
        SAMPLE_INTERVAL_S,
    )


class RehearsalGatherer:
    name: str = "migration rehearsal"
    provides: tuple[str, ...] = (REHEARSAL,)

    async def gather(self, ctx: GatherContext) -> list[Outcome[Any]]:
        config = ctx.config
        url = config.deploy.scratch_database_url or config.database.url
        if not url:
            return [Outcome.skipped(REHEARSAL, "-", "no scratch database (--database-url)")]
        engine = engine_of(url)
        target = redact(url)
        if engine is None:
            return [Outcome.skipped(REHEARSAL, target, "rehearsals run on PostgreSQL or SQLite")]
        if not config.repo.path:
            return [Outcome.skipped(REHEARSAL, target, "no repository given to find migrations")]
        if engine == "postgresql" and not _parses(url):
            # Said without libpq's message, which quotes the part it could not parse.
            return [Outcome.error(REHEARSAL, target, "database URL cannot be parsed")]
        ctx.progress.started("deploy: migration rehearsal")
        try:
            files = await repo_files(config.resolve_path(config.repo.path))
            sets, _ = await asyncio.to_thread(discover_sets, files, config)
            runnable = [s for s in sets if s.runs_sql and s.dialect == engine]
            if not runnable:
                why = f"no SQL migrations for {engine} to apply"
                if sets:
                    tools = ", ".join(sorted({s.tool for s in sets}))
                    why += f" ({tools} migrations run through their own tool)"
                return [Outcome.skipped(REHEARSAL, target, why)]
            fact = await asyncio.to_thread(_run, url, engine, runnable[0], config, ctx.timeout_s)
        except NotScratch as exc:
            return [Outcome.skipped(REHEARSAL, target, str(exc))]
        except (psycopg.Error, sqlite3.Error) as exc:
            return [Outcome.error(REHEARSAL, target, f"database: {_database_error(exc, url)}")]
        except (OSError, GitError) as exc:
            return [Outcome.error(REHEARSAL, target, str(exc))]
        finally:
            ctx.progress.finished("deploy: migration rehearsal")
        return [Outcome.ok(REHEARSAL, target, fact)]
