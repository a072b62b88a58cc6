"""The load engine: open model (constant arrival rate) and closed model (N users).

Open model, after wrk2: request *i* is due at ``t0 + i/rate`` whether or not earlier ones
came back, and its latency counts from that intended start, so a server stall shows in full
(no coordinated omission); service time runs from the actual send. How late the generator
itself sent (scheduler lag, or waiting for a free connection at the cap) is measured and
reported, never hidden. Closed model: N users, each sending its next request when the last
one came back (plus think time).

Every run is bounded: by duration, by ``max_requests``, by the connection cap, and each
request by ``timeout_s``; a run that cannot drain in time is cut off. The hot path is
callbacks, not tasks: a task per request costs more than the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
import threading
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hdrh.histogram import HdrHistogram

from launchready.config.model import LoginConfig
from launchready.gatherers.network import Network
from launchready.gatherers.performance.client import (
    HttpConnection,
    HttpError,
    Origin,
    Reply,
    connect,
)
from launchready.gatherers.performance.histogram import GeneratorLag, Recorder
from launchready.gatherers.performance.session import Spec, VirtualUser, log_in

T = TypeVar("T")
SWEEP_S = 0.05  # how often in-flight requests are checked against their timeout
STOP_POLL_S = 0.05  # how often an isolated run looks at its stop event
ERROR_BACKOFF_S = 0.05  # a closed-model user whose request failed waits before the next
# epoll waits in whole milliseconds (rounded up), select() in microseconds; the scheduler
# wakes this much early and sends then, measuring that request from its actual send.
EARLY_S = {"select": 0.0003, "epoll": 0.0011}
SELECT_LIMIT = 500  # select() handles descriptors below 1024; keep well under
CUT_OFF = "cut off"  # the status of a request still unanswered when its phase ended


@dataclass
class JobRuns:
    """One background job's runs in a window: only successful runs count as runs."""

    runs: int = 0
    errors: int = 0
    statuses: Counter[str] = field(default_factory=Counter)


@dataclass
class PhaseResult:
    recorders: dict[str, Recorder]
    lag: GeneratorLag
    background: dict[str, JobRuns] = field(default_factory=dict)
    cut_off: int = 0  # requests still unanswered when the drain limit was reached


class LagRecorder:
    def __init__(self) -> None:
        self.hist = HdrHistogram(1, 3600 * 1_000_000, 3)

    def record(self, seconds: float) -> None:
        self.hist.record_value(max(1, min(3600 * 1_000_000, int(seconds * 1_000_000))))

    def result(self) -> GeneratorLag:
        h = self.hist
        if not h.get_total_count():
            return GeneratorLag(0, 0.0, 0.0, 0.0)
        return GeneratorLag(
            count=int(h.get_total_count()),
            p50_ms=round(h.get_value_at_percentile(50) / 1000, 3),
            p99_ms=round(h.get_value_at_percentile(99) / 1000, 3),
            max_ms=round(h.get_max_value() / 1000, 3),
        )


def describe(exc: BaseException | None) -> str:
    text = str(exc) if exc else "error"
    if "within" in text or "timeout" in text:
        return "timeout"
    if text.startswith("cannot connect"):
        return "connect error"
    return "connection error"


def run_isolated(
    factory: Callable[[], Awaitable[T]],
    *,
    connections: int,
    stop: threading.Event | None = None,
) -> T:
    """Run load on an event loop of its own (call from a worker thread).

    Its own loop keeps other gatherers' coroutines out of the timing; with few enough
    sockets (``connections``: the most the run opens at once) it uses select(), whose
    timeouts are precise to the microsecond.

    Cancelling the coroutine that waits for this thread does not stop the thread: the
    caller sets ``stop`` instead, and the run's task is cancelled within STOP_POLL_S, so
    its phases abort their connections and no request is sent after that.
    """
    if connections <= SELECT_LIMIT:
        loop: asyncio.AbstractEventLoop = asyncio.SelectorEventLoop(selectors.SelectSelector())
    else:
        loop = asyncio.new_event_loop()

    async def main() -> T:
        return await factory()

    task = loop.create_task(main())
    if stop is not None:

        def watch() -> None:
            if stop.is_set():
                task.cancel()
            elif not task.done():
                loop.call_later(STOP_POLL_S, watch)

        loop.call_soon(watch)
    try:
        result = loop.run_until_complete(task)
        if stop is not None and stop.is_set():
            # Phases return early once they see the stop; whichever comes first, that or the
            # watch's cancel, a stopped run's partial result must never pass for a run.
            raise asyncio.CancelledError
        return result
    finally:
        _wind_down(loop)
        loop.close()


