"""The file ``launchready init`` writes: every DESIGN.md section, commented, with what the
repository reveals (env files per environment, migrations, the database variable) filled in.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

_ENV_NAME = re.compile(r"^\.env\.(staging|stage|production|prod)$")
_MIGRATION_DIRS = (
    "migrations",
    "db/migrations",
    "alembic/versions",
    "prisma/migrations",
    "db/migrate",
)


@dataclass
class Detected:
    environments: dict[str, str] = field(default_factory=dict)
    migrations: str | None = None
    dialect: str | None = None
    database_var: str | None = None
    notes: list[str] = field(default_factory=list)


def detect(repo: Path) -> Detected:
    found = Detected()
    for path in sorted(repo.glob(".env.*")):
        m = _ENV_NAME.match(path.name)
        if m:
            name = "production" if m.group(1).startswith("prod") else "staging"
            found.environments.setdefault(name, path.name)
    if found.environments:
        found.notes.append("environments " + ", ".join(sorted(found.environments)))
    for candidate in _MIGRATION_DIRS:
        if (repo / candidate).is_dir():
            found.migrations = candidate
            found.notes.append(f"migrations in {candidate}/")
            break
    example = repo / ".env.example"
    if example.is_file():
        text = example.read_text(encoding="utf-8", errors="replace")
        m = re.search(r"^(\w*DATABASE_URL)\s*=\s*(\S*)", text, re.M)
        if m:
            found.database_var = m.group(1)
            if m.group(2).startswith(("postgres", "postgresql")):
                found.dialect = "postgresql"
            elif m.group(2).startswith("sqlite"):
                found.dialect = "sqlite"
            found.notes.append(f"database from ${{{found.database_var}}}")
    return found


def _q(value: str) -> str:
    return json.dumps(value)


def render_template(d: Detected, *, repo: str = ".") -> str:
    envs = d.environments or {"staging": ".env.staging", "production": ".env.production"}
    env_lines = []
    for name in ("staging", "production"):
        prefix = "" if name in d.environments else "# "
        env_file = _q(envs.get(name, f".env.{name}"))
        env_lines.append(f"{prefix}[environments.{name}]\n{prefix}env_file = {env_file}\n")
    mig_prefix = "" if d.migrations else "# "
    db_line = (
        f'url = "${{{d.database_var}}}"   # read from the environment, never stored here'
        if d.database_var
        else '# url = "${DATABASE_URL}"   # a scratch or staging database, never production'
    )
    return f"""\
# launchready.toml — what `launchready audit` checks. Written by `launchready init`.
# ${{VAR}} in any value reads the environment, so no secret has to sit in this file.
# Every key is documented in the README; `launchready checks` lists what is checked.

[web]
# The pages customers open; the first one is the canonical origin.
urls = ["https://app.example.com/login"]
domain = "example.com"
subdomains = ["app", "api", "admin"]

[email]
domains = ["example.com"]
# dkim_selectors = ["s1"]        # discovered from common selectors when empty
# sending_ips = ["203.0.113.5"]  # evaluated through SPF check_host

[network]
# nameservers = ["127.0.0.1:5353"]                 # DNS servers to ask instead of the system's
# ca_bundle = "ca.pem"                             # extra CAs to trust (staging, test CAs)
# resolve = ["app.example.com:443:127.0.0.1"]      # curl-style HOST:PORT:ADDR pins
# connect_to = ["app.example.com:443:127.0.0.1:8443"]  # curl-style port redirection

[repo]
path = {_q(repo)}

{chr(10).join(env_lines)}
[database]
{db_line}
# hot_queries = ["SELECT * FROM activity_logs WHERE client_id = 42 ORDER BY created_at DESC"]

{mig_prefix}[migrations]
{mig_prefix}path = {_q(d.migrations or "migrations")}
{mig_prefix}dialect = {_q(d.dialect or "postgresql")}

[performance]
base_url = "https://app.example.com"
users = [1, 2, 8]
duration_s = 20
# [[performance.endpoints]]
# name = "client list"
# method = "GET"
# path = "/api/clients"
# kind = "read"        # read | write | page | export
# [performance.login]
# method = "POST"
# path = "/login"
# form = {{ email = "admin@example.com", password = "${{ADMIN_PASSWORD}}" }}

[monitor]
# database = "sqlite:///launchready-monitor.db"
# listen = "127.0.0.1:8088"
# interval_s = 60
# failures_before_alert = 2
# alerts = ["mailto://ops@example.com"]   # apprise URLs

[owners]
# dns = "Dana"
# hosting = "Sam"
# email = "Dana"
# monitoring = "Sam"
# secrets = "Sam"
"""
