"""Secrets written into deployment configuration: compose files, Dockerfiles, CI, IaC.

Two sources of evidence, kept apart:
- assignments: a secret-named key (`POSTGRES_PASSWORD`, `api_key`) set to a literal value,
  or a URL with a password in it — the structure of the file says what the value is for;
- tokens: secret-shaped strings found by the secrets stage's engine (one engine, two uses),
  injected as a ``Matcher`` so this module neither copies nor depends on its internals.
No value is kept: only where it is, how long it is and whether it is a well-known default.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from launchready.gatherers.deploy.dotenv import reference_of
from launchready.gatherers.deploy.files import CI, COMPOSE, DOCKERFILE, IAC, RepoFiles
from launchready.gatherers.deploy.yamlwalk import scalars

CONFIG_SECRETS = "deploy.config-secrets"

# Stricter than the shared secret-name words (gatherers/secrets/names.py): a match here is
# a finding on its own, so "password" must end the key (PASSWORD_RESET_URL, BYPASS_CACHE are
# settings), and the signing/encryption/master keys of frameworks are added.
_SECRET_KEY = re.compile(
    r"pass(word|wd)?$|^pwd$|_pwd$|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|credentials?$|auth[_-]?key|signing[_-]?key|encryption[_-]?key|master[_-]?key",
    re.IGNORECASE,
)
# The key names where the secret is, not what it is (POSTGRES_PASSWORD_FILE=/run/secrets/db).
_DESCRIPTIVE = re.compile(
    r"[_-](file|path|name|length|ttl|expiry|header|ref|arn|id|env|var|secret_name)$", re.I
)
_URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:([^@\s/]+)@", re.IGNORECASE)
# Values that are placeholders or are filled in at run time, not secrets.
_TEMPLATED = re.compile(
    r"^\$\{\{.*\}\}$|\$\{|^\$[A-Za-z_]|\{\{|^<.+>$|^%\(|secretKeyRef|^!(Ref|Sub|GetAtt)"
)
# Defaults that every local Postgres/MySQL/Redis tutorial uses: fine for a laptop or a CI
# service container, never for anything reachable.
DEV_DEFAULTS = frozenset(
    {"postgres", "password", "pass", "secret", "root", "admin", "mysql", "redis", "test"}
    | {"testing", "dev", "development", "example", "changeme", "change-me", "guest", "user"}
    | {"pg", "mongo", "local", "localdev", "postgrespassword", "password123", "123456"}
    | {"12345678", "toor", "docker", "app"}
)
_DOCKER_ENV = re.compile(r"^\s*(ENV|ARG)\s+(.+)$", re.IGNORECASE)
_KEY_VALUE = re.compile(r"""([A-Za-z_][A-Za-z0-9_.-]*)=("[^"]*"|'[^']*'|\S*)""")
_HCL_ASSIGN = re.compile(r"""^\s*"?([A-Za-z_][A-Za-z0-9_.-]*)"?\s*[=:]\s*"([^"]*)"\s*,?\s*$""")


class Hit(Protocol):
    """What the secrets stage's engine reports for one match (the fields used here)."""

    @property
    def rule_id(self) -> str: ...

    @property
    def line(self) -> int: ...

    @property
    def fingerprint(self) -> str: ...


Matcher = Callable[[str, str], Sequence[Hit]]  # scan_text(path, text)


def default_matcher() -> tuple[Matcher, str]:
    """The secrets stage's engine (imported on use: it compiles its rules on first scan)."""
    from launchready.gatherers.secrets import scan_text

    return scan_text, "the secrets stage's engine"


@dataclass(frozen=True)
class Assignment:
    path: str
    line: int
    key: str
    context: str  # compose | ci | ci-service | dockerfile | iac
    length: int
    known_default: bool
    in_url: bool  # the password part of a URL


@dataclass(frozen=True)
class TokenHit:
    path: str
    line: int
    rule: str
    fingerprint: str  # the secrets stage's stable fingerprint, never the value


