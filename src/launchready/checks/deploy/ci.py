"""CI validation: a pipeline that builds and tests, deploys, and checks the environment first."""

from __future__ import annotations

from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.core.findings import Harm, Severity, Stage, Status
from launchready.gatherers.deploy.ci import CI_FACT, DEPLOYS, ENV_CHECKS, TESTS, CiFact

GITHUB_WORKFLOWS = "https://docs.github.com/en/actions/use-cases-and-examples/building-and-testing"


@check(
    id="deploy.ci-tests",
    stage=Stage.DEPLOY,
    title="CI builds the app and runs its tests",
    severity=Severity.MEDIUM,
    harm=Harm.DEPLOY,
    reads=CI_FACT,
    impact="Without CI running the tests, a change that breaks login reaches production the "
    "moment someone deploys it.",
    remediation="Add a workflow that installs from the lock file and runs the test suite on "
    "every push and pull request, and make the deploy depend on it.",
    references=[GITHUB_WORKFLOWS, "https://docs.gitlab.com/ee/ci/quick_start/"],
)
def ci_tests(fact: CiFact) -> Iterator[Verdict]:
    """A test runner invoked anywhere in a CI config counts (pytest, npm test, go test…)."""
    for c in fact.configs:
        if c.problem:
            yield Verdict(Status.ERROR, f"could not read it: {c.problem}", target=c.path)
    if not fact.configs:
        yield Verdict.fail("no CI configuration: nothing builds or tests a change before deploy")
        return
    found = [(p, cmd) for p, cmd in fact.commands() if TESTS.search(cmd.text)]
    if found:
        path, cmd = found[0]
        first = cmd.text.strip().splitlines()[0][:80]
        yield Verdict.ok(f"tests run: `{first}`", target=f"{path}:{cmd.line}")
    elif any(not c.problem for c in fact.configs):
        paths = ", ".join(c.path for c in fact.configs)
        yield Verdict.fail(f"CI runs ({paths}) but no step runs tests")


@check(
    id="deploy.ci-deploy",
    stage=Stage.DEPLOY,
    title="Deploys run from a pipeline, not from someone's laptop",
    severity=Severity.MEDIUM,
    harm=Harm.DEPLOY,
    reads=CI_FACT,
    impact="A deploy done by hand needs guesswork every time: the steps live in one person's "
    "head, and the day they are away nobody can ship a fix.",
    remediation="Add a deploy job (or use the platform's deploy-on-push) that runs after the "
    "tests on the main branch, targets a named `environment: production`, and runs the "
    "migrations before switching traffic.",
    references=[
        "https://docs.github.com/en/actions/deployment/about-deployments/deploying-with-github-actions",
        "https://render.com/docs/deploys",
    ],
)
def ci_deploy(fact: CiFact) -> Iterator[Verdict]:
    """A deploy command or action in CI, a job with a deployment environment, or a platform
    that deploys every push (render.yaml, vercel.json…) counts."""
    for path, cmd in fact.commands():
        if DEPLOYS.search(cmd.text):
            first = cmd.text.strip().splitlines()[0][:80]
            yield Verdict.ok(f"deploy step: `{first}`", target=f"{path}:{cmd.line}")
            return
    for c in fact.configs:
        for a in c.actions:
            if DEPLOYS.search(a.uses):
                yield Verdict.ok(f"deploy action: {a.uses}", target=f"{c.path}:{a.line}")
                return
        if c.environments:
            yield Verdict.ok(f"deploys to environment {', '.join(c.environments)}", target=c.path)
            return
    if fact.auto_deploy:
        yield Verdict.ok(f"the platform deploys on push ({', '.join(fact.auto_deploy)})")
        return
    yield Verdict.fail("no deploy step in CI and no deploy-on-push platform file")


@check(
    id="deploy.ci-env-check",
    stage=Stage.DEPLOY,
    title="A pipeline step checks the required environment variables",
    severity=Severity.LOW,
    harm=Harm.DEPLOY,
    reads=CI_FACT,
    impact="A missing variable is found by the first customer request after the deploy, not "
    "by the pipeline before it.",
    remediation="Add a step before the deploy that fails when a required variable is unset "
    '(`: "${DATABASE_URL:?}"`, dotenv-linter, envalid, or `launchready audit --only deploy`).',
    references=["https://github.com/dotenv-linter/dotenv-linter", "https://12factor.net/config"],
)
def ci_env_check(fact: CiFact) -> Iterator[Verdict]:
    """Shell guards (`${VAR:?}`, `test -n "$VAR"`), env linters or a launchready run count."""
    if not fact.configs:
        yield Verdict(Status.SKIPPED, "no CI configuration (see deploy.ci-tests)")
        return
    for path, cmd in fact.commands():
        if ENV_CHECKS.search(cmd.text):
            first = cmd.text.strip().splitlines()[0][:80]
            yield Verdict.ok(f"environment checked: `{first}`", target=f"{path}:{cmd.line}")
            return
    yield Verdict.warn("no CI step checks that the required environment variables are set")
