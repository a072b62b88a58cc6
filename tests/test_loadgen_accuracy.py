"""The load engine against a server whose latency distribution is known exactly.

Accuracy is behaviour: an open-model run must report p50/p95/p99 within 5% (or 2 ms) of the
truth, also at 10 ms where the event loop's timer grain matters, and within 10% across a
2-second stall (no coordinated omission). Runs are short: a few seconds each, loopback only.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import pytest

from launchready.gatherers.network import Network
from launchready.gatherers.performance.client import Origin
from launchready.gatherers.performance.engine import LoadEngine, PhaseResult, run_isolated
from launchready.gatherers.performance.session import Spec

RATE = 200.0


def sample(seed: int, draw: Callable[[random.Random], float], n: int) -> list[float]:
    rng = random.Random(seed)
    return [draw(rng) for _ in range(n)]


def quantile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def _favoured() -> None:
    """Ask the scheduler to favour the measurement (root may, others keep their priority):
    on a machine shared with other work, a few ms of run-queue wait decide a p99."""
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, -10)


@pytest.fixture(autouse=True)
def favoured() -> Iterator[None]:
    before = os.getpriority(os.PRIO_PROCESS, 0)
    _favoured()
    yield
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, before)


@contextmanager
def latency_server(
    delays: Sequence[float], stall_after_s: float | None = None, stall_s: float = 0.0
) -> Iterator[str]:
    """The server in a process of its own: sharing our GIL would add its waits to ours."""
    cmd = [sys.executable, "-m", "launchready.sandbox.latency_server"]
    cmd += ["--delays-ms", ",".join(f"{d:.3f}" for d in delays)]
    if stall_after_s is not None:
        cmd += ["--stall-after", str(stall_after_s), "--stall", str(stall_s)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, preexec_fn=_favoured)
    try:
        assert proc.stdout is not None
        yield f"http://127.0.0.1:{int(proc.stdout.readline())}"
    finally:
        proc.terminate()
        proc.wait(10)


def open_run(url: str, rate: float, duration_s: float) -> PhaseResult:
    async def main() -> PhaseResult:
        engine = LoadEngine(
            Network(),
            Origin.parse(url),
            timeout_s=10,
            max_connections=600,
            max_requests=100_000,
        )
        users = await engine.users(1, None)
        recorders = engine.recorders(["get"])
        return await engine.open(users, [Spec("get", "GET", "/")], rate, duration_s, recorders)

    return run_isolated(main, connections=600)


ATTEMPTS = 3  # a shared machine can stall any process for a few ms; a systematic error
# (coordinated omission, timer grain, a wrong start time) fails every attempt.


def misses(result: PhaseResult, truth: list[float], rel: float, floor_ms: float) -> list[str]:
    summary = result.recorders["get"].summary()
    out = []
    if summary.count != len(truth) or summary.errors:
        out.append(f"{summary.count} answers, {summary.errors} errors, {len(truth)} sent")
    for p in (50, 95, 99):
        want, got = quantile(truth, p), getattr(summary, f"p{p}_ms")
        if abs(got - want) > max(rel * want, floor_ms):
            out.append(f"p{p} {got:.2f} ms, truth {want:.2f} ms")
    return out


def assert_accurate(run: Callable[[], PhaseResult], truth: list[float], rel: float) -> PhaseResult:
    attempts = []
    for _ in range(ATTEMPTS):
        result = run()
        problems = misses(result, truth, rel, 2.0)
        if not problems:
            return result
        attempts.append(f"{problems} ({result.lag.brief()})")
    raise AssertionError("; ".join(attempts))


@pytest.mark.parametrize(
    "delays",
    [
        pytest.param(sample(7, lambda r: r.lognormvariate(3.0, 0.5), 200), id="lognormal-20ms"),
        pytest.param(sample(5, lambda r: r.uniform(8, 12), 200), id="uniform-10ms"),
    ],
)
def test_open_model_percentiles_match_the_server(delays: list[float]) -> None:
    duration = 3.0
    truth = [delays[i % len(delays)] for i in range(int(RATE * duration))]
    with latency_server(delays) as url:
        result = assert_accurate(lambda: open_run(url, RATE, duration), truth, rel=0.05)
    # The generator's own lateness is measured, and small on loopback.
    assert result.lag.count == len(truth)


def test_a_two_second_stall_is_measured_in_full() -> None:
    delays = sample(3, lambda r: r.uniform(5, 30), 100)
    duration, stall_at, stall = 5.0, 1.0, 2.0  # 40% of requests meet the stall
    truth = []
    for i in range(int(RATE * duration)):
        t = i / RATE
        wait = (stall_at + stall - t) * 1000 if stall_at <= t < stall_at + stall else 0.0
        truth.append(delays[i % len(delays)] + wait)

    def run() -> PhaseResult:
        # A fresh server each time: the stall is timed from its first request.
        with latency_server(delays, stall_at, stall) as url:
            return open_run(url, RATE, duration)

    result = assert_accurate(run, truth, rel=0.10)
    # A closed-loop generator would have sent ~1 request during the stall and reported a
    # p99 near 30 ms; counted from intended starts, the stall is almost two seconds.
    assert result.recorders["get"].summary().p99_ms > 1800
