"""Query plans of the hot queries, and a proven index for each large sequential scan.

EXPLAIN (FORMAT JSON) on PostgreSQL, EXPLAIN QUERY PLAN on SQLite, through SQLAlchemy Core.
The whole plan tree is walked (an index can surface deep under a Bitmap Heap Scan). For a
sequential scan of a large table, the columns the query filters that table on become a
trial index, created inside a transaction that is rolled back (or as a hypopg hypothetical
index when that extension is installed); the plan is taken again and both are reported.
Afterwards the catalogue is checked: nothing may be left behind.

A database that looks like production is refused unless ``[database].allow_production``.
Only plain reads are explained (the config refuses anything else, and so does this step for
pg_stat_statements' queries); SQLite timings run with writes refused, inside transactions
that are rolled back. Every step is held to the audit's per-target limit: a connect timeout,
``statement_timeout`` on PostgreSQL, an interrupting progress handler on SQLite.
"""

from __future__ import annotations

import math
import re
import sqlite3
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlglot
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlglot import exp

from launchready.config.model import AuditConfig
from launchready.config.sqlcheck import dialect_of, not_a_read
from launchready.core.outcome import Outcome
from launchready.gatherers.performance.facts import QUERY_PLAN, IndexProof, PlanNode, QueryPlanFact

TRIAL_INDEX = "launchready_trial_idx"
_PROD = re.compile(r"(^|[^a-z])(prod|production|live|primary)([^a-z]|$)", re.I)
_SQLITE_OP = re.compile(r"^(SCAN|SEARCH)\s+(?:TABLE\s+)?(\S+)")
TIMING_RUNS = 3
SQLITE_CHECK_EVERY = 10_000  # SQLite virtual-machine steps between looks at the clock


