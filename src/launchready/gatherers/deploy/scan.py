"""The repository-derived deploy facts, from one listing of the repository.

Each fact is built by its own module; this gatherer only lists the files once, runs the
builders in worker threads and turns a builder's failure into "could not check" for that
fact alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from launchready.core.outcome import Outcome
from launchready.gatherers.base import GatherContext, describe_error
from launchready.gatherers.deploy.builds import BUILDS, BuildsFact, gather_builds
from launchready.gatherers.deploy.ci import CI_FACT, CiFact, gather_ci
from launchready.gatherers.deploy.config_secrets import (
    CONFIG_SECRETS,
    Matcher,
    default_matcher,
    scan_config_secrets,
)
from launchready.gatherers.deploy.files import RepoFiles, repo_files
from launchready.gatherers.deploy.migrations import MIGRATIONS, gather_migrations
from launchready.gatherers.deploy.migrations.model import MigrationsFact
from launchready.gatherers.deploy.plan import PLAN, DeployPlan, build_plan
from launchready.gatherers.deploy.repo import GitError
from launchready.gatherers.deploy.rollback import ROLLBACK, RollbackFact, gather_rollback
from launchready.gatherers.deploy.secret_store import (
    SECRET_STORE,
    SecretStoreFact,
    gather_secret_store,
)


class RepoScanGatherer:
    name: str = "deploy files"
    provides: tuple[str, ...] = (
        CONFIG_SECRETS,
        SECRET_STORE,
        BUILDS,
        CI_FACT,
        MIGRATIONS,
        ROLLBACK,
        PLAN,  # read by no check: published into the report for the deployment checklist
    )

    def __init__(self, matcher: Matcher | None = None, engine: str = "injected matcher") -> None:
        """``matcher`` finds secret-shaped tokens; by default (resolved when the scan runs, so
        listing gatherers stays cheap) the secrets stage's engine."""
        self._matcher = matcher
        self._engine = engine

    async def gather(self, ctx: GatherContext) -> list[Outcome[Any]]:
        config = ctx.config
        if not config.repo.path:
            reason = "no repository given ([repo].path or --repo)"
            return [Outcome.skipped(fact, "-", reason) for fact in self.provides]
        root = config.resolve_path(config.repo.path)
        ctx.progress.started("deploy: repository files")
        try:
            try:
                files = await asyncio.wait_for(repo_files(root), ctx.timeout_s)
            except (OSError, GitError, TimeoutError) as exc:
                reason = str(exc) or f"listing the repository took over {ctx.timeout_s:g} s"
                return [Outcome.error(fact, root, reason) for fact in self.provides]
            return await self._build_all(files, ctx)
        finally:
            ctx.progress.finished("deploy: repository files")

    async def _build_all(self, files: RepoFiles, ctx: GatherContext) -> list[Outcome[Any]]:
        root = files.root
        matcher, engine = (
            (self._matcher, self._engine) if self._matcher is not None else default_matcher()
        )

        async def build(fact: str, work: Callable[[], Any]) -> Outcome[Any]:
            try:
                value = await asyncio.wait_for(asyncio.to_thread(work), ctx.timeout_s)
            except TimeoutError:
                return Outcome.error(fact, root, f"took over {ctx.timeout_s:g} s")
            except Exception as exc:  # noqa: BLE001 - one fact's failure must not sink the rest
                return Outcome.error(fact, root, describe_error(exc))
            return Outcome.ok(fact, root, value)

        ci_outcome = await build(CI_FACT, lambda: gather_ci(files))
        ci = ci_outcome.value if ci_outcome.value is not None else CiFact(())
        builders: dict[str, Callable[[], Any]] = {
            CONFIG_SECRETS: lambda: scan_config_secrets(files, matcher, engine),
            SECRET_STORE: lambda: gather_secret_store(files, ctx.config),
            BUILDS: lambda: gather_builds(files),
            MIGRATIONS: lambda: gather_migrations(files, ctx.config),
            ROLLBACK: lambda: gather_rollback(files, ci),
        }
        rest = await asyncio.gather(*(build(f, w) for f, w in builders.items()))
        values = {o.fact: o.value for o in [ci_outcome, *rest]}

        def plan() -> DeployPlan:
            return build_plan(
                files,
                ctx.config,
                ci,
                values.get(BUILDS) or BuildsFact((), (), ()),
                values.get(MIGRATIONS) or MigrationsFact(()),
                values.get(ROLLBACK) or RollbackFact((), (), ()),
                values.get(SECRET_STORE) or SecretStoreFact((), None, (), ()),
            )

        return [ci_outcome, *rest, await build(PLAN, plan)]
