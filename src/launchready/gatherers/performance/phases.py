"""The audit's measuring plan, run on the load engine's own event loop.

Budget (``[performance].duration_s`` = D): each endpoint gets D split across the user
levels (1, 2 … N users, no think time; 1 and 2 are always measured), each background job a
window of D (up to 3 D for slow endpoints) in which the endpoints are sent at a constant
arrival rate, and the mail probe a handful of requests at two SMTP speeds. With the
sandbox's D = 5 s, three endpoints and one job: about 25 s.

The background window uses the open model on purpose. One closed-model user sends nothing
while its request is stuck behind the job, so a 1.5 s stall becomes one slow sample among
forty and p95 hides it (coordinated omission). At a constant arrival rate every request
that was due during the stall waits, and each is counted from when it was due.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from launchready.config.model import BackgroundConfig, EndpointConfig, PerformanceConfig
from launchready.core.outcome import Outcome
from launchready.gatherers.base import describe_error
from launchready.gatherers.network import Network
from launchready.gatherers.performance import facts as F
from launchready.gatherers.performance.client import HttpError, Origin
from launchready.gatherers.performance.emailprobe import probe_email
from launchready.gatherers.performance.engine import JobRuns, LoadEngine, PhaseResult
from launchready.gatherers.performance.histogram import (
    GeneratorLag,
    HistogramBin,
    LatencySummary,
    Recorder,
)
from launchready.gatherers.performance.payload import probe
from launchready.gatherers.performance.session import Spec, VirtualUser

MIN_PHASE_S = 0.5
# A p95 from fewer samples is the maximum in disguise: one slow fsync decides it.
MIN_SAMPLES = 40
# The background window's arrival rate never exceeds this, however fast the endpoints.
MAX_INTERFERENCE_RATE = 200.0
# Connections the background window may hold at once: requests stuck behind the job each
# keep one, and a request waiting for a connection would count the generator's queue.
INTERFERENCE_POOL = 64
MAIL_PROBE_SOCKETS = 2  # the mail-sending request's connection and the SMTP delay knob


def levels_of(cfg: PerformanceConfig) -> list[int]:
    """The user levels measured: the configured ones, and always 1 and 2 (two-users)."""
    return sorted(set(cfg.users) | {1, 2})


def interference_pool(cfg: PerformanceConfig) -> int:
    spare = cfg.max_connections - len(cfg.background) - MAIL_PROBE_SOCKETS
    return max(levels_of(cfg)[-1], min(INTERFERENCE_POOL, spare))


def socket_budget(cfg: PerformanceConfig) -> int:
    """The most sockets the audit holds at once (the config guarantees it is within
    max_connections); it decides between select() and epoll."""
    return interference_pool(cfg) + len(cfg.background) + MAIL_PROBE_SOCKETS


def interference_rate(alone_mean_ms: Sequence[float], window_s: float) -> tuple[float, float]:
    """Arrival rate (requests/s) and window (s) for measuring endpoints next to a job.

    Enough requests for MIN_SAMPLES per endpoint in the window, but at most half the rate
    of one person clicking through the endpoints back to back on the idle server (their
    mean latency alone): even a server that handles one request at a time is then busy at
    most half the time, so our own requests rarely queue behind each other and what slows
    them is the job. When that caps the rate, the window grows (up to 3×)."""
    n = len(alone_mean_ms)
    cycle_s = sum(max(1.0, ms) for ms in alone_mean_ms) / 1000
    ceiling = min(MAX_INTERFERENCE_RATE, n / (2 * cycle_s))
    rate = min(ceiling, MIN_SAMPLES * n / window_s)
    window = min(3 * window_s, max(window_s, MIN_SAMPLES * n / rate))
    return round(rate, 3), round(window, 3)


@dataclass
class LoadReport:
    outcomes: list[Outcome[Any]] = field(default_factory=list)
    series: list[F.EndpointSeries] = field(default_factory=list)
    marks: list[F.PhaseMark] = field(default_factory=list)


def spec_of(e: EndpointConfig) -> Spec:
    return Spec(e.name, e.method, e.path, e.body, e.content_type)


def _merge_bins(recorders: list[Recorder]) -> tuple[HistogramBin, ...]:
    totals: dict[float, int] = {}
    for r in recorders:
        for b in r.chart_bins():
            totals[b.upper_ms] = totals.get(b.upper_ms, 0) + b.count
    return tuple(HistogramBin(k, totals[k]) for k in sorted(totals))


class _Session:
    def __init__(
        self,
        cfg: PerformanceConfig,
        engine: LoadEngine,
        say: Callable[[str, bool], None],
    ) -> None:
        self.cfg = cfg
        self.engine = engine
        self.say = say
        self.report = LoadReport()
        self.by_endpoint: dict[str, list[Recorder]] = {}
        self.lags: list[GeneratorLag] = []
        self.cut_off = 0

    def _now(self) -> float:
        return asyncio.get_running_loop().time() - self.engine.origin_time

    async def phase(
        self, label: str, run: Callable[[], Any], recorders: dict[str, Recorder]
    ) -> PhaseResult:
        if self.engine.stopped:
            raise asyncio.CancelledError  # stopped between phases: start no other
        self.say(label, True)
        start = self._now()
        try:
            result: PhaseResult = await run()
        finally:
            self.say(label, False)
        self.report.marks.append(F.PhaseMark(label, round(start, 3), round(self._now(), 3)))
        for name, rec in recorders.items():
            self.by_endpoint.setdefault(name, []).append(rec)
        self.lags.append(result.lag)
        self.cut_off += result.cut_off
        return result

    async def run(self) -> LoadReport:
        cfg, engine = self.cfg, self.engine
        try:
            users = await engine.users(levels_of(cfg)[-1], cfg.login)
        except (HttpError, OSError) as exc:
            reason = f"could not sign in the load test's users: {describe_error(exc)}"
            return self._all_failed(reason)
        try:
            return await self._measure(users)
        finally:
            # Also when stopped or failed: no connection outlives the run.
            for vu in users:
                if vu.conn is not None:
                    vu.conn.abort()

    async def _measure(self, users: list[VirtualUser]) -> LoadReport:
        cfg, engine, out = self.cfg, self.engine, self.report.outcomes
        levels = levels_of(cfg)
        endpoints = cfg.endpoints
        interactive = [e for e in endpoints if e.kind != "export"]

        for e in endpoints:
            if e.method.upper() == "GET" and e.kind in ("read", "page"):
                try:
                    out.append(
                        Outcome.ok(
                            F.PAYLOAD, e.path, await probe(users[0], spec_of(e), engine.timeout_s)
                        )
                    )
                except (HttpError, OSError) as exc:
                    out.append(Outcome.error(F.PAYLOAD, e.path, describe_error(exc)))

        alone: dict[str, LatencySummary] = {}
        phase_s = max(MIN_PHASE_S, cfg.duration_s / len(levels))
        for e in endpoints:
            spec = spec_of(e)
            counts = levels if e.kind != "export" else [1]
            curve: list[F.Level] = []
            for u in counts:
                recs = engine.recorders([e.name])
                plan = [(users[j], [spec]) for j in range(u)]
                label = f"performance: {e.name} at {u} user{'s' if u > 1 else ''}"
                run = partial(engine.closed, plan, phase_s, recs, min_requests=MIN_SAMPLES)
                await self.phase(label, run, recs)
                curve.append(F.Level(u, recs[e.name].summary()))
            alone[e.name] = curve[0].summary
            target = cfg.target_ms(e)
            out.append(
                Outcome.ok(
                    F.ENDPOINT,
                    e.name,
                    F.EndpointLatency(
                        e.name,
                        spec.method,
                        e.path,
                        e.kind,
                        target,
                        cfg.max_error_rate,
                        curve[-1].users,
                        curve[-1].summary,
                    ),
                )
            )
            if e.kind != "export":
                out.append(
                    Outcome.ok(
                        F.CONCURRENCY,
                        e.name,
                        F.ConcurrencyCurve(
                            e.name, e.kind, target, cfg.two_users_ratio, tuple(curve)
                        ),
                    )
                )

        if cfg.email is None:
            out.append(Outcome.skipped(F.EMAIL, "-", "no [performance.email] request configured"))
        elif cfg.email.smtp_delay_url is None:
            reason = "no smtp_delay_url: the mail server's speed cannot be varied to compare"
            out.append(Outcome.skipped(F.EMAIL, cfg.email.path, reason))
        else:
            label = f"performance: {cfg.email.name} with the mail server slowed"
            self.say(label, True)
            try:
                out.append(
                    Outcome.ok(F.EMAIL, cfg.email.path, await probe_email(engine, cfg.email))
                )
            except (HttpError, OSError, ValueError) as exc:
                out.append(Outcome.error(F.EMAIL, cfg.email.path, describe_error(exc)))
            finally:
                self.say(label, False)

        # Last: a cut-off job can leave the server busy for a moment after the window.
        if not cfg.background:
            out.append(
                Outcome.skipped(F.BACKGROUND, "-", "no [[performance.background]] configured")
            )
        for k, job in enumerate(cfg.background):
            out.append(await self._background(k, job, interactive, users, alone))

        worst = max(self.lags, key=lambda lag: lag.p99_ms, default=GeneratorLag(0, 0, 0, 0))
        requests = sum(r.count for recs in self.by_endpoint.values() for r in recs)
        health = F.GeneratorHealth(worst, self.cut_off, requests, round(self._now(), 2))
        out.append(Outcome.ok(F.GENERATOR, str(engine.origin), health))
        self.report.series = [
            F.EndpointSeries(
                e.name,
                e.kind,
                cfg.target_ms(e),
                tuple(
                    sorted(
                        (p for r in self.by_endpoint.get(e.name, []) for p in r.timeline()),
                        key=lambda p: p.t_s,
                    )
                ),
                _merge_bins(self.by_endpoint.get(e.name, [])),
            )
            for e in endpoints
        ]
        return self.report

    async def _background(
        self,
        k: int,
        job: BackgroundConfig,
        interactive: list[EndpointConfig],
        users: list[VirtualUser],
        alone: dict[str, LatencySummary],
    ) -> Outcome[Any]:
        engine, cfg = self.engine, self.cfg
        if not interactive:
            reason = "no endpoint other than exports to measure while it runs"
            return Outcome.skipped(F.BACKGROUND, job.name, reason)
        try:
            bg_user = await engine.user(1000 + k, cfg.login)
        except (HttpError, OSError) as exc:
            return Outcome.error(F.BACKGROUND, job.name, describe_error(exc))
        job_spec = Spec(job.name, job.method, job.path)
        recs = engine.recorders([e.name for e in interactive])
        specs = [spec_of(e) for e in interactive]
        rate, window = interference_rate(
            [alone[e.name].mean_ms for e in interactive], cfg.duration_s
        )
        label = f"performance: endpoints while {job.name} runs"
        run = partial(
            engine.open,
            users,
            specs,
            rate,
            window,
            recs,
            connections=interference_pool(cfg),
            background=[(bg_user, job_spec)],
            background_bps=cfg.background_bytes_per_s,
        )
        try:
            result = await self.phase(label, run, recs)
        finally:
            if bg_user.conn is not None:
                bg_user.conn.abort()
        runs = result.background.get(job.name, JobRuns())
        answers = tuple(runs.statuses.most_common())
        if runs.errors and not runs.runs:
            codes = ", ".join(f"{code}: {n}" for code, n in answers)
            return Outcome.error(
                F.BACKGROUND,
                job.name,
                f"{job_spec.method} {job.path} never succeeded in the {window:g} s window "
                f"(answers: {codes}), so nothing ran beside the requests",
            )
        rows = tuple(
            F.InterferenceRow(
                e.name, e.kind, cfg.target_ms(e), alone[e.name].p95_ms, recs[e.name].summary()
            )
            for e in interactive
        )
        return Outcome.ok(
            F.BACKGROUND,
            job.name,
            F.Interference(job.name, job.path, window, runs.runs, runs.errors, rows, answers, rate),
        )

    def _all_failed(self, reason: str) -> LoadReport:
        for fact in F.LOAD_FACTS:
            self.report.outcomes.append(Outcome.error(fact, str(self.engine.origin), reason))
        return self.report


async def audit_load(
    cfg: PerformanceConfig,
    network: Network,
    origin: Origin,
    say: Callable[[str, bool], None],
    stop: threading.Event | None = None,
) -> LoadReport:
    engine = LoadEngine(
        network,
        origin,
        timeout_s=cfg.request_timeout_s,
        max_connections=cfg.max_connections,
        max_requests=cfg.max_requests,
        bucket_s=max(0.1, cfg.duration_s / 40),
        stop=stop,
    )
    return await _Session(cfg, engine, say).run()
