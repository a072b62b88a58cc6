"""Fixture apps in four stacks, written at test time, each audited by the deploy stage.

Django, Node + Knex and FastAPI + Alembic apps carry every deploy problem planted (marked
`# planted:`); the clean FastAPI + SQL migrations app has none, and nothing fails on it.
Secret-shaped values are generated per run (`token()`), so this file holds none.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

import pytest
from gitutil import git

from launchready.cli.main import main
from launchready.config.loader import parse_config
from launchready.core.findings import Report, Stage, Status
from launchready.engine import run_audit

SHA = "0123456789abcdef0123456789abcdef01234567"  # a commit SHA shape, not a secret
DIGEST = "a" * 64


def token(n: int = 32, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


@dataclass
class App:
    root: Path
    config: Path
    secrets: list[str]  # every secret value written anywhere: none may appear in any output


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def make_repo(root: Path, tracked: dict[str, str], untracked: dict[str, str]) -> None:
    """Commit ``tracked``; write ``untracked`` (env files, ignored by .gitignore) after."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    write(root, {".gitignore": ".env*\n!.env.example\nsecrets/\n", **tracked})
    git(root, "add", ".")
    git(root, "commit", "-qm", "app")
    write(root, untracked)


def env_text(values: dict[str, str]) -> str:
    return "".join(f"{k}={v}\n" for k, v in values.items())


def config_for(app_dir: Path, body: str) -> Path:
    path = app_dir.parent / f"{app_dir.name}.toml"
    path.write_text(f'[repo]\npath = "{app_dir.name}"\n{body}')
    return path


def audit(config: Path) -> Report:
    parsed = parse_config(config.read_text(), path=str(config), env={})
    return asyncio.run(run_audit(parsed, [Stage.DEPLOY], timeout_s=60))


def statuses(report: Report, check_id: str) -> dict[str, Status]:
    return {f.target: f.status for f in report.findings if f.id == check_id}


def problems(report: Report) -> set[str]:
    return {f.id for f in report.findings if f.status == Status.FAIL}


def evidence(report: Report, check_id: str) -> str:
    return " | ".join(f.evidence for f in report.findings if f.id == check_id)


# --- Django ----------------------------------------------------------------------------------


def django_app(tmp: Path) -> App:
    root = tmp / "django_app"
    key, db_password, compose_key = token(50), token(20), token(40)
    shared_db = f"postgres://app:{db_password}@db.internal.example:5432/crm"
    migration_1 = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Client",
            fields=[
                ("id", models.BigAutoField(primary_key=True)),
                ("name", models.CharField(max_length=200)),
                ("notes", models.TextField(null=True)),
            ],
        ),
    ]
"""
    migration_2 = """\
from django.db import migrations, models


def fill_plan(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]
    operations = [
        migrations.RemoveField(model_name="client", name="notes"),  # planted: still read
        migrations.AddField(  # planted: NOT NULL, no default, on a table with rows
            model_name="client", name="plan", field=models.CharField(max_length=20)
        ),
        migrations.RunPython(fill_plan),  # planted: no reverse_code
    ]
"""
    views = """\
from django.shortcuts import render

from clients.models import Client


def client_detail(request, pk):
    client = Client.objects.get(pk=pk)
    return render(request, "client.html", {"notes": client.notes})
"""
    compose = f"""\
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: postgres
  web:
    build: .
    environment:
      DJANGO_SECRET_KEY: "{compose_key}"
"""
    ci = """\
name: ci
on: [push]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@main
      - run: pip install -r requirements.txt
