"""The performance stage of `audit` against small apps on 127.0.0.1: what each phase
measures, what it refuses, and that Ctrl-C really stops the load."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import interrupt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from launchready.config.errors import ConfigError
from launchready.config.loader import parse_config
from launchready.core.findings import Finding, Report, Stage, Status
from launchready.engine import run_audit
from launchready.gatherers.performance import phases
from launchready.gatherers.performance.engine import SELECT_LIMIT
from launchready.sandbox.latency_server import LatencyServer
from launchready.sandbox.web_server import WebServer


class Shop:
    """An app whose job blocks the items endpoint once, for STALL_S, on its first run."""

    STALL_S = 0.8

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.job_runs = 0

    def app(self) -> Starlette:
        def items_now() -> None:
            with self.lock:  # what a database write lock does to the requests behind it
                pass

        async def items(request: Request) -> Response:
            await asyncio.to_thread(items_now)
            return JSONResponse({"items": [1, 2, 3]})

        def hold() -> None:
            with self.lock:
                time.sleep(self.STALL_S if self.job_runs == 1 else 0.05)

        async def job(request: Request) -> Response:
            self.job_runs += 1
            await asyncio.to_thread(hold)
            return PlainTextResponse("id,name\n1,a\n")

        async def missing(request: Request) -> Response:
            return PlainTextResponse("no such export", status_code=404)

        return Starlette(
            routes=[
                Route("/items", items),
                Route("/export.csv", job),
                Route("/old-export.csv", missing),
            ]
        )


@pytest.fixture
def shop() -> Iterator[tuple[Shop, str]]:
    state = Shop()
    with WebServer(state.app()) as server:
        yield state, f"http://127.0.0.1:{server.port}"


def config_text(
    base: str, *, users: str = "[1, 2]", job: str | None, duration: float, extra: str = ""
) -> str:
    text = (
        f'[performance]\nbase_url = "{base}"\nusers = {users}\nduration_s = {duration}\n'
        f"{extra}"
        '[[performance.endpoints]]\nname = "items"\npath = "/items"\n'
    )
    if job:
        text += f'[[performance.background]]\nname = "export"\npath = "{job}"\n'
    return text


def audit(text: str, tmp: Path) -> Report:
    path = tmp / "launchready.toml"
    path.write_text(text)
    from launchready.config import load_config

    return asyncio.run(run_audit(load_config(str(path)), [Stage.PERFORMANCE]))


def findings(report: Report, check_id: str) -> list[Finding]:
    return [f for f in report.findings if f.id == check_id]


def test_a_short_stall_from_the_job_is_counted_for_every_request_due_during_it(
    shop: tuple[Shop, str], tmp_path: Path
) -> None:
    state, base = shop
    report = audit(config_text(base, job="/export.csv", duration=2), tmp_path)
    [items] = findings(report, "performance.background-jobs")
    assert state.job_runs >= 2
    # One person clicking would have sent one request into the 0.8 s stall; at a constant
    # arrival rate every request due in it waits, so p95 shows the stall.
    assert items.status is Status.FAIL, items.evidence
    assert "export" in items.evidence and "requests/s" in items.evidence


def test_a_job_that_never_succeeds_is_an_error_and_1_and_2_users_are_always_measured(
    shop: tuple[Shop, str], tmp_path: Path
) -> None:
    _, base = shop
    report = audit(config_text(base, users="[4]", job="/old-export.csv", duration=1), tmp_path)
    [bg] = findings(report, "performance.background-jobs")
    assert bg.status is Status.ERROR and "404" in bg.evidence, bg.evidence
    [two] = findings(report, "performance.two-users")
    assert two.status in (Status.PASS, Status.FAIL), two.evidence
    assert "1 → " in two.evidence and "2 → " in two.evidence and "4 → " in two.evidence


def test_without_background_jobs_the_check_says_so(shop: tuple[Shop, str], tmp_path: Path) -> None:
    _, base = shop
    report = audit(config_text(base, job=None, duration=0.5), tmp_path)
    [bg] = findings(report, "performance.background-jobs")
    assert bg.status is Status.SKIPPED
    assert bg.evidence == "no [[performance.background]] configured"


def test_the_audit_picks_select_from_the_sockets_it_opens_not_the_cap(
    shop: tuple[Shop, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import launchready.gatherers.performance as gatherer

    asked: list[int] = []
    real = gatherer.run_isolated

    def spy(factory: Any, *, connections: int, **kw: Any) -> Any:
        asked.append(connections)
        return real(factory, connections=connections, **kw)

    monkeypatch.setattr(gatherer, "run_isolated", spy)
    _, base = shop
    audit(config_text(base, job=None, duration=0.5, extra="max_connections = 5000\n"), tmp_path)
    # Two users and the mail probe need a handful of sockets: select(), precise timers.
    assert asked and asked[0] <= SELECT_LIMIT


def test_connection_needs_beyond_max_connections_are_a_config_error() -> None:
    text = (
        '[performance]\nbase_url = "http://127.0.0.1:9"\nusers = [1, 300]\n'
        '[[performance.background]]\nname = "export"\npath = "/e.csv"\n'
    )
    with pytest.raises(ConfigError) as err:
        parse_config(text, path="launchready.toml")
    message = str(err.value)
    assert "performance.max_connections" in message and "max(users) 300" in message
    assert "303" in message and "256" in message
    fits = parse_config(text.replace("300]", "300]\nmax_connections = 303"), path="x.toml")
    assert phases.socket_budget(fits.performance) <= 303


def test_bad_urls_in_performance_are_config_errors_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"launchready.toml:2: performance.base_url"):
        parse_config('[performance]\nbase_url = "app.acme.test"\n', path="launchready.toml")
    email = '[performance.email]\npath = "/reset"\nsmtp_delay_url = "localhost:8025"\n'
    with pytest.raises(ConfigError, match=r"performance.email: smtp_delay_url"):
        parse_config(email, path="launchready.toml")


def test_audit_with_a_bad_base_url_exits_2_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "launchready.toml"
    config.write_text(config_text("app.acme.test", job=None, duration=1))
    result = subprocess.run(
        [sys.executable, "-m", "launchready", "audit", "--config", str(config)]
        + ["--only", "performance", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "performance.base_url" in result.stderr


def test_ctrl_c_stops_the_load_at_once(tmp_path: Path) -> None:
    with LatencyServer([2.0]) as server:
        config = tmp_path / "launchready.toml"
        # 60 s of load if nothing stops it.
        config.write_text(config_text(server.url, job=None, duration=60))
        run = interrupt(
            [sys.executable, "-m", "launchready", "audit", "--config", str(config)]
            + ["--only", "performance", "--format", "json"],
            lambda: server.served >= 100,
            within_s=60,
            env={**os.environ, "NO_COLOR": "1"},
            exit_within_s=30,
        )
        assert server.served >= 100, "the load never started"
        served = server.served
        time.sleep(1.0)
        assert server.served == served  # nothing more arrived after the exit
    err = run.stderr
    assert run.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert run.took_s < 10
