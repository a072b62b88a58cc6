"""The deploy plan: the exact commands the repository shows for each phase of a release.

Built from the other repository facts (CI commands, lock files, migrations, platform files)
and the owners in the config. It is published into the report (``Report.extras
["deploy_plan"]``) so the deployment checklist can be written from the report alone.
Nothing here judges; a phase with nothing detected simply has no step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from launchready.config.model import AuditConfig
from launchready.gatherers.deploy.builds import BuildsFact
from launchready.gatherers.deploy.ci import DEPLOYS, TESTS, CiFact
from launchready.gatherers.deploy.envs import public_url
from launchready.gatherers.deploy.files import RepoFiles
from launchready.gatherers.deploy.migrations.coderefs import CODE
from launchready.gatherers.deploy.migrations.model import MigrationSet, MigrationsFact
from launchready.gatherers.deploy.rollback import RollbackFact
from launchready.gatherers.deploy.secret_store import SecretStoreFact, is_production

PLAN = "deploy.plan"

_BUILD = re.compile(
    r"\bdocker\s+(buildx\s+)?build\b|\b(npm|pnpm|yarn|bun)\s+(run\s+)?build\b|\buv\s+build\b"
    r"|\bpoetry\s+build\b|\bgo\s+build\b|\bcargo\s+build\b|\bnext\s+build\b|\bvite\s+build\b"
)
_INSTALL = {
    "uv": "uv sync --locked",
    "poetry": "poetry install --sync",
    "pip-tools": "pip install --require-hashes -r requirements.txt",
    "npm": "npm ci",
    "pnpm": "pnpm install --frozen-lockfile",
    "yarn": "yarn install --immutable",
}
# tool -> (apply, undo the last one); {root} is the migrations folder.
_MIGRATE = {
    "alembic": ("alembic upgrade head", "alembic downgrade -1"),
    "django": (
        "python manage.py migrate",
        "python manage.py migrate <app> <previous migration>",
    ),
    "prisma": (
        "npx prisma migrate deploy",
        "!Prisma has no down migrations: apply a reverse migration made with "
        "`npx prisma migrate diff`",
    ),
    "knex": ("npx knex migrate:latest", "npx knex migrate:rollback"),
    "rails": ("bin/rails db:migrate", "bin/rails db:rollback"),
    "golang-migrate": (
        'migrate -path {root} -database "$DATABASE_URL" up',
        'migrate -path {root} -database "$DATABASE_URL" down 1',
    ),
    "dbmate": ("dbmate up", "dbmate rollback"),
    "goose": (
        'goose -dir {root} postgres "$DATABASE_URL" up',
        'goose -dir {root} postgres "$DATABASE_URL" down',
    ),
    "flyway": ("flyway migrate", "flyway undo"),
}
_PLATFORM_DEPLOY = {
    "Fly.io": "fly deploy",
    "Heroku": "git push heroku main",
    "Render": "!push to the branch Render deploys (render.yaml)",
    "Kubernetes": "kubectl apply -f <manifests>",
    "Vercel": "vercel --prod",
    "Railway": "railway up",
    "Google Cloud Run": "gcloud run deploy",
    "AWS ECS": "aws ecs update-service --force-new-deployment",
}
_HEALTH = re.compile(r"""["'](/(?:api/)?(?:healthz?|health-check|status|up|ping))["']""")


@dataclass(frozen=True)
class PlanStep:
    phase: str
    command: str  # a command to run, or an instruction when ``is_command`` is false
    source: str  # path:line it was found at, or what it was inferred from
    is_command: bool = True


@dataclass(frozen=True)
class DeployPlan:
    steps: tuple[PlanStep, ...]
    owners: tuple[tuple[str, str], ...]
    secret_stores: tuple[str, ...]

    def publish(self) -> tuple[str, list[dict[str, object]]]:
        rows: list[dict[str, object]] = [
            {
                "kind": "step",
                "phase": s.phase,
                "command": s.command,
                "source": s.source,
                "is_command": s.is_command,
            }
            for s in self.steps
        ]
        rows += [{"kind": "owner", "area": area, "owner": who} for area, who in self.owners]
        rows += [{"kind": "secret_store", "store": s} for s in self.secret_stores]
        return "deploy_plan", rows


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _ci_steps(ci: CiFact, phase: str, pattern: re.Pattern[str], limit: int = 3) -> list[PlanStep]:
    steps: list[PlanStep] = []
    for path, cmd in ci.commands():
        line = _first_line(cmd.text)
        if pattern.search(cmd.text) and all(s.command != line for s in steps):
            steps.append(PlanStep(phase, line, f"{path}:{cmd.line}"))
        if len(steps) >= limit:
            break
    return steps


def _migration_steps(s: MigrationSet) -> tuple[PlanStep, PlanStep]:
    apply, undo = _MIGRATE.get(s.tool, ("", ""))
    if not apply:  # plain SQL files
        runner = (
            'psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f'
            if s.dialect == "postgresql"
            else ('sqlite3 "$DATABASE_PATH" <' if s.dialect == "sqlite" else 'mysql "$DATABASE" <')
        )
        apply = f"{runner} {s.root}/<each pending .sql file, in order>"
        undo = f"{runner} {s.root}/<the .down.sql of the last migration applied>"
    latest = s.migrations[-1].id if s.migrations else "-"
    where = f"{s.tool} migrations in {s.root or '.'} ({len(s.migrations)}, latest {latest})"
    instruction = undo.startswith("!")
    back = undo.removeprefix("!").format(root=s.root)
    return PlanStep("migrate", apply.format(root=s.root), where), PlanStep(
        "rollback", back, where, not instruction
    )


def _verify_steps(files: RepoFiles, config: AuditConfig) -> list[PlanStep]:
    targets = []
    for name, env in config.environments.items():
        url = public_url(env.url)
        if is_production(name) and url:
            targets.append((name, url.rstrip("/")))
    if not targets:
        return []  # nothing to verify: the source files need not be searched for a route
    health = None
    for path in files.matching(CODE)[:2000]:
        m = _HEALTH.search(files.read(path) or "")
        if m:
            health = (m.group(1), path)
            break
    steps = []
    for name, base in targets:
        if health:
            steps.append(
                PlanStep("verify", f"curl -fsS {base}{health[0]}", f"route in {health[1]}")
            )
        steps.append(
            PlanStep(
                "verify", f"sign in at {base} with a test account", f"environment {name}", False
            )
        )
        steps.append(
            PlanStep("verify", f"launchready audit --only edge --url {base}", "launchready")
        )
    return steps


def build_plan(
    files: RepoFiles,
    config: AuditConfig,
    ci: CiFact,
    builds: BuildsFact,
    migrations: MigrationsFact,
    rollback: RollbackFact,
    store: SecretStoreFact,
) -> DeployPlan:
    steps: list[PlanStep] = []
    for lock in builds.locks:
        if lock.ecosystem in _INSTALL:
            steps.append(PlanStep("build", _INSTALL[lock.ecosystem], lock.lock))
    built = _ci_steps(ci, "build", _BUILD)
    if not built and builds.dockerfiles:
        path = builds.dockerfiles[0]
        built = [
            PlanStep(
                "build", f"docker build -f {path} -t <app>:$(git rev-parse --short HEAD) .", path
            )
        ]
    steps += built
    steps += _ci_steps(ci, "test", TESTS, 2)
    undo: list[PlanStep] = []
    for s in migrations.sets:
        forward, back = _migration_steps(s)
        steps.append(forward)
        undo.append(back)
    deploys = _ci_steps(ci, "deploy", DEPLOYS, 2)
    if not deploys:
        deploys = [
            PlanStep(
                "deploy",
                _PLATFORM_DEPLOY[p.platform].removeprefix("!"),
                p.where,
                not _PLATFORM_DEPLOY[p.platform].startswith("!"),
            )
            for p in rollback.platforms
            if p.platform in _PLATFORM_DEPLOY
        ][:1]
    steps += deploys
    steps += _verify_steps(files, config)
    steps += [PlanStep("rollback", p.rollback, p.where, False) for p in rollback.platforms[:1]]
    steps += undo
    steps += [
        PlanStep("rollback", f"follow the runbook: “{r.excerpt}”", r.where, False)
        for r in rollback.runbooks[:1]
    ]
    owners = tuple(
        (area, str(who))
        for area, who in config.owners.model_dump().items()
        if isinstance(who, str) and who
    )
    stores = [store.declared] if store.declared else []
    stores += list(dict.fromkeys(h.store for h in store.hints))
    return DeployPlan(tuple(steps), owners, tuple(stores))
