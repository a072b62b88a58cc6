"""Query plans on real SQLite and PostgreSQL: an index proven, then rolled back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from launchready.config.model import AuditConfig, DatabaseConfig
from launchready.gatherers.performance.queryplans import (
    explain,
    gather_query_plans,
    sqlalchemy_url,
)

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


def test_postgresql_cost_before_and_after_and_nothing_left(postgres_url: str) -> None:
    engine = create_engine(sqlalchemy_url(postgres_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS activity_logs")
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