def sqlalchemy_url(url: str) -> str:
    """psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def production_reason(url: str, config: AuditConfig) -> str | None:
    """Why ``url`` looks like production, or None."""
    parsed = make_url(sqlalchemy_url(url))
    for part in (parsed.host, parsed.database, parsed.username):
        if part and _PROD.search(part.rsplit("/", 1)[-1] if part == parsed.database else part):
            return f"its name mentions production ({part})"
    env = config.environments.get("production")
    if env and env.env_file:
        try:
            lines = Path(config.resolve_path(env.env_file)).read_text("utf-8").splitlines()
        except OSError:
            return None
        for line in lines:
            key, _, value = line.partition("=")
            is_db = key.strip().removeprefix("export ").strip() == "DATABASE_URL"
            if is_db and value.strip().strip("'\"") == url:
                return f"it is DATABASE_URL of {env.env_file}"
    return None


# --- plan trees ----------------------------------------------------------------------------


def pg_nodes(plan: dict[str, Any], depth: int = 0) -> list[PlanNode]:
    detail = " ".join(
        f"{k}: {plan[k]}"
        for k in ("Index Name", "Index Cond", "Filter", "Recheck Cond")
        if k in plan
    )
    nodes = [
        PlanNode(
            depth,
            str(plan.get("Node Type", "?")),
            plan.get("Relation Name"),
            detail,
            float(plan.get("Plan Rows", 0)),
            float(plan.get("Total Cost", 0)),
        )
    ]
    for child in plan.get("Plans", []):
        nodes.extend(pg_nodes(child, depth + 1))
    return nodes


def sqlite_nodes(rows: list[tuple[Any, ...]]) -> list[PlanNode]:
    depth_of: dict[int, int] = {0: -1}
    nodes = []
    for row in rows:
        node_id, parent, detail = int(row[0]), int(row[1]), str(row[3])
        depth = depth_of.get(parent, -1) + 1
        depth_of[node_id] = depth
        m = _SQLITE_OP.match(detail)
        op = m.group(1) if m else detail.split(" ")[0]
        nodes.append(PlanNode(depth, op, m.group(2) if m else None, detail))
    return nodes


def is_full_scan(node: PlanNode) -> bool:
    if node.operation == "Seq Scan":
        return True
    # SQLite: "SCAN t" is a full table scan; "SCAN t USING [COVERING] INDEX i" walks an index.
    return node.operation == "SCAN" and "USING" not in node.detail


# --- index candidates ----------------------------------------------------------------------


def filter_columns(sql: str, table: str, dialect: str, known: set[str]) -> list[str]:
    """Columns of ``table`` the query filters on: equalities first, then one range."""
    try:
        tree = sqlglot.parse_one(sql, read="postgres" if dialect == "postgresql" else "sqlite")
    except sqlglot.errors.ParseError:
        return []
    tables = list(tree.find_all(exp.Table))
    names = {t.alias_or_name for t in tables if t.name == table} | {table}
    single = len({t.name for t in tables}) == 1
    where = tree.find(exp.Where)
    if where is None:
        return []
    equal: list[str] = []
    ranged: list[str] = []
    for node in where.find_all(exp.EQ, exp.In, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between):
        column = node.this if isinstance(node.this, exp.Column) else None
        if column is None and isinstance(node.args.get("expression"), exp.Column):
            column = node.args["expression"]
        if column is None or column.name not in known:
            continue
        if column.table and column.table not in names:
            continue
        if not column.table and not single:
            continue
        bucket = equal if isinstance(node, exp.EQ | exp.In) else ranged
        if column.name not in equal + ranged:
            bucket.append(column.name)
    return equal + ranged[:1]


# --- the two dialects ----------------------------------------------------------------------


def _timed(conn: Connection, sql: str) -> float:
    runs = []
    for _ in range(TIMING_RUNS):
        started = time.perf_counter()
        conn.exec_driver_sql(sql).fetchall()
        runs.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(runs), 2)


@contextmanager
def _sqlite_read_only(conn: Connection) -> Iterator[None]:
    """Writes refused for a moment (PRAGMA query_only), also inside an open transaction."""
    conn.exec_driver_sql("PRAGMA query_only = ON")
    try:
        yield
    finally:
        conn.exec_driver_sql("PRAGMA query_only = OFF")


def _sqlite_plan(conn: Connection, sql: str) -> list[PlanNode]:
    return sqlite_nodes([tuple(r) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)])


def _sqlite_proof(conn: Connection, sql: str, create: str) -> IndexProof:
    # The query runs for real here (EXPLAIN QUERY PLAN does not time anything): only with
    # writes refused and inside transactions that are rolled back, so even a statement that
    # got past the config's check cannot change a row.
    with _sqlite_read_only(conn):
        conn.exec_driver_sql("BEGIN")
        try:
            before_ms = _timed(conn, sql)
        finally:
            conn.exec_driver_sql("ROLLBACK")
    conn.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        conn.exec_driver_sql(create)
        after = _sqlite_plan(conn, sql)
        with _sqlite_read_only(conn):
            after_ms = _timed(conn, sql)
    finally:
        conn.exec_driver_sql("ROLLBACK")
    left = conn.exec_driver_sql(
        "SELECT count(*) FROM sqlite_master WHERE name = ?", (TRIAL_INDEX,)
    ).scalar()
    return IndexProof(
        create, "rolled-back transaction", None, None, tuple(after), before_ms, after_ms, bool(left)
    )


def _pg(conn: Connection, sql: str) -> Any:
    """Run literal SQL on psycopg, which reads '%' as a placeholder even without params."""
    return conn.exec_driver_sql(sql.replace("%", "%%"))


def _pg_limit(conn: Connection, timeout_s: float, local: bool = False) -> None:
    """Hold the next statements to the per-target limit; the server cancels past it."""
    scope = "LOCAL " if local else ""
    conn.exec_driver_sql(f"SET {scope}statement_timeout = {max(1, math.ceil(timeout_s * 1000))}")


def _pg_explain(conn: Connection, sql: str, generic: bool, timeout_s: float) -> dict[str, Any]:
    options = "GENERIC_PLAN, FORMAT JSON" if generic else "FORMAT JSON"
    _pg_limit(conn, timeout_s)
    value: Any = _pg(conn, f"EXPLAIN ({options}) {sql}").scalar()
    plan: dict[str, Any] = value[0]["Plan"]
    return plan


def _pg_proof(
    conn: Connection, sql: str, create: str, generic: bool, timeout_s: float
) -> IndexProof:
    hypopg = bool(
        conn.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'hypopg'").scalar()
    )
    cost_before = float(_pg_explain(conn, sql, generic, timeout_s)["Total Cost"])
    conn.rollback()  # end the read-only transaction SQLAlchemy began; the trial gets its own
    trans = conn.begin()
    try:
        # A real CREATE INDEX takes a SHARE lock: give up quickly rather than queue writers.
        conn.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
        _pg_limit(conn, timeout_s, local=True)
        if hypopg:
            conn.execute(text("SELECT * FROM hypopg_create_index(:s)"), {"s": create})
        else:
            _pg(conn, create)
        after = _pg_explain(conn, sql, generic, timeout_s)
    finally:
        trans.rollback()
    left = conn.exec_driver_sql(
        f"SELECT count(*) FROM pg_class WHERE relname = '{TRIAL_INDEX}'"
    ).scalar()
    return IndexProof(
        create,
        "hypopg" if hypopg else "rolled-back transaction",
        cost_before,
        float(after["Total Cost"]),
        tuple(pg_nodes(after)),
        left_behind=bool(left),
    )


def _sqlite_tables(conn: Connection, sql: str, relations: list[str]) -> list[str]:
    """The tables behind SQLite's plan names, which are aliases when the query gives one
    ("SCAN a"), and leaving out CTEs and subqueries, which have no rows to count."""
    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
        aliases = {t.alias_or_name: t.name for t in tree.find_all(exp.Table)}
    except sqlglot.errors.ParseError:
        aliases = {}
    tables = {
        str(r[0])
        for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    return sorted({aliases.get(r, r) for r in relations} & tables)


def _table_rows(conn: Connection, table: str, dialect: str) -> int:
    if dialect == "postgresql":
        estimate = conn.execute(
            text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}
        ).scalar()
        if estimate is not None and estimate >= 0:
            return int(estimate)
    quoted = '"' + table.replace('"', '""') + '"'
    statement = f"SELECT count(*) FROM {quoted}"
    if dialect == "postgresql":
        return int(_pg(conn, statement).scalar() or 0)
    return int(conn.exec_driver_sql(statement).scalar() or 0)


@contextmanager
def _sqlite_deadline(
    conn: Connection, timeout_s: float, stop: threading.Event | None
) -> Iterator[None]:
    """Interrupt whatever SQLite runs on ``conn`` once the limit has passed (or on stop):
    it raises OperationalError("interrupted")."""
    raw = conn.connection.driver_connection
    if not isinstance(raw, sqlite3.Connection):
        yield
        return
    deadline = time.monotonic() + timeout_s

    def over() -> int:
        return int(time.monotonic() > deadline or (stop is not None and stop.is_set()))

    raw.set_progress_handler(over, SQLITE_CHECK_EVERY)
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)


def explain(
    engine: Engine,
    sql: str,
    source: str,
    large: int,
    *,
    timeout_s: float = 30.0,
    stop: threading.Event | None = None,
) -> QueryPlanFact:
    """One query's plan, and a proven index when it scans a large table; each statement
    is held to ``timeout_s`` (SQLite: the whole query's work together)."""
    dialect = engine.dialect.name
    generic = dialect == "postgresql" and "$1" in sql
    with engine.connect() as conn, _sqlite_deadline(conn, timeout_s, stop):
        if dialect == "postgresql":
            root = _pg_explain(conn, sql, generic, timeout_s)
            nodes, total = pg_nodes(root), float(root["Total Cost"])
        else:
            nodes, total = _sqlite_plan(conn, sql), None
        scanned = sorted({n.relation for n in nodes if is_full_scan(n) and n.relation})
        if dialect == "sqlite":
            scanned = _sqlite_tables(conn, sql, scanned)
        rows = tuple((t, _table_rows(conn, t, dialect)) for t in scanned)
        proof, note = None, ""
        for table, count in rows:
            if count < large:
                continue
            known = {c["name"] for c in inspect(conn).get_columns(table)}
            columns = filter_columns(sql, table, dialect, known)
            if not columns:
                note = f"no filter column of {table} to index was found in the query"
                continue
            create = f"CREATE INDEX {TRIAL_INDEX} ON {table} ({', '.join(columns)})"
            if dialect == "postgresql":
                proof = _pg_proof(conn, sql, create, generic, timeout_s)
            else:
                proof = _sqlite_proof(conn, sql, create)
            break
    return QueryPlanFact(sql, dialect, source, tuple(nodes), total, rows, large, proof, note)


def _pg_top_queries(engine: Engine, timeout_s: float, limit: int = 5) -> list[str]:
    """The most time-consuming SELECTs of pg_stat_statements, when it is installed."""
    with engine.connect() as conn:
        _pg_limit(conn, timeout_s)
        present = conn.exec_driver_sql(
            "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'"
        ).scalar()
        if not present:
            return []
        version = int(conn.exec_driver_sql("SHOW server_version_num").scalar() or 0)
        try:
            rows = _pg(
                conn,
                "SELECT query FROM pg_stat_statements WHERE query ILIKE 'select%' "
                f"ORDER BY total_exec_time DESC LIMIT {limit * 3}",
            ).fetchall()
        except SQLAlchemyError:
            return []
    # Parametrised statements need EXPLAIN (GENERIC_PLAN), which arrived in PostgreSQL 16.
    queries = [str(r[0]) for r in rows if version >= 160000 or "$1" not in str(r[0])]
    return queries[:limit]


def _connect_args(url: str, timeout_s: float) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"timeout": timeout_s}  # how long to wait for another writer's lock
    if dialect_of(url) == "postgres":
        # libpq counts whole seconds (and at least 2); the TCP connect and the startup
        # exchange both count, so a server that accepts and never answers is given up on.
        return {"connect_timeout": max(2, math.ceil(timeout_s))}
    return {}