@dataclass(frozen=True)
class ConfigSecretsFact:
    scanned: tuple[str, ...]
    assignments: tuple[Assignment, ...]
    tokens: tuple[TokenHit, ...]
    engine: str  # which matcher found the tokens
    problems: tuple[tuple[str, str], ...]  # (path, why it could not be read)


def context_of(path: str, key_path: Iterable[str] = ()) -> str:
    if CI.search(path):
        keys = set(key_path)
        return "ci-service" if {"services", "container"} & keys else "ci"
    if COMPOSE.search(path):
        return "compose"
    return "dockerfile" if DOCKERFILE.search(path) else "iac"


def _literal(value: str) -> str | None:
    value = value.strip().strip("'\"")
    if not value or _TEMPLATED.search(value) or reference_of(value):
        return None
    return value


def _assignment(path: str, line: int, key: str, value: str, context: str) -> Assignment | None:
    m = _URL_PASSWORD.search(value)
    if m and _literal(m.group(1)):
        secret = m.group(1)
        return Assignment(path, line, key, context, len(secret), secret in DEV_DEFAULTS, True)
    if not _SECRET_KEY.search(key) or _DESCRIPTIVE.search(key):
        return None
    literal = _literal(value)
    if literal is None:
        return None
    return Assignment(
        path, line, key, context, len(literal), literal.lower() in DEV_DEFAULTS, False
    )


def _from_yaml(path: str, text: str) -> list[Assignment]:
    found = []
    for s in scalars(text):
        key, value = s.key, s.value
        if "=" in value and s.path[-1:] == ("[]",) and s.key == "environment":
            key, _, value = value.partition("=")  # compose `- KEY=VALUE`
        a = _assignment(path, s.line, key, value, context_of(path, s.path))
        if a:
            found.append(a)
    return found


def _from_lines(path: str, text: str) -> list[Assignment]:
    """Dockerfile ENV/ARG, HCL/TOML `key = "value"`, Jenkinsfile environment blocks."""
    context = context_of(path)
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        pairs: list[tuple[str, str]] = []
        docker = _DOCKER_ENV.match(line) if context == "dockerfile" else None
        if docker:
            body = docker.group(2)
            pairs = _KEY_VALUE.findall(body)
            if not pairs and len(body.split(None, 1)) == 2:  # legacy `ENV KEY value`
                k, v = body.split(None, 1)
                pairs = [(k, v)]
        else:
            m = _HCL_ASSIGN.match(line)
            if m:
                pairs = [(m.group(1), m.group(2))]
            elif _URL_PASSWORD.search(line):
                pairs = [("url", line)]
        for key, value in pairs:
            a = _assignment(path, number, key, value, context)
            if a:
                found.append(a)
    return found


def scan_config_secrets(
    files: RepoFiles, matcher: Matcher | None, engine: str
) -> ConfigSecretsFact:
    pattern = re.compile("|".join(p.pattern for p in (COMPOSE, DOCKERFILE, CI, IAC)))
    scanned, assignments, tokens, problems = [], [], [], []
    for path in files.matching(pattern):
        text = files.read(path)
        if text is None:
            problems.append((path, "unreadable or larger than 1 MB"))
            continue
        scanned.append(path)
        try:
            yaml_like = path.endswith((".yml", ".yaml"))
            assignments.extend(_from_yaml(path, text) if yaml_like else _from_lines(path, text))
        except ValueError as exc:
            problems.append((path, str(exc)))
            assignments.extend(_from_lines(path, text))
        if matcher is not None:
            seen = {(a.path, a.line) for a in assignments}
            for hit in matcher(path, text):
                if (path, hit.line) not in seen:
                    tokens.append(TokenHit(path, hit.line, hit.rule_id, hit.fingerprint))
    return ConfigSecretsFact(
        tuple(scanned), tuple(assignments), tuple(tokens), engine, tuple(problems)
    )
