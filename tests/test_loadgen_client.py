"""The wire client, sessions and the engine's bounds, against real servers on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from launchready.config.model import LoginConfig
from launchready.gatherers.network import Network
from launchready.gatherers.performance.client import Origin, connect, encode_request, exchange
from launchready.gatherers.performance.engine import LoadEngine, run_isolated
from launchready.gatherers.performance.session import Spec, VirtualUser, body_bytes, log_in
from launchready.sandbox.latency_server import LatencyServer
from launchready.sandbox.web_server import WebServer

SEEN: list[dict[str, Any]] = []


async def login(request: Request) -> Response:
    form = await request.form()
    if form.get("password") != "pw":
        return PlainTextResponse("no", status_code=401)
    resp = Response(status_code=303, headers={"Location": "https://elsewhere.example/"})
    resp.set_cookie("session", "s-123", httponly=True)
    return resp


async def me(request: Request) -> Response:
    SEEN.append({"cookie": request.cookies.get("session"), "body": await request.body()})
    if request.cookies.get("session") != "s-123":
        return JSONResponse({"error": "who?"}, status_code=401)
    return JSONResponse({"ok": True})


async def chunked(request: Request) -> Response:
    async def parts() -> Any:
        for i in range(50):
            yield f"line {i}\n" * 100

    return StreamingResponse(parts(), media_type="text/plain")


APP = Starlette(
    routes=[
        Route("/login", login, methods=["POST"]),
        Route("/me", me, methods=["GET", "POST"]),
        Route("/chunked", chunked),
    ]
)


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    with WebServer(APP) as server:
        yield f"http://127.0.0.1:{server.port}"


def run(coro_factory: Any) -> Any:
    return run_isolated(coro_factory, connections=10)


def test_login_cookie_is_kept_for_an_ip_host_and_redirects_are_not_followed(app_url: str) -> None:
    SEEN.clear()
    origin = Origin.parse(app_url)

    async def main() -> tuple[int, dict[str, str]]:
        vu = VirtualUser(0, origin)
        vu.conn = await connect(Network(), origin, 5)
        await log_in(vu, LoginConfig(path="/login", form={"email": "a", "password": "pw"}), 5)
        reply = await exchange(vu.conn, vu.request_bytes(Spec("me", "GET", "/me"), 1), 5)
        return reply.status, vu.cookies

    status, cookies = run(main)
    assert status == 200 and cookies == {"session": "s-123"}
    assert SEEN[-1]["cookie"] == "s-123"


def test_a_refused_login_is_an_error_with_the_status(app_url: str) -> None:
    origin = Origin.parse(app_url)

    async def main() -> None:
        vu = VirtualUser(0, origin)
        vu.conn = await connect(Network(), origin, 5)
        await log_in(vu, LoginConfig(path="/login", form={"password": "wrong"}), 5)

    with pytest.raises(Exception, match="answered 401"):
        run(main)


def test_chunked_bodies_are_counted_in_full(app_url: str) -> None:
    origin = Origin.parse(app_url)

    async def main() -> tuple[int, int]:
        conn = await connect(Network(), origin, 5)
        data = encode_request("GET", "/chunked", origin.host_header, [])
        first = await exchange(conn, data, 5, keep_body=True)
        second = await exchange(conn, data, 5)  # the same connection: framing ended right
        return first.body_bytes, second.body_bytes

    sizes = run(main)
    expected = sum(len(f"line {i}\n" * 100) for i in range(50))
    assert sizes == (expected, expected)


def test_write_bodies_are_unique_per_request(app_url: str) -> None:
    SEEN.clear()
    origin = Origin.parse(app_url)
    spec = Spec("w", "POST", "/me", '{"note": "{{n}}-{{vu}}-{{uuid}}"}')
    assert body_bytes(spec, 7, 2) != body_bytes(spec, 7, 2)  # the uuid differs

    async def main() -> None:
        engine = LoadEngine(Network(), origin, timeout_s=5, max_connections=4, max_requests=30)
        users = await engine.users(2, LoginConfig(path="/login", form={"password": "pw"}))
        recorders = engine.recorders(["w"])
        await engine.closed([(u, [spec]) for u in users], 5.0, recorders)
        assert recorders["w"].count <= 30  # bounded by max_requests, well before 5 s

    run(main)
    bodies = [json.loads(s["body"])["note"] for s in SEEN]
    assert len(bodies) == len(set(bodies)) >= 10
    assert all(s["cookie"] == "s-123" for s in SEEN)


def test_timeouts_are_errors_and_the_run_still_ends() -> None:
    with LatencyServer([3000.0]) as server:
        origin = Origin.parse(server.url)

        async def main() -> tuple[int, int]:
            engine = LoadEngine(
                Network(), origin, timeout_s=0.3, max_connections=4, max_requests=1000
            )
            users = await engine.users(1, None)
            recorders = engine.recorders(["slow"])
            await engine.closed([(users[0], [Spec("slow", "GET", "/")])], 0.5, recorders)
            s = recorders["slow"].summary()
            return s.count, s.errors

        count, errors = run(main)
    assert count >= 1 and errors == count


def loadtest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "launchready", "loadtest", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_loadtest_refuses_to_start_without_a_duration() -> None:
    result = loadtest("--url", "http://127.0.0.1:9/", "--rate", "10")
    assert result.returncode == 2 and "duration" in result.stderr


def test_loadtest_exits_1_when_a_target_is_missed_and_0_when_met(tmp_path: Path) -> None:
    config = tmp_path / "launchready.toml"
    with LatencyServer([30.0]) as server:
        config.write_text(
            f'[performance]\nbase_url = "{server.url}"\nread_p95_ms = 10\n'
            '[[performance.endpoints]]\nname = "home"\npath = "/"\n'
        )
        missed = loadtest(
            "--config", str(config), "--rate", "50", "--duration", "1", "--format", "json"
        )
        met = loadtest(
            "--url", server.url + "/", "--users", "2", "--duration", "1", "--format", "json"
        )
    assert missed.returncode == 1, missed.stderr
    data = json.loads(missed.stdout)
    assert data["model"] == "open" and not data["passed"]
    assert data["endpoints"][0]["missed"] and data["endpoints"][0]["count"] == 50
    assert met.returncode == 0, met.stderr
    assert json.loads(met.stdout)["endpoints"][0]["p50_ms"] >= 30


def test_export_locust_writes_an_equivalent_locustfile(tmp_path: Path) -> None:
    config = tmp_path / "launchready.toml"
    config.write_text(
        '[performance]\nbase_url = "http://127.0.0.1:8000"\nduration_s = 5\n'
        '[performance.login]\npath = "/login"\nform = { email = "a@b.test", password = "s3cret" }\n'
        '[[performance.endpoints]]\nname = "client list"\npath = "/api/clients"\n'
        '[[performance.endpoints]]\nname = "update"\nmethod = "POST"\npath = "/api/clients/1"\n'
        'kind = "write"\nbody = \'{"n": "{{n}}"}\'\n'
    )
    out = tmp_path / "locustfile.py"
    result = loadtest("--config", str(config), "--export-locust", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    compile(text, str(out), "exec")
    assert "FastHttpUser" in text and "'/api/clients'" in text and "def update" in text
    assert "s3cret" not in text and "LOCUST_PASSWORD" in text
    assert "allow_redirects=False" in text