"""
    tracked = {
        "requirements.txt": "Django>=5.0\npsycopg[binary]\n",  # planted: unpinned
        "manage.py": "import django\n",
        "clients/__init__.py": "",
        "clients/models.py": "from django.db import models\n\n\nclass Client(models.Model):\n"
        "    name = models.CharField(max_length=200)\n",
        "clients/views.py": views,
        "clients/migrations/__init__.py": "",
        "clients/migrations/0001_initial.py": migration_1,
        "clients/migrations/0002_plan.py": migration_2,
        "Dockerfile": "FROM python\nCOPY . /app\n",  # planted: no tag
        "docker-compose.yml": compose,  # planted: a literal secret (and an info default)
        ".github/workflows/ci.yml": ci,  # planted: branch ref, no tests, no deploy
        ".env.example": env_text(
            dict.fromkeys(["DJANGO_SECRET_KEY", "DATABASE_URL", "DEBUG", "SENTRY_DSN"], "")
        ),
    }
    staging = {
        "DJANGO_SECRET_KEY": key,
        "DATABASE_URL": shared_db,
        "DEBUG": "True",
        "SENTRY_DSN": "https://k@o1.ingest.sentry.io/1",
    }
    production = {"DJANGO_SECRET_KEY": key, "DATABASE_URL": shared_db, "DEBUG": "True"}
    make_repo(
        root, tracked, {".env.staging": env_text(staging), ".env.production": env_text(production)}
    )
    config = config_for(
        root,
        '[environments.staging]\nenv_file = "django_app/.env.staging"\n'
        '[environments.production]\nenv_file = "django_app/.env.production"\n'
        'url = "https://crm.example.test"\n',
    )
    return App(root, config, [key, db_password, compose_key])


def test_django_app_shows_each_planted_problem(tmp_path: Path) -> None:
    app = django_app(tmp_path)
    report = audit(app.config)
    assert {
        "deploy.shared-secrets",
        "deploy.shared-database",
        "deploy.production-debug",
        "deploy.required-env",
        "deploy.config-secrets",
        "deploy.secret-store",
        "deploy.lockfile",
        "deploy.base-image-pinned",
        "deploy.ci-actions-pinned",
        "deploy.ci-tests",
        "deploy.ci-deploy",
        "deploy.migration-safety",
        "deploy.migration-compat",
        "deploy.migration-reversible",
        "deploy.rollback-path",
        "deploy.rollback-runbook",
    } <= problems(report)
    assert (
        statuses(report, "deploy.shared-secrets")["staging vs production: DJANGO_SECRET_KEY"]
        == Status.FAIL
    )
    assert "DEBUG=True" in evidence(report, "deploy.production-debug")
    assert "missing SENTRY_DSN" in evidence(report, "deploy.required-env")
    compat = [f for f in report.findings if f.id == "deploy.migration-compat"]
    assert compat[0].severity.value == "blocker" and "clients/views.py:8" in compat[0].evidence
    reversible = evidence(report, "deploy.migration-reversible")
    assert "run_code at line" in reversible
    # The local-development default is info; the literal key in the same file fails.
    config_secrets = {
        f.target: (f.status, f.severity.value)
        for f in report.findings
        if f.id == "deploy.config-secrets"
    }
    assert config_secrets["docker-compose.yml:5"] == (Status.WARN, "info")
    assert config_secrets["docker-compose.yml:9"] == (Status.FAIL, "high")
    assert any("NOT NULL column clients_client.plan" in f.evidence for f in report.findings)


# --- Node + Knex -----------------------------------------------------------------------------


def knex_app(tmp: Path) -> App:
    root = tmp / "knex_app"
    api_token = "gh" + "p_" + token(36)
    db_password = token(16)
    package = {
        "name": "crm",
        "dependencies": {"express": "^4.19.0", "knex": "^3.1.0", "pg": "^8.11.0"},
    }
    lock = {
        "name": "crm",
        "lockfileVersion": 3,
        "packages": {
            # planted: written before pg was added and express was bumped
            "": {"name": "crm", "dependencies": {"express": "^4.18.0", "knex": "^3.1.0"}},
            "node_modules/express": {"version": "4.18.2"},
            "node_modules/knex": {"version": "3.1.0"},
        },
    }
    create = """\
exports.up = function (knex) {
  return knex.schema.createTable('clients', (t) => {
    t.increments('id');
    t.string('name');
    t.string('email');
  });
};

exports.down = function (knex) {
  return knex.schema.dropTable('clients');
};
"""
    rename = """\
exports.up = function (knex) {
  return knex.schema.table('clients', (t) => {
    t.renameColumn('name', 'full_name');
    t.string('plan').notNullable();
  });
};

exports.down = function () {};
"""
    code = """\
const db = require('./db');

async function listClients() {
  return db('clients').select('id', 'name', 'email');
}

module.exports = { listClients };
"""
    workflow = f"""\
name: deploy
on:
  push:
    branches: [main]
env:
  API_TOKEN: {api_token}
jobs:
  ship:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{SHA}
      - uses: some-org/deploy-action@v1
      - run: npm ci
