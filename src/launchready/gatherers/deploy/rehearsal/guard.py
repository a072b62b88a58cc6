"""Refuse a database that looks like production; the rehearsal is for scratch databases.

Signs, any one of which is enough: it is the database a production environment's
DATABASE_URL points at; its name or host says prod/live; other sessions are using it; a table
holds more rows than a scratch copy plausibly would. `[database] allow_production = true`
overrides (the rehearsal still only ever writes to its own copy).
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo, sql

from launchready.config.model import AuditConfig
from launchready.gatherers.deploy.dotenv import db_targets, parse_dotenv
from launchready.gatherers.deploy.rehearsal.pg import psycopg_url
from launchready.gatherers.deploy.secret_store import is_production

MAX_SCRATCH_ROWS = 100_000
_PROD_WORD = re.compile(r"(^|[_.-])(prod|production|live)([_.-]|$)", re.IGNORECASE)


def production_targets(config: AuditConfig) -> set[tuple[str, str]]:
    """(host, database name) of every production environment's database URLs."""
    found = set()
    for name, env in config.environments.items():
        if not (is_production(name) and env.env_file):
            continue
        try:
            text = Path(config.resolve_path(env.env_file)).read_text("utf-8", "replace")
        except OSError:
            continue
        for t in db_targets(parse_dotenv(text)):
            found.add((t.host.lower(), t.name))
    return found


def pg_reasons(url: str, config: AuditConfig) -> list[str]:
    params = conninfo.conninfo_to_dict(psycopg_url(url))
    host = str(params.get("host") or "localhost").lower()
    name = str(params.get("dbname") or "")
    reasons = []
    if (host, name) in production_targets(config):
        reasons.append("it is the database a production environment's env file points at")
    if _PROD_WORD.search(name) or _PROD_WORD.search(host.split(".")[0]):
        reasons.append(f"its name says production ({host}/{name})")
    with psycopg.connect(psycopg_url(url), autocommit=True, connect_timeout=10) as conn:
        others = conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
        if others and others[0]:
            reasons.append(f"{others[0]} other session(s) are connected to it")
        biggest = _pg_biggest(conn)
        if biggest and biggest[1] > MAX_SCRATCH_ROWS:
            reasons.append(f"table {biggest[0]} holds over {MAX_SCRATCH_ROWS:,} rows")
    return reasons


def _pg_biggest(conn: psycopg.Connection[Any]) -> tuple[str, int] | None:
    rows = conn.execute(
        "SELECT c.relname, c.reltuples FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    ).fetchall()
    best: tuple[str, int] | None = None
    for relname, estimate in rows:
        count = int(estimate)
        if count < 0:  # never analysed: count, but stop counting past the limit
            q = sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {} LIMIT %s) s").format(
                sql.Identifier(relname)
            )
            found = conn.execute(q, (MAX_SCRATCH_ROWS + 1,)).fetchone()
            count = int(found[0]) if found else 0
        if best is None or count > best[1]:
            best = (relname, count)
    return best


def sqlite_reasons(path: str) -> list[str]:
    reasons = []
    if _PROD_WORD.search(Path(path).stem):
        reasons.append(f"its name says production ({Path(path).name})")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            row = conn.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {quoted} LIMIT ?)", (MAX_SCRATCH_ROWS + 1,)
            ).fetchone()
            if row and row[0] > MAX_SCRATCH_ROWS:
                reasons.append(f"table {table} holds over {MAX_SCRATCH_ROWS:,} rows")
                break
    return reasons
