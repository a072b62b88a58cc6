"""Build the demo app's git repository: what `launchready demo` audits for secrets and deploys.

Real `git`, isolated from the user's configuration, with fixed authors and dates, so the
commit hashes are the same on every machine. The unfixed variant carries the usual repository
launch blockers (each marked `# planted:`); `fixed=True` builds the repository a careful team
would have.

No secret-shaped literal lives in this file: keys and passwords are generated at run time from
a seeded random generator, so a secret scanner run over launchready's own source stays quiet.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import string
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

AUTHOR_NAME = "Riley Chen"
AUTHOR_EMAIL = "riley@demo.test"
BRANCH = "main"
DB_HOST = "db.demo.internal"
GIT_TIMEOUT_S = 30

_ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Commit:
    date: str  # ISO 8601 with offset, used for author and committer
    message: str
    write: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Secrets:
    """Secret-shaped values of one variant, generated from a fixed seed (stable hashes).

    The unfixed variant uses `secret_key` and `db_password` for both environments.
    """

    stripe_key: str
    secret_key: str
    secret_key_production: str
    db_password: str
    db_password_production: str

    @classmethod
    def generate(cls, seed: int) -> Secrets:
        rng = random.Random(seed)

        def token(alphabet: str, length: int) -> str:
            return "".join(rng.choice(alphabet) for _ in range(length))

        hexdigits = "0123456789abcdef"
        return cls(
            stripe_key="sk_" + "live_" + token(_ALNUM, 24),
            secret_key=token(hexdigits, 64),
            secret_key_production=token(hexdigits, 64),
            db_password=token(_ALNUM, 20),
            db_password_production=token(_ALNUM, 20),
        )


# --- file contents -------------------------------------------------------------------------

README = """\
# Demo Admin

Internal admin app for Demo Services: clients, activity logs, team invites, password resets
and CSV exports. Starlette + SQLite (PostgreSQL in production).

## Run locally

    cp .env.example .env        # fill in the values
    {install}
    uvicorn app:app --reload

## Deploy

CI builds the Docker image on every push to `main`; production pulls the new image.
Migrations in `migrations/` are applied in order before the new version starts.
"""

PYPROJECT = """\
[project]
name = "demo-admin"
version = "0.4.0"
requires-python = ">=3.12"
dependencies = [
    "starlette>=0.40",
    "uvicorn[standard]>=0.30",
    "jinja2>=3.1",
    "python-multipart>=0.0.9",
    "itsdangerous>=2.1",
    "stripe>=10.0",
]

[dependency-groups]
dev = ["pytest>=8", "httpx>=0.27"]
"""

APP_PY = """\
\"\"\"Demo Admin: the web entry point (routes live in the app package in later versions).\"\"\"

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

import settings


async def healthz(request):
    return JSONResponse({"status": "ok"})


app = Starlette(debug=settings.DEBUG, routes=[Route("/healthz", healthz)])
"""

SETTINGS_FROM_ENV = """\
import os

