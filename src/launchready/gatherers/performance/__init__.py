"""The performance stage's gatherer: query plans first, then load on a loop of its own.

One gatherer runs both so they never overlap: a trial index holds a write lock on the
database for a moment, which would show up as a latency spike in the load test.

Both run in worker threads, which cancelling the audit (Ctrl-C) does not stop: a stop event
tells them to, and they end within a fraction of a second — the load on its next callback,
the query plans at their next progress check (or the per-target limit on PostgreSQL).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from launchready.core.outcome import Outcome
from launchready.gatherers.base import GatherContext
from launchready.gatherers.performance import facts as F
from launchready.gatherers.performance.client import Origin
from launchready.gatherers.performance.engine import run_isolated
from launchready.gatherers.performance.phases import audit_load, socket_budget
from launchready.gatherers.performance.queryplans import gather_query_plans

T = TypeVar("T")


async def in_thread(work: Callable[[threading.Event], T]) -> T:
    """``work(stop)`` in a worker thread; ``stop`` is set when the caller is cancelled."""
    stop = threading.Event()
    try:
        return await asyncio.to_thread(work, stop)
    except asyncio.CancelledError:
        stop.set()
        raise


def base_url_of(ctx: GatherContext) -> str | None:
    """``[performance].base_url``, else the origin of the first ``[web].urls`` entry."""
    perf = ctx.config.performance
    if perf.base_url:
        return perf.base_url
    if ctx.config.web.urls:
        parts = urlsplit(ctx.config.web.urls[0])
        return f"{parts.scheme}://{parts.netloc}"
    return None


class PerformanceGatherer:
    name: str = "performance"
    provides: tuple[str, ...] = (*F.LOAD_FACTS, F.QUERY_PLAN)

    async def gather(self, ctx: GatherContext) -> list[Outcome[Any]]:
        label = "performance: query plans"
        ctx.progress.started(label)
        try:
            out = await in_thread(lambda stop: gather_query_plans(ctx.config, ctx.timeout_s, stop))
        finally:
            ctx.progress.finished(label)
        return out + await self._load(ctx)

    async def _load(self, ctx: GatherContext) -> list[Outcome[Any]]:
        perf = ctx.config.performance
        base = base_url_of(ctx)
        reason = None
        if not perf.endpoints:
            reason = "no [[performance.endpoints]] configured"
        elif base is None:
            reason = "no [performance].base_url (or [web].urls) to send load to"
        if reason or base is None:
            return [Outcome.skipped(fact, "-", reason or "") for fact in F.LOAD_FACTS]
        try:
            origin = Origin.parse(base)
        except ValueError as exc:  # a [web].urls entry without a host ("https://")
            return [Outcome.error(fact, base, str(exc)) for fact in F.LOAD_FACTS]

        def say(label: str, started: bool) -> None:
            (ctx.progress.started if started else ctx.progress.finished)(label)

        report = await in_thread(
            lambda stop: run_isolated(
                lambda: audit_load(perf, ctx.network, origin, say, stop),
                connections=socket_budget(perf),
                stop=stop,
            )
        )
        series = F.LoadSeries(str(origin), tuple(report.marks), tuple(report.series))
        return [*report.outcomes, Outcome.ok(F.SERIES, str(origin), series)]
