"""The migration rehearsal against a real PostgreSQL: a scratch database per test.

Each test creates its own database in the session's cluster; the rehearsal must work on a
copy and leave that database exactly as it was, whatever the migrations did.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql
from test_deploy_apps import audit, clean_app, config_for, make_repo, statuses

from launchready.core.findings import Status
from launchready.gatherers.deploy.rehearsal import redact
from launchready.renderers import FORMATS, renderer

SCHEMA = """
SELECT table_name || '.' || column_name || ':' || data_type
FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL SELECT 'index ' || indexname FROM pg_indexes WHERE schemaname = 'public'
UNION ALL SELECT 'row ' || version::text FROM schema_migrations
"""


def with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def databases(url: str) -> set[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}


@pytest.fixture
def make_scratch(postgres_url: str) -> Iterator[Callable[[str | None], str]]:
    """Creates empty databases of their own; drops them after the test."""
    made: list[str] = []

    def make(name: str | None = None) -> str:
        name = name or f"scratch_{secrets.token_hex(4)}"
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        made.append(name)
        return with_db(postgres_url, name)

    yield make
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for name in made:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def scratch(make_scratch: Callable[[str | None], str]) -> str:
    return make_scratch(None)


def snapshot(url: str) -> list[Any]:
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version bigint, dirty bool)")
        rows = sorted(r[0] for r in conn.execute(SCHEMA))
        conn.rollback()  # the probe table above is not part of the database as found
    return rows


def sql_app(tmp: Path, migrations: dict[str, str], scratch_url: str, extra: str = "") -> Path:
    root = tmp / "sql_app"
    make_repo(root, {f"db/migrations/{k}": v for k, v in migrations.items()}, {})
    return config_for(
        root,
        f'[deploy]\nscratch_database_url = "{scratch_url}"\n{extra}'
        '[migrations]\ndialect = "postgresql"\n',
    )


def test_clean_migrations_go_forward_back_and_forward(
    tmp_path: Path, scratch: str, postgres_url: str
) -> None:
    before, dbs = snapshot(scratch), databases(postgres_url)
    app = clean_app(tmp_path, f'[deploy]\nscratch_database_url = "{scratch}"\n')
    report = audit(app.config)
    rehearsal = [f for f in report.findings if f.id == "deploy.migration-rehearsal"]
    assert [f.status for f in rehearsal] == [Status.PASS], rehearsal
    assert "2 pending migration(s) of golang-migrate" in rehearsal[0].evidence
    assert "forward again" in rehearsal[0].evidence
    assert set(statuses(report, "deploy.migration-locks").values()) == {Status.PASS}
    assert snapshot(scratch) == before
    assert databases(postgres_url) == dbs  # the working copy was dropped


LOCKING_UP = """\
ALTER TABLE clients ADD COLUMN plan text;
-- stands in for a slow table rewrite: the exclusive lock stays held meanwhile
SELECT pg_sleep(0.6);
"""


def test_a_lock_holding_migration_is_a_blocker_and_the_database_is_untouched(
    tmp_path: Path, scratch: str, postgres_url: str
) -> None:
    # The database as found: migration 1 applied (golang-migrate's table says so), with rows.
    with psycopg.connect(scratch, autocommit=True) as conn:
        conn.execute("CREATE TABLE clients (id bigint PRIMARY KEY, name text NOT NULL)")
        conn.execute("INSERT INTO clients SELECT g, 'c' || g FROM generate_series(1, 500) g")
        conn.execute("CREATE TABLE schema_migrations (version bigint NOT NULL, dirty boolean)")
        conn.execute("INSERT INTO schema_migrations VALUES (1, false)")
    before, dbs = snapshot(scratch), databases(postgres_url)
    config = sql_app(
        tmp_path,
        {
            "000001_clients.up.sql": "CREATE TABLE clients (id bigint PRIMARY KEY, name text);\n",
            "000001_clients.down.sql": "DROP TABLE clients;\n",
            "000002_plan.up.sql": LOCKING_UP,
            "000002_plan.down.sql": "ALTER TABLE clients DROP COLUMN plan;\n",
        },
        scratch,
        'lock_timeout_s = 0.2\nhot_tables = ["clients"]\n',
    )
    report = audit(config)
    (locked,) = [f for f in report.findings if f.id == "deploy.migration-locks"]
    assert locked.status == Status.FAIL and locked.severity.value == "blocker"
    assert locked.target == "db/migrations/000002_plan.up.sql"
    assert "AccessExclusiveLock on table clients" in locked.evidence and locked.must_fix
    # Only the pending migration ran, and it went forward, back and forward again.
    rehearsal = [f for f in report.findings if f.id == "deploy.migration-rehearsal"]
    assert [f.status for f in rehearsal] == [Status.PASS]
    assert "1 pending migration(s)" in rehearsal[0].evidence
    assert snapshot(scratch) == before
    assert databases(postgres_url) == dbs


def test_a_down_that_does_not_undo_its_up_fails(tmp_path: Path, scratch: str) -> None:
    before = snapshot(scratch)
    config = sql_app(
        tmp_path,
        {
            "000001_clients.up.sql": "CREATE TABLE clients (id bigint PRIMARY KEY);\n",
            "000001_clients.down.sql": "DROP TABLE clients;\n",
            "000002_oops.up.sql": "CREATE TABLE audit_log (id bigint);\n",
            "000002_oops.down.sql": "SELECT 1;\n",  # forgets the table
            "000003_bad.up.sql": "ALTER TABLE clients ADD COLUMN x int;\n",
            "000003_bad.down.sql": "ALTER TABLE clients DROP COLUMN nope;\n",
        },
        scratch,
    )
    report = audit(config)
    failed = [f.evidence for f in report.findings if f.id == "deploy.migration-rehearsal"]
    assert any("down of 000003_bad failed going back" in e and "nope" in e for e in failed)
    assert snapshot(scratch) == before


def test_the_schema_left_by_the_downs_must_match(tmp_path: Path, scratch: str) -> None:
    config = sql_app(
        tmp_path,
        {
            "000001_clients.up.sql": "CREATE TABLE clients (id bigint PRIMARY KEY);\n",
            "000001_clients.down.sql": "DROP TABLE clients;\n",
            "000002_oops.up.sql": "CREATE TABLE audit_log (id bigint);\n",
            "000002_oops.down.sql": "SELECT 1;\n",
        },
        scratch,
    )
    report = audit(config)
    found = {f.evidence for f in report.findings if f.id == "deploy.migration-rehearsal"}
    diff = next(e for e in found if "schema differs" in e)
    assert "+ column audit_log.id bigint null" in diff
    # ... and so the second forward pass trips over the table the down left behind.
    assert any("000002_oops failed going forward again" in e for e in found)


def test_a_database_that_looks_like_production_is_refused(
    tmp_path: Path, make_scratch: Callable[[str | None], str]
) -> None:
    scratch = make_scratch("crm_production")
    config = sql_app(
        tmp_path,
        {"000001_clients.up.sql": "CREATE TABLE clients (id bigint);\n"},
        scratch,
    )
    report = audit(config)
    (finding,) = [f for f in report.findings if f.id == "deploy.migration-rehearsal"]
    assert finding.status == Status.SKIPPED
    assert "refused" in finding.evidence and "crm_production" in finding.evidence


def test_an_unparseable_database_url_is_reported_without_its_password(tmp_path: Path) -> None:
    """libpq rejects a literal `%` not followed by two hex digits and quotes the whole
    password in its message; neither the target nor the evidence may repeat it."""
    password = secrets.token_hex(2) + "%Qz" + secrets.token_hex(5)  # `%Q`: invalid escape
    url = f"postgresql://app:{password}@127.0.0.1/scratch"
    config = sql_app(
        tmp_path, {"000001_clients.up.sql": "CREATE TABLE clients (id bigint);\n"}, url
    )
    report = audit(config)
    (finding,) = [f for f in report.findings if f.id == "deploy.migration-rehearsal"]
    assert finding.status == Status.ERROR
    assert "database URL cannot be parsed" in finding.evidence
    assert finding.target == "postgresql://…"
    for fmt in FORMATS:
        text = renderer(fmt)(report)
        assert password not in text and password[:5] not in text, fmt


def test_redact_never_raises_and_never_shows_credentials() -> None:
    password = secrets.token_hex(8)
    assert redact(f"postgresql://app:{password}@db.internal:5433/crm") == (
        "postgresql://db.internal:5433/crm"
    )
    assert redact(f"postgresql://app:{password[:4]}%Qz{password}@db/crm") == "postgresql://…"
    assert redact(f"host=db password={password} dbname=crm") == "database://…"
    assert redact(f"mysql://app:{password}@db/crm") == "mysql://…"