DEBUG = os.environ.get("DEBUG", "false").lower() == "true"
SECRET_KEY = os.environ["SECRET_KEY"]
DATABASE_URL = os.environ["DATABASE_URL"]
SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")
SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
MAIL_FROM = os.environ.get("MAIL_FROM", "no-reply@demo.test")
"""

STRIPE_FROM_ENV = """
# Billing
STRIPE_API_KEY = os.environ["STRIPE_API_KEY"]
"""

MIGRATION_INIT = """\
-- 001: initial schema
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'member',
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE clients (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    contact_name TEXT,
    contact_email TEXT,
    phone TEXT,
    plan TEXT NOT NULL DEFAULT 'standard',
    status TEXT NOT NULL DEFAULT 'active',
    billing_address TEXT,
    notes TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE activity_logs (
    id INTEGER PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    user_id INTEGER REFERENCES users (id),
    action TEXT NOT NULL,
    created_at TEXT NOT NULL,
    details TEXT
);

CREATE TABLE invites (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    invited_by INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    accepted_at TEXT
);

CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
"""

MIGRATION_INDEX = """\
-- 002: a client's activity page filters on client_id; without this index it scans every log.
CREATE INDEX IF NOT EXISTS idx_activity_logs_client_id ON activity_logs (client_id);
"""

MIGRATION_INDEX_DOWN = """\
-- 002 down: the index only; no data to restore.
DROP INDEX IF EXISTS idx_activity_logs_client_id;
"""

GITIGNORE = """\
__pycache__/
*.pyc
.venv/
*.db
"""

GITIGNORE_ENV = """\
# Environment files hold secrets: only the example is committed.
.env*
!.env.example
"""

ENV_NAMES = (
    "APP_ENV",
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "SMTP_HOST",
    "SMTP_PORT",
    "MAIL_FROM",
)


def _dockerfile(fixed: bool) -> str:
    if fixed:
        return f"""\
FROM python:3.12-slim@sha256:{_digest("python:3.12-slim")}
COPY --from=ghcr.io/astral-sh/uv:0.5.11@sha256:{_digest("ghcr.io/astral-sh/uv:0.5.11")} /uv /bin/uv
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
USER nobody
CMD ["/app/.venv/bin/uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]
"""
    return """\
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir .
CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000"]
"""


# Both variants' workflows start alike, up to the test job's steps.
_CI_HEAD = """\
name: ci
on:
  push:
    branches: [main]
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
"""


def _ci(fixed: bool) -> str:
    if fixed:
        return _fixed_ci()
    return f"""\
{_CI_HEAD}      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install . pytest httpx
      - run: pytest -q
  image:
    needs: test
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: docker build -t demo-admin:${{{{ github.sha }}}} .
"""


def _env_example(with_stripe: bool) -> str:
    names = [*ENV_NAMES, "STRIPE_API_KEY"] if with_stripe else list(ENV_NAMES)
    return "# Copy to .env and fill in. Never commit real values.\n" + "".join(
        f"{name}=\n" for name in names
    )


def _env_file(
    app_env: str,
    *,
    debug: bool,
    secret_key: str,
    database_url: str,
    extra: Mapping[str, str] | None = None,
) -> str:
    values = {
        "APP_ENV": app_env,
        "DEBUG": "true" if debug else "false",
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "SMTP_HOST": "smtp.demo.test",
        "SMTP_PORT": "587",
        "MAIL_FROM": "no-reply@demo.test",
        **(extra or {}),
    }
    return "".join(f"{k}={v}\n" for k, v in values.items())


def _uv_lock() -> str:
    """A small uv.lock in the real format; hashes are derived, not copied from anywhere."""
    packages = [
        ("anyio", "4.7.0", ("idna", "sniffio")),
        ("click", "8.1.8", ()),
        ("h11", "0.14.0", ()),
        ("idna", "3.10", ()),
        ("itsdangerous", "2.2.0", ()),
        ("jinja2", "3.1.5", ("markupsafe",)),
        ("markupsafe", "3.0.2", ()),
        ("python-multipart", "0.0.20", ()),
        ("sniffio", "1.3.1", ()),
        ("starlette", "0.45.2", ("anyio",)),
        ("stripe", "11.4.1", ()),
        ("uvicorn", "0.34.0", ("click", "h11")),
        *DEV_PACKAGES,
    ]
    out = ['version = 1\nrequires-python = ">=3.12"\n']
    for name, version, deps in packages:
        digest = hashlib.sha256(f"{name}-{version}".encode()).hexdigest()
        wheel = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
        out.append(
            f'\n[[package]]\nname = "{name}"\nversion = "{version}"\n'
            'source = { registry = "https://pypi.org/simple" }\n'
        )
        if deps:
            out.append(
                "dependencies = [\n" + "".join(f'    {{ name = "{d}" }},\n' for d in deps) + "]\n"
            )
        out.append(
            f'wheels = [\n    {{ url = "https://files.pythonhosted.org/packages/py3/'
            f'{name[0]}/{name}/{wheel}", hash = "sha256:{digest}" }},\n]\n'
        )
    top = [
        name
        for name, _, _ in packages
        if name in {"itsdangerous", "jinja2", "python-multipart", "starlette", "stripe", "uvicorn"}
    ]
    out.append(
        '\n[[package]]\nname = "demo-admin"\nversion = "0.4.0"\nsource = { editable = "." }\n'
        "dependencies = [\n" + "".join(f'    {{ name = "{n}" }},\n' for n in top) + "]\n"
        "\n[package.dev-dependencies]\ndev = [\n"
        + "".join(f'    {{ name = "{n}" }},\n' for n in ("httpx", "pytest"))
        + "]\n"
    )
    return "".join(out)


# --- fixed variant: its deploy path (what the deploy stage looks for) ----------------------
# A deploy job with the environment checked first, images tagged per commit and pushed, Fly's
# releases to roll back to, actions and images pinned by digest, and a README that says how
# to roll back. Digests and commit SHAs are derived from their names, like the lock's hashes:
# the demo repository is read, never run on GitHub or pulled from a registry.


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _pinned(action: str) -> str:
    return f"{action.split('@')[0]}@{hashlib.sha1(action.encode()).hexdigest()}  # {action}"


DEV_PACKAGES = [
    ("certifi", "2024.12.14", ()),
    ("httpcore", "1.0.7", ("certifi", "h11")),
    ("httpx", "0.28.1", ("anyio", "certifi", "httpcore", "idna")),
    ("iniconfig", "2.0.0", ()),
    ("packaging", "24.2", ()),
    ("pluggy", "1.5.0", ()),
    ("pytest", "8.3.4", ("iniconfig", "packaging", "pluggy")),
]

README_ROLLBACK = """
## Roll back

Every image is tagged with its commit and Fly keeps each release, so a bad deploy is undone
by deploying the previous image:

1. `fly releases --image` shows what each release ran.
2. `fly deploy --image ghcr.io/demo-services/demo-admin:<previous commit>`.
3. If the bad release ran a migration the old code cannot use, undo it first.
"""


def _fixed_ci() -> str:
    image = "ghcr.io/demo-services/demo-admin:${{ github.sha }}"
    return f"""\
{_CI_HEAD}      - uses: {_pinned("actions/checkout@v4.2.2")}
      - uses: {_pinned("astral-sh/setup-uv@v4.2.0")}
      - run: uv sync --locked
      - run: uv run pytest -q
  deploy:
    needs: test
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
    environment: production
    env:
      FLY_API_TOKEN: ${{{{ secrets.FLY_API_TOKEN }}}}
    steps:
      - uses: {_pinned("actions/checkout@v4.2.2")}
      - uses: {_pinned("superfly/flyctl-actions/setup-flyctl@v1.5")}
      - name: Every variable .env.example lists is set in production
        run: |
          names=$(grep -o '^[A-Z_]*' .env.example | sort)
          set=$(flyctl secrets list --json | jq -r '.[].Name' | sort)
          missing=$(comm -23 <(echo "$names") <(echo "$set"))
          test -z "$missing" || {{ echo "missing: $missing"; exit 1; }}
      - run: docker build -t {image} . && docker push {image}
      - run: flyctl deploy --image {image}
"""


# --- history -------------------------------------------------------------------------------


def _database_url(password: str, name: str, host: str = DB_HOST) -> str:
    return f"postgresql://demo_app:{password}@{host}:5432/{name}"


def _common_start(fixed: bool) -> list[Commit]:
    install = "uv sync" if fixed else "pip install -e ."
    gitignore = GITIGNORE + (GITIGNORE_ENV if fixed else "")
    return [
        Commit(
            "2025-03-03T09:12:00+01:00",
            "Initial commit: Starlette admin skeleton",
            {
                "README.md": README.format(install=install) + (README_ROLLBACK if fixed else ""),
                "pyproject.toml": PYPROJECT,
                "app.py": APP_PY,
                "settings.py": SETTINGS_FROM_ENV,
                ".gitignore": gitignore,
            },
        ),
        Commit(
            "2025-03-04T14:40:00+01:00",
            "Add initial schema migration",
            {
                "migrations/001_init.sql": MIGRATION_INIT,
            },
        ),
        Commit(
            "2025-03-06T11:05:00+01:00",
            "Add Dockerfile and CI workflow",
            {
                "Dockerfile": _dockerfile(fixed),
                ".github/workflows/ci.yml": _ci(fixed),
            },
        ),
    ]


def _unfixed_history(s: Secrets) -> list[Commit]:
    shared_db = _database_url(s.db_password, "demo")
    return [
        *_common_start(False),
        # planted: real env files committed; staging and production share one SECRET_KEY and
        # one database, and production runs with DEBUG=true.
        Commit(
            "2025-03-10T16:22:00+01:00",
            "Add staging and production config",
            {
                ".env.example": _env_example(with_stripe=False),
                ".env.staging": _env_file(
                    "staging", debug=True, secret_key=s.secret_key, database_url=shared_db
                ),
                ".env.production": _env_file(
                    "production", debug=True, secret_key=s.secret_key, database_url=shared_db
                ),
            },
        ),
        # planted: a live payment key pasted into a source file ...
        Commit(
            "2025-03-14T18:47:00+01:00",
            "Add Stripe billing settings",
            {
                "settings.py": SETTINGS_FROM_ENV
                + f"\n# Billing\nSTRIPE_API_KEY = {s.stripe_key!r}\n",
            },
        ),
        # ... and "removed" by a later commit: it stays in history, valid until rotated.
        # planted: STRIPE_API_KEY joins .env.example but neither environment file sets it.
        Commit(
            "2025-03-15T10:03:00+01:00",
            "Read Stripe key from environment",
            {
                "settings.py": SETTINGS_FROM_ENV + STRIPE_FROM_ENV,
                ".env.example": _env_example(with_stripe=True),
            },
        ),
        Commit(
            "2025-03-18T13:30:00+01:00",
            "Document local setup in README",
            {
                "README.md": README.format(install="pip install -e .") + "\nAsk Riley for the "
                "Stripe key.\n",
            },
        ),
    ]


def _fixed_history() -> list[Commit]:
    return [
        *_common_start(True),
        Commit(
            "2025-03-10T16:22:00+01:00",
            "Document environment variables in .env.example",
            {
                ".env.example": _env_example(with_stripe=False),
            },
        ),
        Commit(
            "2025-03-14T18:47:00+01:00",
            "Add Stripe billing settings",
            {
                "settings.py": SETTINGS_FROM_ENV + STRIPE_FROM_ENV,
                ".env.example": _env_example(with_stripe=True),
            },
        ),
        Commit("2025-03-15T10:03:00+01:00", "Lock dependencies with uv", {"uv.lock": _uv_lock()}),
        Commit(
            "2025-03-18T13:30:00+01:00",
            "Index activity_logs.client_id",
            {
                "migrations/002_activity_logs_client_id_index.sql": MIGRATION_INDEX,
                "migrations/002_activity_logs_client_id_index.down.sql": MIGRATION_INDEX_DOWN,
            },
        ),
    ]


def _fixed_env_files(s: Secrets) -> dict[str, str]:
    """Written to the work tree only (ignored): per-environment secrets and databases."""
    return {
        ".env.staging": _env_file(
            "staging",
            debug=False,
            secret_key=s.secret_key,
            database_url=_database_url(s.db_password, "demo", "db-staging.demo.internal"),
            extra={"STRIPE_API_KEY": "op://demo-staging/stripe/api-key"},
        ),
        ".env.production": _env_file(
            "production",
            debug=False,
            secret_key=s.secret_key_production,
            database_url=_database_url(s.db_password_production, "demo"),
            extra={"STRIPE_API_KEY": "op://demo-production/stripe/api-key"},
        ),
    }


# --- git -----------------------------------------------------------------------------------


def _git_env(date: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        {
            "GIT_CONFIG_GLOBAL": os.devnull,  # the user's ~/.gitconfig must not matter
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",
        }
    )
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    return env


def _git(root: Path, *args: str, date: str | None = None) -> None:
    command = [
        "git",
        "-c",
        f"user.name={AUTHOR_NAME}",
        "-c",
        f"user.email={AUTHOR_EMAIL}",
        "-c",
        "commit.gpgSign=false",
        "-c",
        "core.autocrlf=false",
        "-c",
        "core.hooksPath=/dev/null",
        "-C",
        str(root),
        *args,
    ]
    try:
        done = subprocess.run(
            command,
            env=_git_env(date),
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"git {args[0]} could not run: {exc}") from exc
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()
        raise RuntimeError(f"git {' '.join(args)} failed ({done.returncode}): {detail}")


def _write(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")


def build_demo_repo(path: str, *, fixed: bool = False) -> None:
    """Create the demo repository at `path` (missing or empty). Raises RuntimeError on failure."""
    if shutil.which("git") is None:
        raise RuntimeError("git is not installed; the demo repository needs it")
    root = Path(path)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise RuntimeError(f"{path} exists and is not an empty directory")
    root.mkdir(parents=True, exist_ok=True)
    secrets = Secrets.generate(seed=2025 if not fixed else 2026)
    _git(root, "init", "--quiet", f"--initial-branch={BRANCH}")
    for commit in _fixed_history() if fixed else _unfixed_history(secrets):
        _write(root, commit.write)
        _git(root, "add", "--all")
        _git(root, "commit", "--quiet", "--no-verify", "-m", commit.message, date=commit.date)
    if fixed:
        _write(root, _fixed_env_files(secrets))