def _failure(exc: SQLAlchemyError, timeout_s: float) -> str:
    message = str(exc.orig if hasattr(exc, "orig") else exc).splitlines()[0]
    if message == "interrupted" or "statement timeout" in message:
        return f"stopped at the time limit ({timeout_s:g} s): {message}"
    return message


def gather_query_plans(
    config: AuditConfig, timeout_s: float = 30.0, stop: threading.Event | None = None
) -> list[Outcome[Any]]:
    """``timeout_s`` is the audit's per-target limit: for connecting, and for each query."""
    db = config.database
    if not db.url:
        return [Outcome.skipped(QUERY_PLAN, "-", "no [database].url (or --database-url)")]
    target = make_url(sqlalchemy_url(db.url)).render_as_string(hide_password=True)
    reason = production_reason(db.url, config)
    if reason and not db.allow_production:
        return [
            Outcome.skipped(
                QUERY_PLAN,
                target,
                f"refused: the database looks like production ({reason}); use a staging "
                "copy, or set [database].allow_production = true",
            )
        ]
    try:
        engine = create_engine(
            sqlalchemy_url(db.url),
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT" if db.url.startswith("sqlite") else None,
            connect_args=_connect_args(db.url, timeout_s),
        )
        with engine.connect():
            pass
    except (SQLAlchemyError, ImportError) as exc:
        return [
            Outcome.error(QUERY_PLAN, target, f"cannot connect: {exc.__class__.__name__}: {exc}")
        ]
    queries = [(q, "hot_queries") for q in db.hot_queries]
    try:
        if engine.dialect.name == "postgresql":
            queries += [(q, "pg_stat_statements") for q in _pg_top_queries(engine, timeout_s)]
        if not queries:
            return [Outcome.skipped(QUERY_PLAN, target, "no [database].hot_queries configured")]
        out: list[Outcome[Any]] = []
        for sql, source in queries:
            if stop is not None and stop.is_set():
                break
            problem = not_a_read(sql, dialect_of(db.url))
            if problem:
                out.append(Outcome.error(QUERY_PLAN, sql, f"refused: the query {problem}"))
                continue
            try:
                fact = explain(
                    engine, sql, source, db.large_table_rows, timeout_s=timeout_s, stop=stop
                )
            except SQLAlchemyError as exc:
                out.append(
                    Outcome.error(QUERY_PLAN, sql, f"EXPLAIN failed: {_failure(exc, timeout_s)}")
                )
                continue
            out.append(Outcome.ok(QUERY_PLAN, sql, fact))
        return out
    except SQLAlchemyError as exc:
        return [
            Outcome.error(QUERY_PLAN, target, f"query plans failed: {_failure(exc, timeout_s)}")
        ]
    finally:
        engine.dispose()