"""
    tracked = {
        "package.json": json.dumps(package, indent=2),
        "package-lock.json": json.dumps(lock, indent=2),
        "migrations/20240101000000_create_clients.js": create,
        "migrations/20240201000000_rename_name.js": rename,
        "src/clients.js": code,
        "Dockerfile": "FROM node:latest\nCOPY . /app\n",
        ".github/workflows/deploy.yml": workflow,
        ".env.example": "NODE_ENV=\nDATABASE_URL=\n",
    }
    db = f"postgres://crm:{db_password}@pg.internal.example/crm"
    make_repo(
        root,
        tracked,
        {
            ".env.staging": env_text({"NODE_ENV": "production", "DATABASE_URL": db}),
            "secrets/production.env": env_text({"NODE_ENV": "development", "DATABASE_URL": db}),
        },
    )
    config = config_for(
        root,
        '[environments.staging]\nenv_file = "knex_app/.env.staging"\n'
        "[environments.production]\n"
        'command = "cat knex_app/secrets/production.env"\n',
    )
    return App(root, config, [api_token, db_password])


def test_knex_app_shows_each_planted_problem(tmp_path: Path) -> None:
    app = knex_app(tmp_path)
    report = audit(app.config)
    assert {
        "deploy.shared-database",
        "deploy.production-debug",
        "deploy.config-secrets",
        "deploy.lockfile-sync",
        "deploy.base-image-pinned",
        "deploy.ci-tests",
        "deploy.migration-safety",
        "deploy.migration-compat",
        "deploy.migration-reversible",
    } <= problems(report)
    assert "NODE_ENV=development" in evidence(report, "deploy.production-debug")
    sync = evidence(report, "deploy.lockfile-sync")
    assert "not locked: pg" in sync and "express (^4.19.0 in package.json, ^4.18.0" in sync
    assert "clients.name is renamed to full_name" in evidence(report, "deploy.migration-compat")
    assert statuses(report, "deploy.migration-reversible") == {
        "migrations/20240201000000_rename_name.js": Status.FAIL,
        str(app.root): Status.PASS,
    }
    pinned = {
        f.target: (f.status, f.severity.value)
        for f in report.findings
        if f.id == "deploy.ci-actions-pinned"
    }
    assert pinned[".github/workflows/deploy.yml:11"] == (Status.PASS, "medium")
    assert pinned[".github/workflows/deploy.yml:12"] == (Status.WARN, "medium")
    # The token in the workflow: a literal secret-named value, found once, not printed.
    secrets_found = [f for f in report.findings if f.id == "deploy.config-secrets"]
    assert [f.target for f in secrets_found] == [".github/workflows/deploy.yml:6"]
    # The production environment came from a command; its source names only the program.
    assert "environment production (command `cat …`)" in statuses(report, "deploy.production-debug")


# --- FastAPI + Alembic -------------------------------------------------------------------------


def alembic_app(tmp: Path) -> App:
    root = tmp / "alembic_app"
    stripe = "sk_" + "live_" + token(24)
    tf_password = token(24)
    key = token(48)
    first = """\
revision = "a1"
down_revision = None

from alembic import op
import sqlalchemy as sa


def upgrade():
    op.create_table(
        "clients",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text()),
    )


def downgrade():
    op.drop_table("clients")
"""
    second = """\
revision = "b2"
down_revision = "a1"

from alembic import op
import sqlalchemy as sa


def upgrade():
    op.drop_column("clients", "notes")
    op.add_column("clients", sa.Column("plan", sa.Text(), nullable=False))
    op.create_index("ix_clients_name", "clients", ["name"])


def downgrade():
    pass
"""
    main = """\
from fastapi import FastAPI

from app.db import clients

app = FastAPI()


@app.get("/clients/{client_id}")
def read_client(client_id: int):
    row = clients.get(client_id)
    return {"name": row.name, "notes": row.notes}
