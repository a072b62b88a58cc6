"""Query plans on real SQLite and PostgreSQL: an index proven, then rolled back."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from pydantic import ValidationError
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError

from launchready.config.errors import ConfigError
from launchready.config.loader import parse_config
from launchready.config.model import AuditConfig, DatabaseConfig
from launchready.core.findings import Stage, Status
from launchready.engine import run_audit
from launchready.gatherers.performance.queryplans import (
    explain,
    gather_query_plans,
    sqlalchemy_url,
)

T = TypeVar("T")
QUERY = "SELECT * FROM activity_logs WHERE client_id = 42 ORDER BY created_at DESC LIMIT 50"


def sqlite_db(path: Path, rows: int) -> str:
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE activity_logs (id INTEGER PRIMARY KEY, client_id INTEGER, "
        "action TEXT, created_at TEXT)"
    )
    db.executemany(
        "INSERT INTO activity_logs (client_id, action, created_at) VALUES (?, 'x', ?)",
        ((i % 500, f"2025-01-{i % 28 + 1:02d}") for i in range(rows)),
    )
    db.commit()
    db.close()
    return f"sqlite:///{path}"


def indexes(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")]


def test_sqlite_full_scan_gets_a_proven_index_and_nothing_is_left(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    url = sqlite_db(path, 20_000)
    config = AuditConfig(database=DatabaseConfig(url=url, hot_queries=[QUERY]))
    [outcome] = gather_query_plans(config)
    fact = outcome.value
    assert fact is not None and fact.dialect == "sqlite"
    assert [n.operation for n in fact.plan][0] == "SCAN"
    assert dict(fact.table_rows) == {"activity_logs": 20_000}
    proof = fact.proof
    assert proof is not None and "(client_id)" in proof.statement
    assert any("USING INDEX" in n.detail for n in proof.plan_after)
    assert proof.ms_before is not None and proof.ms_after is not None
    assert not proof.left_behind and indexes(path) == []


def test_small_tables_are_not_worth_an_index(tmp_path: Path) -> None:
    url = sqlite_db(tmp_path / "small.db", 200)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    fact = explain(engine, QUERY, "hot_queries", 10_000)
    assert fact.proof is None and dict(fact.table_rows) == {"activity_logs": 200}


def test_a_database_that_looks_like_production_is_refused(tmp_path: Path) -> None:
    url = sqlite_db(tmp_path / "app.db", 10)
    prod = tmp_path / ".env.production"
    prod.write_text(f"DATABASE_URL={url}\n")
    config = AuditConfig.model_validate(
        {
            "database": {"url": url, "hot_queries": [QUERY]},
            "environments": {"production": {"env_file": str(prod)}},
        }
    )
    [outcome] = gather_query_plans(config)
    assert outcome.status.value == "skipped" and "production" in outcome.reason
    named = AuditConfig(database=DatabaseConfig(url="postgresql://u@db-prod.internal/app"))
    assert "production" in gather_query_plans(named)[0].reason
    allowed = config.model_copy(
        update={"database": config.database.model_copy(update={"allow_production": True})}
    )
    assert gather_query_plans(allowed)[0].status.value == "ok"


def test_postgresql_cost_before_and_after_and_nothing_left(pg_scratch: str) -> None:
    postgres_url = pg_scratch  # a database of its own: the server's others are left alone
    engine = create_engine(sqlalchemy_url(postgres_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE activity_logs (id serial PRIMARY KEY, client_id int, action text, "
            "created_at timestamptz)"
        )
        conn.exec_driver_sql(
            "INSERT INTO activity_logs (client_id, action, created_at) "
            "SELECT mod(g, 500), 'x', now() - g * interval '1 minute' "
            "FROM generate_series(1, 50000) g"
        )
        conn.exec_driver_sql("ANALYZE activity_logs")
    engine.dispose()
    config = AuditConfig(
        database=DatabaseConfig(
            url=postgres_url, hot_queries=[QUERY, "SELECT 1 WHERE 'a' LIKE 'a%'"]
        )
    )
    outcomes = gather_query_plans(config)
    fact = outcomes[0].value
    assert fact is not None and fact.dialect == "postgresql", outcomes[0]
    assert any(n.operation == "Seq Scan" for n in fact.plan)
    proof = fact.proof
    assert proof is not None, fact
    assert proof is not None and "(client_id)" in proof.statement
    assert proof.cost_before and proof.cost_after and proof.cost_after < proof.cost_before / 2
    assert not proof.left_behind
    assert outcomes[1].status.value == "ok"  # a literal % in a query is not a placeholder
    engine = create_engine(sqlalchemy_url(postgres_url))
    with engine.connect() as conn:
        names = conn.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'activity_logs'"
        ).fetchall()
        conn.exec_driver_sql("DROP TABLE activity_logs")
        conn.commit()
    engine.dispose()
    assert [n[0] for n in names] == ["activity_logs_pkey"]


@pytest.mark.parametrize("url", ["postgres://u@h/db", "postgresql://u@h/db"])
def test_postgres_urls_use_psycopg3(url: str) -> None:
    assert sqlalchemy_url(url).startswith("postgresql+psycopg://")


# --- time limits ------------------------------------------------------------------------


def bounded(work: Callable[[], T], limit_s: float) -> tuple[T, float]:
    """Run ``work`` in a thread and give up after ``limit_s``: a hang fails, not blocks."""
    box: list[T] = []
    started = time.monotonic()
    thread = threading.Thread(target=lambda: box.append(work()), daemon=True)
    thread.start()
    thread.join(limit_s)
    assert box, f"still running after {limit_s:g} s"
    return box[0], time.monotonic() - started


def test_a_database_that_accepts_and_never_answers_is_an_error_within_the_limit() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes handshakes; nobody ever reads or writes
        port = silent.getsockname()[1]
        config = AuditConfig(
            database=DatabaseConfig(url=f"postgresql://u@127.0.0.1:{port}/app", hot_queries=[QUERY])
        )
        [outcome], elapsed = bounded(lambda: gather_query_plans(config, timeout_s=2), 20)
    assert outcome.status.value == "error" and "cannot connect" in outcome.reason
    assert elapsed < 10


def test_the_audit_passes_its_time_limit_to_the_query_plans() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        config = AuditConfig(
            database=DatabaseConfig(url=f"postgresql://u@127.0.0.1:{port}/app", hot_queries=[QUERY])
        )
        report, elapsed = bounded(
            lambda: asyncio.run(run_audit(config, [Stage.PERFORMANCE], timeout_s=2)), 30
        )
    [plan] = [f for f in report.findings if f.id == "performance.query-plan"]
    assert plan.status is Status.ERROR and "cannot connect" in plan.evidence
    assert elapsed < 15


def test_a_slow_sqlite_query_is_interrupted_at_the_limit(tmp_path: Path) -> None:
    url = sqlite_db(tmp_path / "app.db", 20_000)
    # A full scan of a large table (so it gets timed) whose subquery pairs every row with
    # every other: hundreds of millions of steps, minutes of work.
    slow = (
        "SELECT * FROM activity_logs WHERE client_id = 42 AND "
        "(SELECT count(*) FROM activity_logs a, activity_logs b WHERE a.id > b.id) > 0"
    )
    config = AuditConfig(database=DatabaseConfig(url=url, hot_queries=[slow]))
    [outcome], elapsed = bounded(lambda: gather_query_plans(config, timeout_s=1), 60)
    assert outcome.status.value == "error" and "time limit" in outcome.reason
    assert elapsed < 10
    assert indexes(tmp_path / "app.db") == []  # the trial index went with the rollback


# --- only reads ---------------------------------------------------------------------------


def actions(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT DISTINCT action FROM activity_logs")}


UPDATE = "UPDATE activity_logs SET action = 'changed' WHERE client_id = 42"


def test_hot_queries_that_write_are_refused_when_the_config_loads() -> None:
    text = (
        '[database]\nurl = "sqlite:///app.db"\nhot_queries = [\n'
        '  "SELECT * FROM activity_logs WHERE client_id = 1",\n'
        f'  "{UPDATE}",\n]\n'
    )
    with pytest.raises(ConfigError) as err:
        parse_config(text, path="launchready.toml")
    assert "launchready.toml:3" in str(err.value) and "database.hot_queries" in str(err.value)
    assert "UPDATE" in str(err.value)
    for sql in (
        "WITH gone AS (DELETE FROM activity_logs RETURNING id) SELECT * FROM gone",
        "SELECT * INTO copy FROM activity_logs",
        "SELECT 1; DELETE FROM activity_logs",
    ):
        with pytest.raises(ValidationError):
            DatabaseConfig(url="postgresql://u@h/db", hot_queries=[sql])
    read = "WITH recent AS (SELECT * FROM activity_logs) SELECT * FROM recent UNION SELECT * FROM x"
    assert DatabaseConfig(hot_queries=[read]).hot_queries == [read]


def test_a_write_that_bypassed_the_config_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    url = sqlite_db(path, 20_000)
    sneaked = DatabaseConfig.model_construct(
        url=url, hot_queries=[UPDATE], allow_production=False, large_table_rows=10_000
    )
    [outcome] = gather_query_plans(AuditConfig.model_construct(database=sneaked))
    assert outcome.status.value == "error" and "refused" in outcome.reason
    # And below that check: timing runs with writes refused, inside rolled-back transactions.
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with pytest.raises(SQLAlchemyError, match="readonly"):
        explain(engine, UPDATE, "hot_queries", 10_000)
    engine.dispose()
    assert actions(path) == {"x"} and indexes(path) == []
