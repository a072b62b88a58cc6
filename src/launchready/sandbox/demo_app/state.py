"""Per-app state shared by the handlers: settings, the update lock and its counters, mail."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection

from launchready.sandbox.demo_app.mail import Outbox, SmtpTarget

DASHBOARD_TTL_S = 60.0


@dataclass
class UpdateStats:
    """How client updates behaved: lets tests and the demo show requests queueing.

    `contended` counts updates that found the global lock held and had to wait for it;
    `peak_in_flight` is the most updates ever doing their work at the same moment.
    """

    updates: int = 0
    waiting: int = 0
    contended: int = 0
    max_wait_s: float = 0.0
    in_flight: int = 0
    peak_in_flight: int = 0
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextmanager
    def holding(self, lock: threading.Lock) -> Iterator[None]:
        """Acquire `lock`, recording whether and how long this update had to wait."""
        started = time.monotonic()
        contended = not lock.acquire(blocking=False)
        if contended:
            with self._guard:
                self.waiting += 1
            lock.acquire()
        waited = time.monotonic() - started
        with self._guard:
            if contended:
                self.waiting -= 1
                self.contended += 1
            self.max_wait_s = max(self.max_wait_s, waited)
        try:
            yield
        finally:
            lock.release()

    @contextmanager
    def working(self) -> Iterator[None]:
        with self._guard:
            self.updates += 1
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._guard:
                self.in_flight -= 1


@dataclass
class DashboardCache:
    """The fixed app keeps dashboard aggregates for a minute instead of rescanning each view."""

    value: dict[str, Any] | None = None
    computed_at: float = 0.0

    def fresh(self) -> dict[str, Any] | None:
        if self.value is not None and time.monotonic() - self.computed_at < DASHBOARD_TTL_S:
            return self.value
        return None

    def store(self, value: dict[str, Any]) -> None:
        self.value, self.computed_at = value, time.monotonic()


@dataclass
class DemoState:
    db_path: str
    smtp: SmtpTarget
    fixed: bool
    update_lock: threading.Lock = field(default_factory=threading.Lock)
    update_stats: UpdateStats = field(default_factory=UpdateStats)
    dashboard_cache: DashboardCache = field(default_factory=DashboardCache)
    outbox: Outbox | None = None

    def close(self) -> None:
        if self.outbox is not None:
            self.outbox.close()


def state_of(conn: HTTPConnection) -> DemoState:
    state = conn.app.state.demo
    assert isinstance(state, DemoState)
    return state