def _wind_down(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is left (connects, reconnects) and let aborted transports close their
    sockets: both happen in callbacks that a closed loop would never run."""
    leftovers = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in leftovers:
        t.cancel()

    async def settle() -> None:
        await asyncio.gather(*leftovers, return_exceptions=True)
        await asyncio.sleep(0)

    loop.run_until_complete(settle())


class LoadEngine:
    def __init__(
        self,
        network: Network,
        origin: Origin,
        *,
        timeout_s: float,
        max_connections: int,
        max_requests: int,
        bucket_s: float = 0.25,
        origin_time: float | None = None,
        on_tick: Callable[[], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.network = network
        self.origin = origin
        self.timeout_s = timeout_s
        self.max_connections = max_connections
        self.max_requests = max_requests
        self.bucket_s = bucket_s
        self.sent = 0
        self.on_tick = on_tick
        self._origin_time = origin_time
        self._inflight: dict[HttpConnection, float] = {}
        # Set from another thread (Ctrl-C in the audit): every phase ends at once and no
        # callback sends another request.
        self.stop = stop or threading.Event()

    @property
    def stopped(self) -> bool:
        return self.stop.is_set()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    @property
    def early_s(self) -> float:
        selector = getattr(self.loop, "_selector", None)
        return EARLY_S["select" if isinstance(selector, selectors.SelectSelector) else "epoll"]

    @property
    def origin_time(self) -> float:
        if self._origin_time is None:
            self._origin_time = self.loop.time()
        return self._origin_time

    def recorders(self, names: Sequence[str]) -> dict[str, Recorder]:
        return {n: Recorder(self.origin_time, self.bucket_s) for n in names}

    # --- users -------------------------------------------------------------------------
    async def user(self, number: int, login: LoginConfig | None) -> VirtualUser:
        vu = VirtualUser(number, self.origin)
        vu.conn = await connect(self.network, self.origin, self.timeout_s)
        if login is not None:
            await log_in(vu, login, self.timeout_s)
        return vu

    async def users(
        self, count: int, login: LoginConfig | None, first: int = 0
    ) -> list[VirtualUser]:
        made = await asyncio.gather(
            *(self.user(first + i, login) for i in range(count)), return_exceptions=True
        )
        failed = [m for m in made if isinstance(m, BaseException)]
        if failed:
            for m in made:  # one refused sign-in ends the run: close the others' sockets
                if isinstance(m, VirtualUser) and m.conn is not None:
                    m.conn.abort()
            raise failed[0]
        return [m for m in made if isinstance(m, VirtualUser)]

    # --- shared plumbing ---------------------------------------------------------------
    def _send(
        self,
        conn: HttpConnection,
        vu: VirtualUser,
        spec: Spec,
        on_reply: Callable[[Reply | None, BaseException | None], None],
    ) -> None:
        n = self.sent
        self.sent += 1
        data = vu.request_bytes(spec, n)
        self._inflight[conn] = self.loop.time() + self.timeout_s
        # A HEAD answer announces the GET's Content-Length but carries no body.
        conn.request(data, on_reply, head=spec.method == "HEAD")

    def _sweep(self, stop: asyncio.Event, ticks: list[int]) -> None:
        now = self.loop.time()
        for conn, deadline in list(self._inflight.items()):
            if now > deadline or self.stopped:
                self._inflight.pop(conn, None)
                conn.abort(f"no answer within {self.timeout_s:g} s" if now > deadline else None)
        ticks[0] += 1
        if self.on_tick is not None and ticks[0] % int(1 / SWEEP_S) == 0:
            self.on_tick()
        if not stop.is_set():
            self.loop.call_later(SWEEP_S, self._sweep, stop, ticks)

    async def _reconnect(self, vu: VirtualUser) -> BaseException | None:
        try:
            vu.conn = await connect(self.network, self.origin, self.timeout_s)
        except (HttpError, OSError) as exc:
            return exc
        return None

    def _spawn(self, tasks: set[asyncio.Task[Any]], coro: Coroutine[Any, Any, None]) -> None:
        """A task the phase keeps (the loop holds only weak references) and cancels at its end."""
        task = self.loop.create_task(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def _background(
        self,
        jobs: Sequence[tuple[VirtualUser, Spec]],
        bps: float | None,
        tasks: set[asyncio.Task[Any]],
    ) -> tuple[dict[str, JobRuns], Callable[[], None]]:
        """Loop each job back to back on its own connection, at ``bps`` download speed,
        unrecorded except its runs and answers; returns the counts and a stop function."""
        loop = self.loop
        ended = [False]
        counts = {spec.name: JobRuns() for _, spec in jobs}

        def run(vu: VirtualUser, spec: Spec) -> None:
            job = counts[spec.name]

            def issue() -> None:
                if ended[0] or self.stopped or self.sent >= self.max_requests:
                    return
                conn = vu.conn
                if conn is None or conn.closed:
                    self._spawn(tasks, reconnect_then())
                    return
                conn.throttle_bps = bps

                def done(reply: Reply | None, exc: BaseException | None) -> None:
                    self._inflight.pop(conn, None)
                    if ended[0]:
                        return  # cut off at the end of the window: not a failure
                    if reply is not None and reply.status < 400:
                        job.runs += 1
                        job.statuses[str(reply.status)] += 1
                        vu.absorb(reply)
                        loop.call_soon(issue)
                        return
                    job.errors += 1
                    job.statuses[str(reply.status) if reply is not None else describe(exc)] += 1
                    loop.call_later(ERROR_BACKOFF_S, issue)

                self._send(conn, vu, spec, done)
                # A background job may legitimately take longer than one request's limit.
                self._inflight.pop(conn, None)

            async def reconnect_then() -> None:
                exc = await self._reconnect(vu)
                if exc is None:
                    issue()
                elif not ended[0]:
                    job.errors += 1
                    job.statuses[describe(exc)] += 1
                    loop.call_later(ERROR_BACKOFF_S, issue)

            issue()

        for vu, spec in jobs:
            run(vu, spec)

        def stop() -> None:
            ended[0] = True
            for vu, _ in jobs:
                if vu.conn is not None and vu.conn.busy:
                    vu.conn.abort()

        return counts, stop

    # --- closed model ------------------------------------------------------------------
    async def closed(
        self,
        plan: Sequence[tuple[VirtualUser, Sequence[Spec]]],
        duration_s: float,
        recorders: dict[str, Recorder],
        *,
        think_s: float = 0.0,
        background: Sequence[tuple[VirtualUser, Spec]] = (),
        min_requests: int = 0,
        background_bps: float | None = None,
    ) -> PhaseResult:
        """Each user cycles through its specs for ``duration_s`` — longer, up to three
        times, until ``min_requests`` completed (a p95 needs samples). Background users loop
        their job until the foreground has drained, unrecorded except run counts."""
        loop = self.loop
        lag = LagRecorder()
        started = loop.time()
        soft_end = started + duration_s
        hard_end = started + (3 * duration_s if min_requests else duration_s)
        completed = [0]
        ended = [False]
        tasks: set[asyncio.Task[Any]] = set()

        def over() -> bool:
            now = loop.time()
            if ended[0] or self.stopped:
                return True
            if now >= hard_end or self.sent >= self.max_requests:
                return True
            return now >= soft_end and completed[0] >= min_requests

        active = [len(plan)]
        all_done = loop.create_future()
        stop_sweep = asyncio.Event()

        def finished() -> None:
            active[0] -= 1
            if active[0] <= 0 and not all_done.done():
                all_done.set_result(None)

        def run_user(vu: VirtualUser, specs: Sequence[Spec], offset: int) -> None:
            turn = [offset]

            def issue(intended: float) -> None:
                if over():
                    finished()
                    return
                conn = vu.conn
                if conn is None or conn.closed:
                    self._spawn(tasks, reconnect_then(intended))
                    return
                spec = specs[turn[0] % len(specs)]
                turn[0] += 1
                sent = loop.time()
                lag.record(max(0.0, sent - intended))
                start = min(intended, sent)
                rec = recorders[spec.name]

                def done(reply: Reply | None, exc: BaseException | None) -> None:
                    now = loop.time()
                    self._inflight.pop(conn, None)
                    if ended[0]:
                        return  # aborted when the phase ended; the phase is already summed up
                    completed[0] += 1
                    if reply is not None:
                        vu.absorb(reply)
                        rec.record(start, now, str(reply.status), reply.status >= 400)
                        pause = think_s
                    else:
                        rec.record(start, now, describe(exc), True)
                        pause = max(think_s, ERROR_BACKOFF_S)
                    # call_soon even without think time: a failing connection must not
                    # recurse through issue() on the same stack.
                    if pause:
                        loop.call_later(pause, issue, now + pause)
                    else:
                        loop.call_soon(issue, now)

                self._send(conn, vu, spec, done)

            async def reconnect_then(intended: float) -> None:
                exc = await self._reconnect(vu)
                if ended[0]:
                    return
                if exc is not None:
                    spec = specs[turn[0] % len(specs)]
                    recorders[spec.name].record(intended, loop.time(), "connect error", True)
                    turn[0] += 1
                    loop.call_later(ERROR_BACKOFF_S, issue, loop.time() + ERROR_BACKOFF_S)
                    return
                issue(intended)

            issue(loop.time())

        ticks = [0]
        loop.call_soon(self._sweep, stop_sweep, ticks)
        bg_counts, stop_background = self._background(background, background_bps, tasks)
        for i, (vu, specs) in enumerate(plan):
            run_user(vu, specs, i)
        cut_off = 0
        try:
            limit = hard_end - loop.time() + self.timeout_s + 1
            await asyncio.wait_for(asyncio.shield(all_done), limit)
        except TimeoutError:
            cut_off = len(self._inflight)
        finally:
            ended[0] = True
            stop_background()
            stop_sweep.set()
            for task in list(tasks):
                task.cancel()
            for conn in list(self._inflight):
                conn.abort()
            self._inflight.clear()
        return PhaseResult(recorders, lag.result(), bg_counts, cut_off)

    # --- open model --------------------------------------------------------------------
    async def open(
        self,
        users: Sequence[VirtualUser],
        specs: Sequence[Spec],
        rate: float,
        duration_s: float,
        recorders: dict[str, Recorder],
        *,
        connections: int | None = None,
        background: Sequence[tuple[VirtualUser, Spec]] = (),
        background_bps: float | None = None,
    ) -> PhaseResult:
        """``rate`` requests per second for ``duration_s``, cycling through ``specs`` and
        through the users' identities; connections are pooled up to ``connections`` (at
        most the engine's cap). Background jobs loop meanwhile, as in ``closed``.

        Every scheduled request ends in the histogram: answered, failed, or — still
        waiting for a connection or an answer when the drain limit is reached — as a
        "cut off" error whose latency runs from its intended start to the cut-off.
        Leaving those out would hide exactly the slowest requests."""
        loop = self.loop
        lag = LagRecorder()
        cap = min(self.max_connections, connections or self.max_connections)
        total = max(0, min(int(rate * duration_s), self.max_requests - self.sent))
        interval = 1.0 / rate
        idle: list[HttpConnection] = [vu.conn for vu in users if vu.conn and not vu.conn.closed]
        opened = [len(idle)]
        waiting: deque[int] = deque()  # dispatched at the cap: latency keeps counting
        unanswered: dict[int, float] = {}  # request index → intended start, until recorded
        pending = [total]
        all_done = loop.create_future()
        stop_sweep = asyncio.Event()
        ended = [False]
        tasks: set[asyncio.Task[Any]] = set()
        if total <= 0:
            all_done.set_result(None)

        def record(i: int, start: float, status: str, error: bool) -> None:
            unanswered.pop(i, None)
            recorders[specs[i % len(specs)].name].record(start, loop.time(), status, error)
            pending[0] -= 1
            if pending[0] <= 0 and not all_done.done():
                all_done.set_result(None)

        def send(conn: HttpConnection, i: int) -> None:
            if ended[0]:
                conn.abort()  # a connection that came up after the cut-off
                return
            intended = unanswered[i]
            vu = users[i % len(users)]
            spec = specs[i % len(specs)]
            sent = loop.time()
            lag.record(max(0.0, sent - intended))
            start = min(intended, sent)

            def done(reply: Reply | None, exc: BaseException | None) -> None:
                self._inflight.pop(conn, None)
                if ended[0]:
                    return  # already recorded as cut off
                if reply is not None:
                    vu.absorb(reply)
                    record(i, start, str(reply.status), reply.status >= 400)
                else:
                    record(i, start, describe(exc), True)
                if not conn.closed:
                    if waiting:
                        loop.call_soon(send, conn, waiting.popleft())
                    else:
                        idle.append(conn)
                else:
                    opened[0] -= 1
                    if waiting:
                        fresh(waiting.popleft())

            self._send(conn, vu, spec, done)

        def fresh(i: int) -> None:
            opened[0] += 1

            async def go() -> None:
                try:
                    conn = await connect(self.network, self.origin, self.timeout_s)
                except (HttpError, OSError) as exc:
                    opened[0] -= 1
                    if ended[0]:
                        return
                    record(i, unanswered[i], describe(exc), True)
                    # The slot is free again: without this, the requests queued behind a
                    # failed connect would wait until the cut-off.
                    if waiting:
                        fresh(waiting.popleft())
                    return
                send(conn, i)

            self._spawn(tasks, go())

        def dispatch(i: int, intended: float) -> None:
            unanswered[i] = intended
            while idle:
                conn = idle.pop()
                if not conn.closed:
                    send(conn, i)
                    return
                opened[0] -= 1
            if opened[0] < cap:
                fresh(i)
            else:
                waiting.append(i)

        loop.call_soon(self._sweep, stop_sweep, [0])
        bg_counts, stop_background = self._background(background, background_bps, tasks)
        early = self.early_s
        t0 = loop.time() + 0.001
        cut_off = 0
        try:
            i = 0
            while i < total and not self.stopped:
                due = t0 + i * interval
                ahead = due - loop.time()
                if ahead > early:
                    await asyncio.sleep(min(ahead - early, STOP_POLL_S))
                    continue
                dispatch(i, due)
                i += 1
            pending[0] -= total - i  # never scheduled: the run was stopped
            if not self.stopped and pending[0] > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(all_done), self.timeout_s + 1)
        finally:
            ended[0] = True
            stop_background()
            stop_sweep.set()
            now = loop.time()
            cut_off = len(unanswered)
            for i, intended in sorted(unanswered.items()):
                recorders[specs[i % len(specs)].name].record(intended, now, CUT_OFF, True)
            unanswered.clear()
            for task in list(tasks):
                task.cancel()
            for conn in list(self._inflight):
                conn.abort()
            self._inflight.clear()
            for conn in idle:
                conn.abort()
        return PhaseResult(recorders, lag.result(), bg_counts, cut_off)
