"""The deploy gatherers' readers: env files, SQL, ORM migrations, lock files, CI, config.

Each reader gets text as it appears in real projects and must return the observations the
checks rely on — line numbers included, values never.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from test_deploy_apps import make_repo, token

from launchready.checks.deploy import production_debug, required_env
from launchready.config.errors import ConfigError
from launchready.config.loader import parse_config
from launchready.core.findings import Status
from launchready.gatherers.base import GatherContext, NoProgress
from launchready.gatherers.deploy import locks
from launchready.gatherers.deploy.builds import base_images, split_image
from launchready.gatherers.deploy.ci import read_ci
from launchready.gatherers.deploy.config_secrets import scan_config_secrets
from launchready.gatherers.deploy.dotenv import db_targets, looks_random, parse_dotenv, reference_of
from launchready.gatherers.deploy.envs import ENVIRONMENTS, EnvironmentsGatherer, public_url
from launchready.gatherers.deploy.files import repo_files
from launchready.gatherers.deploy.migrations import alembic, django, gather_migrations, scripted
from launchready.gatherers.deploy.migrations.sql import split_statements, sql_ops
from launchready.gatherers.deploy.rehearsal import REHEARSAL, RehearsalGatherer
from launchready.gatherers.deploy.secret_store import gather_secret_store
from launchready.gatherers.deploy.yamlwalk import scalars
from launchready.gatherers.network import Network


def kinds(ops: list) -> list[tuple]:  # type: ignore[type-arg]
    return [(o.kind, o.table, o.column, o.new_name) for o in ops]


def test_dotenv_values_and_what_they_are() -> None:
    text = (
        "# comment\nexport A=1\nB='quoted # not a comment'\nC=plain # comment\n"
        'D="x=y"\nE=\nnot a line\n'
    )
    assert parse_dotenv(text) == {
        "A": "1",
        "B": "quoted # not a comment",
        "C": "plain",
        "D": "x=y",
        "E": "",
    }
    assert looks_random(token(40)) and not looks_random("no-reply@demo.test")
    assert not looks_random("production") and not looks_random("https://app.example.test/x")
    assert reference_of("op://vault/item/field") == "1Password"
    assert reference_of("${DATABASE_URL}") == "interpolated" and reference_of("x") is None
    targets = db_targets(
        {
            "DATABASE_URL": "postgresql+psycopg://u:p@DB.internal:6543/app",
            "DB_HOST": "h",
            "DB_NAME": "n",
        }
    )
    assert [(t.variable, t.host, t.port, t.name) for t in targets] == [
        ("DATABASE_URL", "db.internal", 6543, "app"),
        ("DB_HOST", "h", None, "n"),
    ]


def _environments_context(tmp_path: Path, config_text: str) -> GatherContext:
    """A gather context for ``config_text`` written as tmp_path/launchready.toml."""
    cfg = tmp_path / "launchready.toml"
    cfg.write_text(config_text)
    config = parse_config(config_text, path=str(cfg), env={})
    return GatherContext(
        config, Network.from_config(config.network, config.base_dir), NoProgress(), 10
    )


def test_environments_from_files_and_commands(tmp_path: Path) -> None:
    secret = token(40)
    (tmp_path / "prod.env").write_text(f"SECRET_KEY={secret}\nDEBUG=true\n")
    config_text = (
        '[environments.production]\nenv_file = "prod.env"\n'
        f"[environments.staging]\ncommand = \"printf 'SECRET_KEY={secret}\\\\nDEBUG=false\\\\n'\"\n"
        '[environments.broken]\ncommand = "echo SECRET_KEY=x; exit 3"\n'
    )
    ctx = _environments_context(tmp_path, config_text)
    (outcome,) = asyncio.run(EnvironmentsGatherer().gather(ctx))
    assert outcome.fact == ENVIRONMENTS
    by_name = {e.name: e for e in outcome.value.environments}
    prod, staging, broken = by_name["production"], by_name["staging"], by_name["broken"]
    key = {v.name: v for v in prod.variables}["SECRET_KEY"]
    assert key.digest == {v.name: v for v in staging.variables}["SECRET_KEY"].digest
    assert secret not in repr(outcome.value) and key.flag_value is None
    assert {v.name: v.flag_value for v in staging.variables}["DEBUG"] == "false"
    assert staging.source == "command `printf …`"
    assert broken.problem == "the command exited with status 3" and not broken.variables
    # A new run draws a new key: hashes cannot be matched across runs.
    (again,) = asyncio.run(EnvironmentsGatherer().gather(ctx))
    again_key = {v.name: v for v in again.value.environments[0].variables}["SECRET_KEY"]
    assert again_key.digest != key.digest


def test_a_read_error_counts_for_production_debug_by_the_environment_name(
    tmp_path: Path,
) -> None:
    """A staging environment whose file sits in a folder named like production is not
    production: its read error belongs to the other checks, not to production-debug."""
    (tmp_path / "prod.env").write_text("DEBUG=false\n")
    config_text = (
        '[environments.production]\nenv_file = "prod.env"\n'
        '[environments.staging]\nenv_file = "deploy/prod-like/staging.env"\n'
        '[environments.live]\nenv_file = "missing.env"\n'
    )
    ctx = _environments_context(tmp_path, config_text)
    (outcome,) = asyncio.run(EnvironmentsGatherer().gather(ctx))
    verdicts = list(production_debug.evaluate(outcome.value))
    errors = [v.target or "" for v in verdicts if v.status == Status.ERROR]
    assert len(errors) == 1 and errors[0].startswith("environment live ")
    assert not any("staging" in (v.target or "") for v in verdicts)
    assert [v.status for v in required_env.evaluate(outcome.value)].count(Status.ERROR) == 2


def test_statements_split_with_lines() -> None:
    sql = (
        "-- header; not a statement\nCREATE TABLE a (x text DEFAULT 'a;b');\n\n"
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"
        "/* multi\nline; */ ALTER TABLE a ADD COLUMN y int;\nSELECT 1"
    )
    assert [line for line, _ in split_statements(sql)] == [2, 4, 5, 7]
    assert split_statements(sql)[1][1].endswith("LANGUAGE sql")


def test_sql_operations_per_dialect() -> None:
    ops = sql_ops(
        "ALTER TABLE c ADD COLUMN p text NOT NULL;\nALTER TABLE c RENAME COLUMN a TO b;\n"
        "CREATE INDEX CONCURRENTLY i ON c (b);\nALTER TABLE c ALTER COLUMN p TYPE bigint;\n"
        "ALTER TABLE c ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES d (id) NOT VALID;\n"
        "DROP TABLE old;\n",
        "postgresql",
    )
    assert kinds(ops) == [
        ("add_column", "c", "p", None),
        ("rename_column", "c", "a", "b"),
        ("create_index", "c", None, None),
        ("alter_type", "c", "p", None),
        ("add_foreign_key", "c", None, None),
        ("drop_table", "old", None, None),
    ]
    assert (
        "not_null" in ops[0].flags
        and "concurrently" in ops[2].flags
        and "not_valid" in ops[4].flags
    )
    mysql = sql_ops("ALTER TABLE t MODIFY COLUMN a BIGINT, ALGORITHM=INPLACE, LOCK=NONE;", "mysql")
    assert kinds(mysql) == [("alter_type", "t", "a", None)] and "online" in mysql[0].flags


ALEMBIC = '''
revision = "b2"
down_revision = "a1"
from alembic import op
import sqlalchemy as sa

def upgrade():
    with op.batch_alter_table("clients") as batch_op:
        batch_op.alter_column("name", new_column_name="full_name")
        batch_op.drop_column("notes")
    op.execute("CREATE INDEX ix ON clients (full_name)")

def downgrade():
    """Nothing to do."""
    pass
'''


def test_alembic_operations_order_and_empty_downgrade() -> None:
    m, rev, parent = alembic.read_revision("v/b2.py", ALEMBIC, "postgresql")
    assert (rev, parent, m.down_kind) == ("b2", "a1", "empty")
    assert kinds(list(m.up)) == [
        ("rename_column", "clients", "name", "full_name"),
        ("drop_column", "clients", "notes", None),
        ("create_index", "clients", None, None),
    ]
    first, *_ = alembic.read_revision("v/a1.py", 'revision = "a1"\ndown_revision = None\n', "x")
    assert [x.id for x in alembic.order_revisions([(m, rev, parent), (first, "a1", None)])] == [
        "a1",
        "b2",
    ]


def test_django_foreign_keys_and_reverses() -> None:
    text = """
