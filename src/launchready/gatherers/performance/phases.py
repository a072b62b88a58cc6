"""The audit's measuring plan, run on the load engine's own event loop.

Budget (``[performance].duration_s`` = D): each endpoint gets D split across the user
levels (1, 2 … N users, no think time), each background job a window of D with one user
cycling through the endpoints, and the mail probe a handful of requests at two SMTP
speeds. With the sandbox's D = 5 s, three endpoints and one job: about 25 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from launchready.config.model import EndpointConfig, PerformanceConfig
from launchready.core.outcome import Outcome
from launchready.gatherers.base import describe_error
from launchready.gatherers.network import Network
from launchready.gatherers.performance import facts as F
from launchready.gatherers.performance.client import HttpError, Origin
from launchready.gatherers.performance.emailprobe import probe_email
from launchready.gatherers.performance.engine import GeneratorLag, LoadEngine, PhaseResult
from launchready.gatherers.performance.histogram import HistogramBin, Recorder
from launchready.gatherers.performance.payload import probe
from launchready.gatherers.performance.session import Spec

MIN_PHASE_S = 0.5
# A p95 from fewer samples is the maximum in disguise: one slow fsync decides it.
MIN_SAMPLES = 40


@dataclass
class LoadReport:
    outcomes: list[Outcome[Any]] = field(default_factory=list)
    series: list[F.EndpointSeries] = field(default_factory=list)
    marks: list[F.PhaseMark] = field(default_factory=list)


def spec_of(e: EndpointConfig) -> Spec:
    return Spec(e.name, e.method.upper(), e.path, e.body, e.content_type)


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
        cfg, engine, out = self.cfg, self.engine, self.report.outcomes
        levels = sorted(set(cfg.users))
        top = levels[-1]
        try:
            users = await engine.users(top, cfg.login)
        except (HttpError, OSError) as exc:
            reason = f"could not sign in the load test's users: {describe_error(exc)}"
            return self._all_failed(reason)
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

        baseline: dict[str, float] = {}
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
            baseline[e.name] = curve[0].summary.p95_ms
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
        for k, job in enumerate(cfg.background):
            out.append(await self._background(k, job, interactive, users[0], baseline))

        for vu in users:
            if vu.conn is not None:
                vu.conn.abort()
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
        job: Any,
        interactive: list[EndpointConfig],
        vu: Any,
        baseline: dict[str, float],
    ) -> Outcome[Any]:
        engine, cfg = self.engine, self.cfg
        try:
            bg_user = await engine.user(1000 + k, cfg.login)
        except (HttpError, OSError) as exc:
            return Outcome.error(F.BACKGROUND, job.name, describe_error(exc))
        job_spec = Spec(job.name, job.method.upper(), job.path)
        recs = engine.recorders([e.name for e in interactive])
        specs = [spec_of(e) for e in interactive]
        label = f"performance: endpoints while {job.name} runs"
        run = partial(
            engine.closed,
            [(vu, specs)],
            cfg.duration_s,
            recs,
            background=[(bg_user, job_spec)],
            background_bps=cfg.background_bytes_per_s,
        )
        result = await self.phase(label, run, recs)
        if bg_user.conn is not None:
            bg_user.conn.abort()
        runs, errors = result.background.get(job.name, (0, 0))
        rows = tuple(
            F.InterferenceRow(
                e.name, e.kind, cfg.target_ms(e), baseline.get(e.name, 0.0), recs[e.name].summary()
            )
            for e in interactive
        )
        return Outcome.ok(
            F.BACKGROUND,
            job.name,
            F.Interference(job.name, job.path, cfg.duration_s, runs, errors, rows),
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
) -> LoadReport:
    engine = LoadEngine(
        network,
        origin,
        timeout_s=cfg.request_timeout_s,
        max_connections=cfg.max_connections,
        max_requests=cfg.max_requests,
        bucket_s=max(0.1, cfg.duration_s / 40),
    )
    return await _Session(cfg, engine, say).run()
