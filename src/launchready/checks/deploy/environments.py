"""Environment separation: staging and production share no secret and no database, production
runs without debug flags, and every environment sets the variables the app needs.

Values are never seen here: the fact holds keyed hashes, database hosts and names, and the
values of mode flags (DEBUG, NODE_ENV…) only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from launchready.checks.base import Verdict, check
from launchready.core.findings import Harm, Severity, Stage, Status
from launchready.gatherers.deploy.envs import ENVIRONMENTS, Environment, EnvironmentsFact, EnvVar
from launchready.gatherers.deploy.secret_store import is_production

TWELVE_FACTOR = "https://12factor.net/config"
OWASP_SECRETS = "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html"
# Not the shared secret-name words (gatherers/secrets/names.py): equal values under these
# names in staging and production are a finding, so credentials not named as such are added
# (DSNs, salts, webhooks, any *_KEY) and a bare PASS is left out (BYPASS_CACHE=true would
# read as a shared secret).
_SECRET_NAME = re.compile(
    r"SECRET|PASSWORD|PASSWD|PWD|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|AUTH|SALT|SIGNING"
    r"|ENCRYPTION|ACCESS_KEY|_KEY$|^KEY$|DSN|WEBHOOK",
    re.IGNORECASE,
)
_LOCAL_HOSTS = re.compile(r"^(localhost|127\.\d+\.\d+\.\d+|::1|0\.0\.0\.0|[a-z0-9_-]+)$")
_TRUE = frozenset({"true", "1", "yes", "on", "y"})
_DEV = frozenset({"development", "dev", "local", "debug", "test", "testing"})


def is_secret(v: EnvVar) -> bool:
    """A value worth keeping apart: secret by its name, its shape or an embedded password."""
    if not v.digest or v.reference == "interpolated":
        return False
    return bool(_SECRET_NAME.search(v.name)) or v.looks_random or v.url_has_password


def _where(env: Environment) -> str:
    return f"environment {env.name} ({env.source})"


def _readable(
    fact: EnvironmentsFact, concerns: Callable[[Environment], bool] = lambda e: True
) -> tuple[list[Environment], list[Verdict]]:
    """Environments that could be read, and an error verdict for each that could not and
    that ``concerns`` the check."""
    errors = [
        Verdict(Status.ERROR, f"could not read it: {e.problem}", target=_where(e))
        for e in fact.environments
        if e.problem and concerns(e)
    ]
    return [e for e in fact.environments if not e.problem], errors


def _prod_and_others(
    fact: EnvironmentsFact,
) -> tuple[list[Environment], list[Environment], list[Verdict]]:
    envs, errors = _readable(fact)
    prods = [e for e in envs if is_production(e.name)]
    others = [e for e in envs if not is_production(e.name)]
    if not errors and not (prods and others):
        names = ", ".join(e.name for e in fact.environments)
        errors.append(
            Verdict(
                Status.SKIPPED,
                f"needs a production environment and another to compare ({names} configured)",
            )
        )
    return prods, others, errors


@check(
    id="deploy.shared-secrets",
    stage=Stage.DEPLOY,
    title="Staging and production share no secret",
    severity=Severity.HIGH,
    harm=Harm.DATA_EXPOSURE,
    reads=ENVIRONMENTS,
    impact="Whoever can read staging — contractors, test scripts, a verbose error page — holds "
    "the production key too: they can sign production sessions or open production data.",
    remediation="Generate a separate value per environment (e.g. `python -c 'import secrets; "
    "print(secrets.token_hex(32))'`), store it in production's secret store, and rotate the "
    "production value: the old one has been in staging's hands.",
    references=[TWELVE_FACTOR, OWASP_SECRETS],
)
def shared_secrets(fact: EnvironmentsFact) -> Iterator[Verdict]:
    """Values are compared by HMAC-SHA256 under a key drawn for this run only: equal hashes
    mean equal values, and neither values nor hashes ever leave the gatherer's fact. Equal
    values under different names count too (staging's JWT_SECRET = production's SECRET_KEY)."""
    prods, others, verdicts = _prod_and_others(fact)
    yield from verdicts
    for prod in prods:
        prod_secrets = {v.digest: v.name for v in prod.variables if is_secret(v)}
        for other in others:
            pair = f"{other.name} vs {prod.name}"
            shared = [
                (v.name, prod_secrets[v.digest])
                for v in other.variables
                if is_secret(v) and v.digest in prod_secrets
            ]
            for name, prod_name in shared:
                label = name if name == prod_name else f"{name} ({other.name}) = {prod_name}"
                yield Verdict.fail(
                    f"{label}: the same value in {other.name} and {prod.name} "
                    "(compared by keyed hash; no value shown)",
                    target=f"{pair}: {name}",
                )
            if not shared:
                yield Verdict.ok(
                    f"no secret value in common ({len(prod_secrets)} secret-looking production "
                    "values compared by keyed hash)",
                    target=pair,
                )


def _is_local(host: str) -> bool:
    # localhost, or a single-label name such as a compose service ("db"): each machine's own.
    return bool(_LOCAL_HOSTS.match(host))


@check(
    id="deploy.shared-database",
    stage=Stage.DEPLOY,
    title="Staging does not use production's database",
    severity=Severity.HIGH,
    harm=Harm.DATA_LOSS,
    reads=ENVIRONMENTS,
    impact="A test run, a seed script or a migration tried on staging writes to the customers' "
    "data; one bad staging deploy can delete production records.",
    remediation="Give staging its own database (and its own credentials), filled from "
    "anonymised or synthetic data; point staging's DATABASE_URL at it.",
    references=[TWELVE_FACTOR, "https://12factor.net/dev-prod-parity"],
)
def shared_database(fact: EnvironmentsFact) -> Iterator[Verdict]:
    """Databases are compared by host and name from URL values (DATABASE_URL, REDIS_URL…) or
    DB_HOST/DB_NAME pairs. Local hosts (localhost, a compose service name) are each machine's
    own and prove nothing either way."""
    prods, others, verdicts = _prod_and_others(fact)
    yield from verdicts
    for prod in prods:
        for other in others:
            pair = f"{other.name} vs {prod.name}"
            found = False
            for p in prod.databases:
                for o in other.databases:
                    if p.host != o.host or _is_local(p.host):
                        continue
                    found = True
                    where = f"{p.host}/{p.name}" if p.name else p.host
                    if p.name == o.name:
                        yield Verdict.fail(
                            f"{o.variable} ({other.name}) and {p.variable} ({prod.name}) both "
                            f"point at {where}",
                            target=f"{pair}: {o.variable}",
                        )
                    else:
                        yield Verdict.warn(
                            f"same server {p.host}, different databases ({o.name} / {p.name}): "
                            "staging load and mistakes still reach production's server",
                            target=f"{pair}: {o.variable}",
                            severity=Severity.MEDIUM,
                        )
            if not found:
                yield Verdict.ok(
                    f"{len(prod.databases)} production and {len(other.databases)} "
                    f"{other.name} database address(es) compared: none shared",
                    target=pair,
                )


def _debug_problem(name: str, value: str) -> tuple[Status, Severity] | None:
    v = value.lower()
    if name.endswith("DEBUG") and v in _TRUE:
        return Status.FAIL, Severity.HIGH
    if (name.endswith("ENV") or name.endswith("ENVIRONMENT")) and v in _DEV:
        return Status.FAIL, Severity.HIGH
    if name == "DJANGO_SETTINGS_MODULE" and re.search(r"(^|\.)(dev|development|local)$", v):
        return Status.FAIL, Severity.HIGH
    if name == "LOG_LEVEL" and v in ("debug", "trace"):
        return Status.WARN, Severity.LOW
    return None


@check(
    id="deploy.production-debug",
    stage=Stage.DEPLOY,
    title="Production runs without debug or development mode",
    severity=Severity.HIGH,
    harm=Harm.DATA_EXPOSURE,
    reads=ENVIRONMENTS,
    impact="Debug mode turns every error into a page that shows stack traces, settings and "
    "often secrets to whoever triggered it; development mode also drops caching and "
    "security defaults.",
    remediation="Set DEBUG=false and NODE_ENV/APP_ENV/FLASK_ENV/RAILS_ENV=production in the "
    "production environment, and make the app refuse to start in debug mode when it is "
    "deployed.",
    references=[
        "https://docs.djangoproject.com/en/stable/ref/settings/#debug",
        "https://nodejs.org/en/learn/getting-started/nodejs-the-difference-between-development-and-production",
        "https://owasp.org/Top10/A05_2021-Security_Misconfiguration/",
    ],
)
def production_debug(fact: EnvironmentsFact) -> Iterator[Verdict]:
    """Mode flags are the one kind of value the fact keeps, and only when they are short
    words, so `DEBUG=true` can be shown as evidence."""
    envs, errors = _readable(fact, lambda e: is_production(e.name))
    yield from errors
    prods = [e for e in envs if is_production(e.name)]
    if not prods and not any(is_production(e.name) for e in fact.environments):
        yield Verdict(Status.SKIPPED, "no environment named production (prod, live) configured")
    for env in prods:
        flags = [(v.name, v.flag_value) for v in env.variables if v.flag_value is not None]
        bad = 0
        for name, value in flags:
            problem = _debug_problem(name, value or "")
            if problem:
                bad += 1
                status, severity = problem
                yield Verdict(status, f"{name}={value}", target=_where(env), severity=severity)
        if not bad:
            shown = ", ".join(f"{n}={v}" for n, v in flags) or "no mode flag set"
            yield Verdict.ok(shown, target=_where(env))


@check(
    id="deploy.required-env",
    stage=Stage.DEPLOY,
    title="Every environment sets the variables the app needs",
    severity=Severity.HIGH,
    harm=Harm.DEPLOY,
    reads=ENVIRONMENTS,
    impact="A variable the app reads but the environment lacks makes the deploy start and "
    "crash, or run with a fallback nobody meant for production: it works locally and breaks "
    "after deploy.",
    remediation="Set each missing variable in that environment's secret store or platform "
    "config; keep .env.example (or [deploy] required_env) as the list of what every "
    "environment needs, and check it in CI before deploying.",
    references=[TWELVE_FACTOR, "https://github.com/motdotla/dotenv#should-i-commit-my-env-file"],
)
def required_env(fact: EnvironmentsFact) -> Iterator[Verdict]:
    """The list comes from .env.example (names only) and [deploy] required_env. An empty value
    counts as set but is noted; names no list mentions are noted, not failed."""
    envs, errors = _readable(fact)
    yield from errors
    required = list(dict.fromkeys([*fact.template_names, *fact.required]))
    listed_by = " and ".join(
        x for x in (fact.template, "[deploy] required_env" if fact.required else None) if x
    )
    if not required:
        yield Verdict.warn(
            "no .env.example or [deploy] required_env lists the variables an environment "
            "needs: a new environment is set up by guesswork",
            severity=Severity.LOW,
        )
        return
    for env in envs:
        present = {v.name: v for v in env.variables}
        missing = [n for n in required if n not in present]
        empty = [n for n in required if n in present and not present[n].digest]
        unknown = sorted(set(present) - set(required))
        if missing:
            yield Verdict.fail(
                f"missing {', '.join(missing)} (listed in {listed_by})", target=_where(env)
            )
        if empty:
            yield Verdict.warn(
                f"set but empty: {', '.join(empty)}", target=_where(env), severity=Severity.MEDIUM
            )
        if unknown and fact.template:
            yield Verdict.warn(
                f"not in {fact.template}: {', '.join(unknown)} — document them or remove them",
                target=_where(env),
                severity=Severity.INFO,
            )
        if not missing and not empty:
            yield Verdict.ok(f"all {len(required)} listed variables set", target=_where(env))
