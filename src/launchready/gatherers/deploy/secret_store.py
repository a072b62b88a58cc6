"""Where production secrets live: traces of a secret manager or a platform's config store.

Looked for in the repository (CI, Dockerfiles, compose, IaC, scripts, docs), in how each
environment is loaded (`command = "doppler secrets download …"`), in the values of the env
files (`op://…` references; the values themselves are not kept) and in `[deploy]
secret_store`, where a team can simply write the answer down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from launchready.config.model import AuditConfig
from launchready.gatherers.deploy.dotenv import parse_dotenv, reference_of
from launchready.gatherers.deploy.files import (
    CI,
    COMPOSE,
    DOCKERFILE,
    DOCS,
    IAC,
    SCRIPTS,
    RepoFiles,
)

SECRET_STORE = "deploy.secret-store"

# (store, pattern) over configuration and scripts.
_CODE: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (store, re.compile(pattern))
    for store, pattern in (
        ("Doppler", r"\bdoppler\s+(run|secrets)\b|dopplerhq/"),
        ("1Password", r"op://|\bop\s+(run|read|inject)\b|1password/load-secrets-action"),
        (
            "HashiCorp Vault",
            r"hashicorp/vault-action|\bvault\s+(kv|read)\s|VAULT_ADDR|vault_generic_secret",
        ),
        (
            "AWS SSM Parameter Store",
            r"aws\s+ssm\s+get-parameters?|arn:aws:ssm:|aws_ssm_parameter|resolve:ssm",
        ),
        (
            "AWS Secrets Manager",
            r"aws\s+secretsmanager|arn:aws:secretsmanager:|aws_secretsmanager_secret|aws-secretsmanager-get-secrets|resolve:secretsmanager",
        ),
        (
            "Google Secret Manager",
            r"gcloud\s+secrets|google_secret_manager_secret|get-secretmanager-secrets|--set-secrets",
        ),
        (
            "Azure Key Vault",
            r"get-keyvault-secrets|az\s+keyvault\s+secret|azurerm_key_vault_secret|@Microsoft\.KeyVault\(",
        ),
        ("GitHub Actions secrets", r"\$\{\{\s*secrets\.(?!GITHUB_TOKEN\b)[A-Za-z_]"),
        ("Fly.io secrets", r"\bfly(ctl)?\s+secrets\s+(set|import)"),
        ("Heroku config vars", r"\bheroku\s+config:set"),
        ("Kubernetes secrets", r"secretKeyRef|kind:\s*(ExternalSecret|SealedSecret)\b"),
        ("SOPS", r"\bsops\s+(-d|--decrypt|exec-env)"),
        ("Infisical", r"\binfisical\s+(run|export)"),
    )
)
# Platform files whose dashboard or CLI holds the app's config vars.
_PLATFORM_FILES = (
    ("Fly.io secrets", re.compile(r"(^|/)fly\.toml$")),
    ("Render environment groups", re.compile(r"(^|/)render\.ya?ml$")),
    ("Heroku config vars", re.compile(r"(^|/)(app\.json|heroku\.ya?ml)$")),
    ("Doppler", re.compile(r"(^|/)\.?doppler\.ya?ml$")),
    ("SOPS", re.compile(r"(^|/)\.sops\.ya?ml$")),
)
_DOC_STORE = re.compile(
    r"doppler|1password|vault|parameter store|secrets manager|key vault|secret manager"
    r"|fly secrets|heroku config|render (env|environment)|github (actions )?secrets|infisical"
    r"|bitwarden|sops",
    re.IGNORECASE,
)
_DOC_SECRET = re.compile(r"secret|credential|api key", re.IGNORECASE)
_DEPLOY_FILES = re.compile("|".join(p.pattern for p in (DOCKERFILE, IAC)))


@dataclass(frozen=True)
class StoreHint:
    store: str
    where: str  # path:line, or the environment it was seen in
    how: str  # what was seen, e.g. "`op://` references in 2 variables"


@dataclass(frozen=True)
class SecretStoreFact:
    hints: tuple[StoreHint, ...]
    declared: str | None  # [deploy].secret_store
    production_environments: tuple[str, ...]  # configured environments that look like prod
    deploy_files: tuple[str, ...]  # Dockerfiles, platform and IaC files (the app is deployed)


# "prod", "production" or "live" as a word of the name (prod, prod-eu, app_live, prod2), not
# inside another word (delivery, product) and not negated or preceded (non-prod, pre_prod).
_PRODUCTION = re.compile(r"(?<![a-z0-9])(?:prod|production|live)(?![a-z])", re.IGNORECASE)
_NOT_YET = re.compile(r"(?:^|[^a-z0-9])(?:pre|non)[-_. ]?$", re.IGNORECASE)


def is_production(name: str) -> bool:
    return any(not _NOT_YET.search(name[: m.start()]) for m in _PRODUCTION.finditer(name))


def _scan_code(files: RepoFiles) -> list[StoreHint]:
    pattern = re.compile("|".join(p.pattern for p in (CI, COMPOSE, DOCKERFILE, IAC, SCRIPTS)))
    hints = []
    for path, text in files.texts(pattern):
        for store, rx in _CODE:
            for number, line in enumerate(text.splitlines(), start=1):
                if rx.search(line):
                    hints.append(StoreHint(store, f"{path}:{number}", "referenced"))
                    break
    for path in files.files:
        for store, rx in _PLATFORM_FILES:
            if rx.search(path):
                hints.append(StoreHint(store, path, "platform configuration"))
    return hints


def _scan_docs(files: RepoFiles) -> list[StoreHint]:
    hints = []
    for path, text in files.texts(DOCS):
        for number, line in enumerate(text.splitlines(), start=1):
            m = _DOC_STORE.search(line)
            if m and _DOC_SECRET.search(line):
                hints.append(StoreHint(m.group(0), f"{path}:{number}", "documented"))
                break
    return hints


def _scan_environments(config: AuditConfig) -> list[StoreHint]:
    hints = []
    for name, env in config.environments.items():
        if env.command:
            for store, rx in _CODE:
                if rx.search(env.command):
                    hints.append(StoreHint(store, f"environment {name}", "loaded by its command"))
        if env.env_file:
            try:
                text = Path(config.resolve_path(env.env_file)).read_text("utf-8", "replace")
            except OSError:
                continue
            refs: dict[str, int] = {}
            for value in parse_dotenv(text).values():
                ref = reference_of(value)
                if ref and ref != "interpolated":
                    refs[ref] = refs.get(ref, 0) + 1
            for store, count in refs.items():
                how = f"{count} variable(s) are references into it"
                hints.append(StoreHint(store, f"environment {name} ({env.env_file})", how))
    return hints


def gather_secret_store(files: RepoFiles | None, config: AuditConfig) -> SecretStoreFact:
    hints = _scan_environments(config)
    deploy_files: list[str] = []
    if files is not None:
        hints += _scan_code(files) + _scan_docs(files)
        deploy_files = files.matching(_DEPLOY_FILES)
    production = tuple(n for n in config.environments if is_production(n))
    return SecretStoreFact(
        tuple(hints), config.deploy.secret_store, production, tuple(deploy_files)
    )
