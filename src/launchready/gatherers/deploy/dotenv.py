"""`KEY=VALUE` lines as written in .env files and printed by `doppler secrets download`,
`op inject` or `heroku config --shell`; plus what a value is, without keeping the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from launchready.gatherers.secrets.filters import shannon

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")
_INLINE_COMMENT = re.compile(r"\s+#.*$")

# Where a value points when it names a secret manager entry instead of holding a secret.
REFERENCES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("1Password", re.compile(r"^op://")),
    ("HashiCorp Vault", re.compile(r"^vault:|^vault://")),
    ("AWS SSM Parameter Store", re.compile(r"^arn:aws:ssm:|^ssm:/")),
    ("AWS Secrets Manager", re.compile(r"^arn:aws:secretsmanager:")),
    ("Doppler", re.compile(r"^doppler://")),
    ("Google Secret Manager", re.compile(r"^projects/[^/]+/secrets/|^gcp-secret://|^sm://")),
    ("Azure Key Vault", re.compile(r"^@Microsoft\.KeyVault\(|\.vault\.azure\.net/secrets/")),
    ("Infisical", re.compile(r"^infisical://")),
)
_INTERPOLATED = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$")
DB_SCHEMES = frozenset(
    {"postgres", "postgresql", "mysql", "mariadb", "mongodb", "redis", "rediss", "mssql"}
    | {"sqlserver", "cockroachdb", "oracle"}
)
_HOST_VAR = re.compile(r"^(DB|DATABASE|PG|POSTGRES|MYSQL|MONGO|MONGODB)_?HOST$")
_NAME_VAR = re.compile(r"^(DB|DATABASE|PG|POSTGRES|MYSQL|MONGO|MONGODB)_?(NAME|DATABASE|DB)$")


def parse_dotenv(text: str) -> dict[str, str]:
    """Later lines win, as in the shell. Quotes are removed; `#` starts a comment outside them."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            continue
        raw = m.group(2).strip()
        if raw[:1] in ("'", '"'):
            end = raw.find(raw[0], 1)
            value = raw[1:end] if end > 0 else raw[1:]
        else:
            value = _INLINE_COMMENT.sub("", raw).strip()
        values[m.group(1)] = value
    return values


def reference_of(value: str) -> str | None:
    for store, pattern in REFERENCES:
        if pattern.search(value):
            return store
    return "interpolated" if _INTERPOLATED.match(value) else None


_NOT_A_KEY = re.compile(r"\s|@|://|^[./~]")  # sentences, addresses, URLs, paths


def looks_random(value: str) -> bool:
    """Long and varied enough to be a generated key rather than a word, address or setting:
    letters and digits mixed, and about 3 bits of entropy per character or more."""
    if len(value) < 16 or _NOT_A_KEY.search(value):
        return False
    mixed = bool(re.search(r"[0-9]", value)) and bool(re.search(r"[A-Za-z]", value))
    return mixed and shannon(value) >= 3.0


@dataclass(frozen=True)
class DbTarget:
    """Which database a variable points at; no credentials kept."""

    variable: str
    scheme: str
    host: str
    port: int | None
    name: str


def url_has_password(value: str) -> bool:
    try:
        parts = urlsplit(value)
        return bool(parts.scheme and parts.password and not parts.password.startswith("$"))
    except ValueError:
        return False


def db_targets(values: dict[str, str]) -> list[DbTarget]:
    """From URL values with a database scheme, and from DB_HOST + DB_NAME style pairs."""
    found: list[DbTarget] = []
    for name, value in values.items():
        try:
            parts = urlsplit(value)
            scheme = parts.scheme.split("+", 1)[0].lower()
            if scheme in DB_SCHEMES and parts.hostname:
                found.append(
                    DbTarget(name, scheme, parts.hostname, parts.port, parts.path.lstrip("/"))
                )
        except ValueError:
            continue
    hosts = [(k, v) for k, v in values.items() if _HOST_VAR.match(k) and v]
    names = [v for k, v in values.items() if _NAME_VAR.match(k) and v]
    for key, host in hosts:
        found.append(DbTarget(key, "", host.lower(), None, names[0] if names else ""))
    return found
