"""Secrets outside source control: none written into deployment configuration, and a known
place where production's secrets live."""

from __future__ import annotations

from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.core.findings import Harm, Severity, Stage, Status
from launchready.gatherers.deploy.config_secrets import CONFIG_SECRETS, ConfigSecretsFact
from launchready.gatherers.deploy.secret_store import SECRET_STORE, SecretStoreFact

OWASP_SECRETS = "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html"
_CONTEXT = {
    "compose": "a compose file",
    "ci": "a CI workflow",
    "ci-service": "a CI service container",
    "dockerfile": "a Dockerfile (baked into every image layer)",
    "iac": "infrastructure code",
}
# Where a tutorial default is harmless: nothing there is reachable from outside.
_LOCAL_CONTEXTS = frozenset({"compose", "ci", "ci-service"})


@check(
    id="deploy.config-secrets",
    stage=Stage.DEPLOY,
    title="No secret is written into deployment configuration",
    severity=Severity.HIGH,
    harm=Harm.DATA_EXPOSURE,
    reads=CONFIG_SECRETS,
    impact="A password or key in a compose file, Dockerfile, CI workflow or IaC file is in the "
    "hands of everyone who can read the repository, and stays in its history after removal.",
    remediation="Replace the value with a reference the platform fills in (`${{ secrets.NAME }}` "
    "in GitHub Actions, `env_file`/`secrets:` in compose, a secret manager data source in "
    "Terraform), rotate the exposed secret, and keep only local-development defaults in files.",
    references=[
        OWASP_SECRETS,
        "https://docs.github.com/en/actions/security-guides/using-secrets-in-github-actions",
        "https://docs.docker.com/compose/how-tos/use-secrets/",
    ],
)
def config_secrets(fact: ConfigSecretsFact) -> Iterator[Verdict]:
    """Values are never shown, only their length. Well-known local defaults (`postgres`,
    `password`…) in a compose file or a CI service container are noted as info: they guard
    nothing reachable. The same default baked into an image or IaC is a failure."""
    for path, problem in fact.problems:
        if "unreadable" in problem:
            yield Verdict(Status.ERROR, f"could not read it: {problem}", target=path)
    problems = 0
    for a in fact.assignments:
        where = _CONTEXT.get(a.context, a.context)
        what = "the password in a URL" if a.in_url else a.key
        target = f"{a.path}:{a.line}"
        if a.known_default and a.context in _LOCAL_CONTEXTS:
            yield Verdict.warn(
                f"{what} is a well-known local-development default in {where}: fine for a "
                "laptop or a CI service, never for a reachable database",
                target=target,
                severity=Severity.INFO,
            )
            continue
        problems += 1
        kind = "a well-known default" if a.known_default else f"a literal value ({a.length} chars)"
        yield Verdict.fail(f"{what} is set to {kind} in {where}", target=target)
    for t in fact.tokens:
        problems += 1
        yield Verdict.fail(
            f"a {t.rule} secret (found by {fact.engine}; fingerprint {t.fingerprint})",
            target=f"{t.path}:{t.line}",
            fingerprint=t.fingerprint,
        )
    if not problems:
        scanned = len(fact.scanned)
        yield Verdict.ok(
            f"no secret in {scanned} compose, Docker, CI and IaC file(s) (tokens: {fact.engine})"
            if scanned
            else "no compose, Docker, CI or IaC file in the repository"
        )


@check(
    id="deploy.secret-store",
    stage=Stage.DEPLOY,
    title="Someone can say where production secrets live",
    severity=Severity.HIGH,
    harm=Harm.DATA_EXPOSURE,
    reads=SECRET_STORE,
    impact="When nobody can say where production secrets live, they live in chat messages, "
    "laptops and pasted files: nobody can rotate them after a leak or hand them over.",
    remediation="Keep production secrets in one store — a secret manager (Doppler, 1Password, "
    "Vault, AWS Secrets Manager/SSM) or the platform's config (Fly secrets, Render environment "
    "groups, Heroku config vars, GitHub Actions secrets) — and write it down: "
    '`[deploy] secret_store = "…"` in launchready.toml and the runbook.',
    references=[OWASP_SECRETS, "https://12factor.net/config"],
)
def secret_store(fact: SecretStoreFact) -> Iterator[Verdict]:
    """Any trace counts: a CLI or action in CI, references such as `op://` in an env file, a
    platform file, a line of documentation, or the answer written in the config. Without a
    production environment or deployment files the question is premature, so it is only
    noted."""
    if fact.declared:
        yield Verdict.ok(f"declared in [deploy] secret_store: {fact.declared}")
        return
    if fact.hints:
        stores: dict[str, list[str]] = {}
        for h in fact.hints:
            stores.setdefault(h.store, []).append(f"{h.where} ({h.how})")
        shown = "; ".join(f"{s}: {', '.join(w[:2])}" for s, w in stores.items())
        yield Verdict.ok(f"detected {shown}")
        return
    if fact.production_environments or fact.deploy_files:
        seen = [*fact.production_environments, *fact.deploy_files[:3]]
        yield Verdict.fail(
            "nothing shows where production secrets live: no secret manager, platform config "
            f"store or documented location (looked at {', '.join(seen)} and the repository)"
        )
        return
    yield Verdict.warn(
        "no production environment or deployment configuration yet, and nothing says where "
        "production secrets will live",
        severity=Severity.MEDIUM,
    )