"""
    pyproject = (
        '[project]\nname = "crm"\nversion = "1"\n'
        'dependencies = ["fastapi>=0.110", "sqlalchemy>=2", "alembic>=1.13"]\n'
    )
    uv_lock = (
        'version = 1\n\n[[package]]\nname = "fastapi"\nversion = "0.110.0"\n\n'
        '[[package]]\nname = "sqlalchemy"\nversion = "2.0.30"\n'
    )
    tracked = {
        "pyproject.toml": pyproject,
        "uv.lock": uv_lock,
        "alembic.ini": "[alembic]\nscript_location = alembic\nsqlalchemy.url = postgresql:///crm\n",
        "alembic/versions/a1_initial.py": first,
        "alembic/versions/b2_plan.py": second,
        "app/__init__.py": "",
        "app/main.py": main,
        "Dockerfile": f"FROM python:3.12-slim\nENV STRIPE_API_KEY={stripe}\nCOPY . /app\n",
        "infra/main.tf": f'resource "aws_db_instance" "crm" {{\n  password = "{tf_password}"\n}}\n',
        ".env.example": "APP_ENV=\nSECRET_KEY=\nDATABASE_URL=\n",
    }
    make_repo(
        root,
        tracked,
        {
            ".env.staging": env_text(
                {
                    "APP_ENV": "staging",
                    "SECRET_KEY": token(48),
                    "DATABASE_URL": "postgresql://db-staging.example/crm",
                }
            ),
            ".env.production": env_text(
                {
                    "APP_ENV": "development",
                    "SECRET_KEY": key,
                    "DATABASE_URL": "postgresql://db.example/crm",
                }
            ),
        },
    )
    config = config_for(
        root,
        '[environments.staging]\nenv_file = "alembic_app/.env.staging"\n'
        '[environments.production]\nenv_file = "alembic_app/.env.production"\n',
    )
    return App(root, config, [stripe, tf_password, key])


def test_alembic_app_shows_each_planted_problem(tmp_path: Path) -> None:
    app = alembic_app(tmp_path)
    report = audit(app.config)
    assert {
        "deploy.production-debug",
        "deploy.config-secrets",
        "deploy.lockfile-sync",
        "deploy.migration-safety",
        "deploy.migration-compat",
        "deploy.migration-reversible",
        "deploy.ci-tests",
    } <= problems(report)
    assert "APP_ENV=development" in evidence(report, "deploy.production-debug")
    assert statuses(report, "deploy.shared-database") == {"staging vs production": Status.PASS}
    assert "not locked: alembic" in evidence(report, "deploy.lockfile-sync")
    safety = {f.target: f.evidence for f in report.findings if f.id == "deploy.migration-safety"}
    assert "without CONCURRENTLY" in safety["alembic/versions/b2_plan.py:11"]
    assert "NOT NULL column clients.plan" in safety["alembic/versions/b2_plan.py:10"]
    assert "clients.notes is dropped" in evidence(report, "deploy.migration-compat")
    assert (
        statuses(report, "deploy.migration-reversible")["alembic/versions/b2_plan.py"]
        == Status.FAIL
    )
    leaks = {f.target: f.status for f in report.findings if f.id == "deploy.config-secrets"}
    assert leaks["Dockerfile:2"] == Status.FAIL and leaks["infra/main.tf:2"] == Status.FAIL


# --- a clean app: FastAPI + golang-migrate SQL on PostgreSQL ---------------------------------


CLEAN_UP_1 = """\
SET lock_timeout = '2s';
SET statement_timeout = '30s';
CREATE TABLE IF NOT EXISTS clients (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
"""
CLEAN_DOWN_1 = "DROP TABLE IF EXISTS clients;\n"
CLEAN_UP_2 = """\
SET lock_timeout = '2s';
SET statement_timeout = '30s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_clients_name ON clients (name);
"""
CLEAN_DOWN_2 = "DROP INDEX CONCURRENTLY IF EXISTS ix_clients_name;\n"
CLEAN_MAIN = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/healthz")
def health():
    return {"ok": True}
"""
CHECK_ENV = """\
import os

for name in ("DATABASE_URL", "SECRET_KEY"):
    assert os.environ.get(name), name
"""
LOCAL_COMPOSE = """\
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: postgres
"""


def clean_app(tmp: Path, extra_config: str = "") -> App:
    root = tmp / "clean_app"
    pyproject = (
        '[project]\nname = "crm"\nversion = "1"\ndependencies = ["fastapi>=0.110"]\n\n'
        '[dependency-groups]\ndev = ["pytest>=8"]\n'
    )
    uv_lock = """\
version = 1

[[package]]
name = "crm"
version = "1"
source = { editable = "." }
dependencies = [{ name = "fastapi" }]

[package.metadata]
requires-dist = [{ name = "fastapi", specifier = ">=0.110" }]

[package.metadata.requires-dev]
dev = [{ name = "pytest", specifier = ">=8" }]

[[package]]
name = "fastapi"
version = "0.110.0"

[[package]]
name = "pytest"
version = "8.3.0"
"""
    ci = f"""\
name: ci
on:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      postgres:
        image: postgres:16
        env:
          POSTGRES_PASSWORD: postgres
    steps:
      - uses: actions/checkout@{SHA}
      - uses: astral-sh/setup-uv@{SHA}
      - run: uv sync --locked
      - run: uv run pytest -q
  deploy:
    needs: test
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/checkout@{SHA}
      - uses: superfly/flyctl-actions/setup-flyctl@{SHA}
      - run: python scripts/check_env.py
        env:
          FLY_API_TOKEN: ${{{{ secrets.FLY_API_TOKEN }}}}
      - run: flyctl deploy --remote-only
"""
    runbook = """\
# Runbook

## Deploy
Push to main; CI tests, checks the environment, then runs `flyctl deploy`.

## Roll back
1. `fly releases` and `fly deploy --image <previous image>`.
2. `migrate -path migrations -database "$DATABASE_URL" down 1` if the release migrated.
"""
    tracked = {
        "pyproject.toml": pyproject,
        "uv.lock": uv_lock,
        "app/main.py": CLEAN_MAIN,
        "scripts/check_env.py": CHECK_ENV,
        "migrations/000001_create_clients.up.sql": CLEAN_UP_1,
        "migrations/000001_create_clients.down.sql": CLEAN_DOWN_1,
        "migrations/000002_clients_name_index.up.sql": CLEAN_UP_2,
        "migrations/000002_clients_name_index.down.sql": CLEAN_DOWN_2,
        "Dockerfile": f"FROM python:3.12-slim@sha256:{DIGEST}\nCOPY . /app\n",
        "docker-compose.yml": LOCAL_COMPOSE,
        "fly.toml": 'app = "crm"\n\n[http_service]\ninternal_port = 8000\n',
        ".github/workflows/ci.yml": ci,
        "RUNBOOK.md": runbook,
        ".env.example": "APP_ENV=\nDEBUG=\nSECRET_KEY=\nDATABASE_URL=\n",
    }
    values = [token(48), token(16), token(48), token(16)]
    staging = {
        "APP_ENV": "staging",
        "DEBUG": "false",
        "SECRET_KEY": values[0],
        "DATABASE_URL": f"postgres://crm:{values[1]}@db-staging.example/crm",
    }
    production = {
        "APP_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": values[2],
        "DATABASE_URL": f"postgres://crm:{values[3]}@db.example/crm",
    }
    make_repo(
        root, tracked, {".env.staging": env_text(staging), ".env.production": env_text(production)}
    )
    config = config_for(
        root,
        '[environments.staging]\nenv_file = "clean_app/.env.staging"\n'
        '[environments.production]\nenv_file = "clean_app/.env.production"\n'
        'url = "https://crm.example.test"\n'
        '[owners]\nhosting = "Sam"\nsecrets = "Dana"\n' + extra_config,
    )
    return App(root, config, values)


def test_nothing_fails_on_the_clean_app(tmp_path: Path) -> None:
    report = audit(clean_app(tmp_path).config)
    bad = [
        (f.id, f.target, f.evidence)
        for f in report.findings
        if f.status in (Status.FAIL, Status.ERROR)
        or (f.status == Status.WARN and f.severity.value != "info")
    ]
    assert not bad
    passed = {f.id for f in report.findings if f.status == Status.PASS}
    assert len(passed) >= 18
    # Without a scratch database the rehearsal is skipped, never passed.
    assert statuses(report, "deploy.migration-rehearsal") == {"-": Status.SKIPPED}


def test_a_nonprod_environment_is_compared_with_production(tmp_path: Path) -> None:
    """`nonprod` holds "prod": once taken for production, nothing was left to compare with
    and the separation checks were skipped."""
    root = tmp_path / "envs_app"
    shared_key, db = token(40), f"postgres://app:{token(20)}@db.internal.example:5432/crm"
    env = env_text({"SECRET_KEY": shared_key, "DATABASE_URL": db})
    make_repo(root, {"app.py": "print('hi')\n"}, {".env.nonprod": env, ".env.production": env})
    config = config_for(
        root,
        '[environments.nonprod]\nenv_file = "envs_app/.env.nonprod"\n'
        '[environments.production]\nenv_file = "envs_app/.env.production"\n',
    )
    report = audit(config)
    assert statuses(report, "deploy.shared-secrets") == {
        "nonprod vs production: SECRET_KEY": Status.FAIL,
        "nonprod vs production: DATABASE_URL": Status.FAIL,  # its password
    }
    assert set(statuses(report, "deploy.shared-database").values()) == {Status.FAIL}


def test_the_checklist_is_written_only_from_a_gathered_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    main(["audit", "--only", "deploy"])  # no repository: no plan, nothing to hand over
    assert not (tmp_path / "deploy-checklist.md").exists()
    assert "checklist" not in capsys.readouterr().err
    app = clean_app(tmp_path)
    (tmp_path / "deploy-checklist.md").write_text("the team's own notes\n")
    main(["audit", "--config", str(app.config), "--only", "deploy"])
    err = capsys.readouterr().err
    assert "checklist written to deploy-checklist.md (replacing the previous one)" in err
    assert (tmp_path / "deploy-checklist.md").read_text().startswith("#")