from django.db import migrations, models
class Migration(migrations.Migration):
    operations = [
        migrations.AddField(
            "invoice", "client", models.ForeignKey("Client", on_delete=models.CASCADE, null=True)
        ),
        migrations.RunSQL("UPDATE crm_invoice SET x = 1", reverse_sql=migrations.RunSQL.noop),
        migrations.RenameModel("Invoice", "Bill"),
    ]
"""
    m = django.read_migration("crm/migrations/0003_x.py", text, "postgresql")
    assert m.id == "crm.0003_x" and m.down_kind == "implicit"
    assert kinds(list(m.up)) == [
        ("add_column", "crm_invoice", "client_id", None),
        ("data", "crm_invoice", None, None),
        ("rename_table", "crm_invoice", None, "crm_bill"),
    ]
    assert "not_null" not in m.up[0].flags


def test_rails_change_and_up_down() -> None:
    change = (
        "class X < ActiveRecord::Migration[7.1]\n  def change\n"
        "    remove_column :clients, :notes\n"
        "    add_index :clients, :name, algorithm: :concurrently\n  end\nend\n"
    )
    m = scripted.read_rails("db/migrate/20240101_x.rb", change)
    assert m.down_kind == "none" and kinds(list(m.up))[0] == (
        "drop_column",
        "clients",
        "notes",
        None,
    )
    assert "concurrently" in m.up[1].flags
    updown = (
        "  def up\n    rename_column :clients, :name, :full_name\n  end\n  def down\n"
        "    raise ActiveRecord::IrreversibleMigration\n  end\n"
    )
    assert scripted.read_rails("db/migrate/2_y.rb", updown).down_kind == "empty"


def test_migration_layouts_and_squawk(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    make_repo(
        root,
        {
            "db/migrations/20240101_clients.sql": (
                "-- migrate:up\nCREATE TABLE clients (id bigint PRIMARY KEY, name text);\n"
                "CREATE INDEX ix ON clients (name);\n"
                "ALTER TABLE orders ADD COLUMN total int NOT NULL;\n"
                "-- migrate:down\nDROP TABLE clients;\n"
            ),
            "prisma/migrations/20240102_init/migration.sql": "CREATE TABLE t (id int);\n",
            "prisma/schema.prisma": 'datasource db {\n  provider = "postgresql"\n}\n',
            "db/structure.sql": "CREATE TABLE everything (id int);\n",
        },
        {},
    )
    files = asyncio.run(repo_files(str(root)))
    config = parse_config('[repo]\npath = "repo"\n', path=str(tmp_path / "x.toml"), env={})
    fact = gather_migrations(files, config)
    assert sorted((s.tool, s.root, s.dialect) for s in fact.sets) == [
        ("dbmate", "db/migrations", "postgresql"),
        ("prisma", "prisma/migrations", "postgresql"),
    ]
    dbmate = next(s for s in fact.sets if s.tool == "dbmate").migrations[0]
    assert dbmate.down_kind == "sql" and "DROP TABLE" in (dbmate.down_sql or "")
    assert dbmate.down_line == 5
    rules = {(h.line, h.rule): h for h in fact.lint}
    # The index is on a table the same file created; the NOT NULL column is not.
    assert rules[(3, "require-concurrent-index-creation")].new_table
    assert not rules[(4, "adding-required-field")].new_table
    assert not [h for h in fact.lint if h.line >= 5 and h.path.startswith("db/")], (
        "down section linted"
    )


def test_lock_readers() -> None:
    uv = (
        '[[package]]\nname = "app"\nversion = "1"\nsource = { editable = "." }\n\n'
        '[package.metadata]\nrequires-dist = [{ name = "Flask", specifier = ">=3,<4" }]\n'
    )
    assert locks.uv_locked(uv, "app") == ("specs", [locks.Dep("flask", "<4,>=3")])
    pnpm = (
        "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      react:\n"
        "        specifier: ^18.2.0\n        version: 18.2.0\n"
    )
    assert locks.pnpm_locked(pnpm) == [locks.Dep("react", "^18.2.0")]
    yarn = (
        '"react@^18.2.0", react@^18.0.0:\n  version "18.2.0"\n\n"@types/node@npm:^20":\n'
        "  version: 20.1.0\n"
    )
    assert locks.yarn_locked(yarn) == [
        locks.Dep("react", "^18.2.0"),
        locks.Dep("react", "^18.0.0"),
        locks.Dep("@types/node", "^20"),
    ]
    assert locks.npm_locked('{"lockfileVersion": 1, "dependencies": {"a": {}}}') == (
        "names",
        [locks.Dep("a")],
    )
    deps, unhashed = locks.requirements_names("a==1 \\\n    --hash=sha256:x\nb==2\n")
    assert [d.name for d in deps] == ["a", "b"] and unhashed == ["b"]


def test_base_images_skip_stages_and_read_copy_from() -> None:
    dockerfile = (
        "ARG PY=3.12\nFROM --platform=linux/amd64 python:${PY}-slim AS build\n"
        "FROM build AS test\nFROM scratch\nCOPY --from=build /app /app\n"
        "COPY --from=ghcr.io/astral-sh/uv:0.5.11 /uv /bin/uv\n"
        "FROM registry:5000/team/app@sha256:abc\n"
    )
    got = [(i.line, i.via, i.tag, i.digest) for i in base_images("Dockerfile", dockerfile)]
    assert got == [
        (2, "FROM", "${PY}-slim", None),
        (6, "COPY --from", "0.5.11", None),
        (7, "FROM", None, "sha256:abc"),
    ]
    assert split_image("localhost:5000/app") == (None, None)


def test_base_images_are_numbered_by_the_line_they_start_on() -> None:
    """A `\\`-continued RUN is one instruction over several lines: what follows keeps its
    own line number, and a continued FROM is reported where it starts."""
    dockerfile = (
        "FROM python:3.12-slim AS build\n"
        "RUN apt-get update && \\\n"
        "    apt-get install -y git && \\\n"
        "    rm -rf /var/lib/apt/lists/*\n"
        "FROM node:22-alpine\n"
        "COPY --from=build /app /app\n"
        "FROM \\\n"
        "    nginx:1.27\n"
        "COPY --from=ghcr.io/astral-sh/uv:0.5.11 /uv /bin/uv\n"
    )
    got = [(i.line, i.via, i.reference) for i in base_images("Dockerfile", dockerfile)]
    assert got == [
        (1, "FROM", "python:3.12-slim"),
        (5, "FROM", "node:22-alpine"),
        (7, "FROM", "nginx:1.27"),
        (9, "COPY --from", "ghcr.io/astral-sh/uv:0.5.11"),
    ]


def test_ci_readers() -> None:
    gitlab = (
        "deploy:\n  stage: deploy\n  environment:\n    name: production\n  script:\n"
        "    - ./deploy.sh\n    - kubectl apply -f k8s/\n"
    )
    c = read_ci(".gitlab-ci.yml", gitlab)
    assert c.system == "GitLab CI" and c.environments == ("production",)
    assert [(x.line, x.job, x.text) for x in c.commands] == [
        (6, "deploy", "./deploy.sh"),
        (7, "deploy", "kubectl apply -f k8s/"),
    ]
    jenkins = read_ci(
        "Jenkinsfile",
        "pipeline {\n  stages {\n    stage('t') { steps { sh 'npm test' } }\n  }\n}\n",
    )
    assert [(x.line, x.text) for x in jenkins.commands] == [(3, "npm test")]
    assert read_ci(".github/workflows/x.yml", "on: [push\n").problem == "not valid YAML (line 2)"


def test_config_secret_structures(tmp_path: Path) -> None:
    pw, key = token(20), token(30)
    root = tmp_path / "repo"
    make_repo(
        root,
        {
            "k8s/deploy.yaml": (
                f"env:\n  - name: DB_PASSWORD\n    value: {pw}\n"
                "  - name: API_KEY\n    valueFrom:\n      secretKeyRef: {name: x, key: y}\n"
            ),
            "docker-compose.yml": (
                f"services:\n  app:\n    environment:\n      - SECRET_KEY={key}\n"
                "      - POSTGRES_PASSWORD_FILE=/run/secrets/pg\n"
                f"      - DATABASE_URL=postgres://app:{pw}@db/app\n"
            ),
            "Dockerfile": f"FROM x@sha256:1\nENV API_TOKEN {key}\nARG NPM_TOKEN\n",
            ".github/workflows/ci.yml": (
                "env:\n  TOKEN: ${{ secrets.TOKEN }}\n  PASSWORD: $PASSWORD\n"
            ),
        },
        {},
    )
    files = asyncio.run(repo_files(str(root)))
    fact = scan_config_secrets(files, None, "none")
    got = sorted((a.path, a.line, a.key, a.context, a.in_url) for a in fact.assignments)
    assert got == [
        ("Dockerfile", 2, "API_TOKEN", "dockerfile", False),
        ("docker-compose.yml", 4, "SECRET_KEY", "compose", False),
        ("docker-compose.yml", 6, "DATABASE_URL", "compose", True),
        ("k8s/deploy.yaml", 3, "DB_PASSWORD", "iac", False),
    ]
    assert pw not in repr(fact) and key not in repr(fact)


def test_secret_store_traces(tmp_path: Path) -> None:
    (tmp_path / "prod.env").write_text("STRIPE_KEY=op://prod/stripe/key\nDEBUG=false\n")
    text = (
        '[environments.production]\nenv_file = "prod.env"\n'
        '[environments.staging]\ncommand = "doppler secrets download --no-file --format env"\n'
    )
    config = parse_config(text, path=str(tmp_path / "x.toml"), env={})
    fact = gather_secret_store(None, config)
    assert {(h.store, h.where) for h in fact.hints} == {
        ("1Password", "environment production (prod.env)"),
        ("Doppler", "environment staging"),
    }
    assert fact.production_environments == ("production",)


def test_sqlite_rehearsal_runs_on_a_copy_and_refuses_big_data(tmp_path: Path) -> None:
    db = tmp_path / "scratch.db"
    sqlite3.connect(db).close()
    root = tmp_path / "repo"
    make_repo(
        root,
        {
            "migrations/1_t.up.sql": "CREATE TABLE t (id integer);\n",
            "migrations/1_t.down.sql": "DROP TABLE t;\n",
            "migrations/2_i.up.sql": "CREATE INDEX i ON t (id);\n",
            "migrations/2_i.down.sql": "DROP INDEX i;\n",
        },
        {},
    )
    text = (
        f'[repo]\npath = "repo"\n[database]\nurl = "sqlite:///{db}"\n[migrations]\n'
        f'dialect = "sqlite"\n'
    )
    config = parse_config(text, path=str(tmp_path / "x.toml"), env={})
    ctx = GatherContext(
        config, Network.from_config(config.network, config.base_dir), NoProgress(), 10
    )
    (outcome,) = asyncio.run(RehearsalGatherer().gather(ctx))
    assert outcome.fact == REHEARSAL and outcome.status.value == "ok", outcome.reason
    fact = outcome.value
    assert [(s.migration, s.direction, s.pass_no, s.ok) for s in fact.steps] == [
        ("1_t", "up", 1, True), ("2_i", "up", 1, True),
        ("2_i", "down", 2, True), ("1_t", "down", 2, True),
        ("1_t", "up", 3, True), ("2_i", "up", 3, True),
    ]  # fmt: skip
    assert fact.schema_before == fact.schema_after_back == ()
    assert sqlite3.connect(db).execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE logs (id integer)")
        conn.executemany("INSERT INTO logs VALUES (?)", ((i,) for i in range(100_001)))
    (refused,) = asyncio.run(RehearsalGatherer().gather(ctx))
    assert refused.status.value == "skipped" and "holds over 100,000 rows" in refused.reason


def test_aliases_are_walked_within_a_bound() -> None:
    """Nine levels of nine aliases is a few lines and a billion scalars once expanded; the
    walk stops and the file becomes a problem of its own, not a hung or crashed audit."""
    lines = ['a0: &a0 ["lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = "\n".join(lines) + "\n"
    with pytest.raises(ValueError, match="too many nodes"):
        scalars(bomb, max_nodes=10_000)
    c = read_ci(".github/workflows/bomb.yml", bomb + "jobs:\n  t:\n    steps: [{run: pytest}]\n")
    assert c.problem is not None and "too many nodes" in c.problem and c.commands == ()
    # Ordinary reuse of an anchor is still expanded where it is used; a self-reference is
    # walked once.
    reuse = "x: &steps [{run: make build}]\njobs:\n  a: {steps: *steps}\n  b: {steps: *steps}\n"
    assert [cmd.job for cmd in read_ci(".github/workflows/r.yml", reuse).commands] == [
        "x",
        "a",
        "b",
    ]
    assert [s.value for s in scalars("a: &a [x, *a]\n")] == ["x"]


def test_an_environment_url_with_a_bad_port_is_a_config_error(tmp_path: Path) -> None:
    password = token(16)
    text = (
        '[environments.production]\nenv_file = ".env.production"\n'
        f'url = "https://admin:{password}@app.example.com:99999/"\n'
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(text, path="launchready.toml", env={})
    message = str(caught.value)
    assert message.startswith("launchready.toml:3: environments.production.url: not a valid URL")
    assert password[:5] not in message
    with pytest.raises(ConfigError, match="environments.staging.url: must be an http"):
        parse_config('[environments.staging]\nurl = "app.example.com"\n', path="l.toml", env={})
    # Built without the config's validation, the checklist still gets a URL without its
    # user:password, and no exception.
    assert public_url(f"https://admin:{password}@app.example.com:99999/") == (
        "https://app.example.com:99999/"
    )
    assert public_url(f"https://app.example.com/?preview={password}") == (
        f"https://app.example.com/?preview={password[:4]}…"
    )
