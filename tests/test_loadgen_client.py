"""The wire client, sessions and the engine's bounds, against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
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

from launchready.checks import performance as P
from launchready.config.model import LoginConfig
from launchready.gatherers.network import Network
from launchready.gatherers.performance import facts as F
from launchready.gatherers.performance.client import (
    HttpError,
    Origin,
    connect,
    encode_request,
    exchange,
)
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


# --- HEAD, body limits, the open model's end, failed connects ---------------------------

PAGE = b"<p>" + b"x" * 5000 + b"</p>"


async def page(request: Request) -> Response:
    return Response(PAGE, media_type="text/html")


def bomb_app(body: bytes, encoding: str | None) -> Starlette:
    async def serve(request: Request) -> Response:
        headers = {"Content-Encoding": encoding} if encoding else {}
        return Response(body, media_type="application/json", headers=headers)

    return Starlette(routes=[Route("/list", serve), Route("/page", page)])


def test_head_requests_end_at_the_head_in_the_engine_and_in_exchange() -> None:
    # Starlette answers HEAD with the GET's Content-Length and no body: a client that waits
    # for those bytes times out on every HEAD.
    with WebServer(bomb_app(b"[]", None)) as server:
        origin = Origin.parse(f"http://127.0.0.1:{server.port}")

        async def main() -> tuple[int, int, list[tuple[str, int]]]:
            conn = await connect(Network(), origin, 5)
            reply = await exchange(conn, encode_request("HEAD", "/page", origin.host_header, []), 2)
            engine = LoadEngine(Network(), origin, timeout_s=2, max_connections=4, max_requests=50)
            users = await engine.users(1, None)
            recorders = engine.recorders(["head"])
            await engine.closed([(users[0], [Spec("head", "HEAD", "/page")])], 5.0, recorders)
            summary = recorders["head"].summary()
            return reply.status, summary.errors, list(summary.statuses)

        status, errors, statuses = run(main)
    assert status == 200
    assert errors == 0 and statuses == [("200", 50)]  # all 50 allowed, none timed out


def test_the_payload_probe_keeps_at_most_its_limit_even_from_a_gzip_bomb(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gzip

    from launchready.gatherers.performance import payload

    limit = 1_000_000
    monkeypatch.setattr(payload, "BODY_LIMIT", limit)
    decoded = b"[" + b"0," * 16_000_000 + b"0]"  # 32 MB of JSON, ~32 KB gzipped
    bomb = gzip.compress(decoded, 6)
    plain = b"[" + b'"row",' * 600_000 + b'"row"]'  # 3.6 MB, sent as it is

    def probe(body: bytes, encoding: str | None) -> F.Payload:
        with WebServer(bomb_app(body, encoding)) as server:
            origin = Origin.parse(f"http://127.0.0.1:{server.port}")

            async def main() -> F.Payload:
                vu = VirtualUser(0, origin)
                vu.conn = await connect(Network(), origin, 5)
                return await payload.probe(vu, Spec("list", "GET", "/list"), 10)

            result: F.Payload = run(main)
            return result

    zipped = probe(bomb, "gzip")
    assert zipped.wire_bytes == len(bomb) and zipped.content_encoding == "gzip"
    assert zipped.decoded_bytes == limit and zipped.truncated
    raw = probe(plain, None)
    assert raw.wire_bytes == len(plain)  # every byte counted …
    assert raw.decoded_bytes == limit and raw.truncated  # … but no more than the limit kept
    verdict = P.payload.evaluate(raw)[0]
    assert "size limit" in verdict.evidence


def test_requests_unanswered_at_the_cut_off_are_counted_from_their_intended_start() -> None:
    # One connection, answers after 1 s each, ten requests due within a second: most are
    # still waiting for the connection when the drain limit (timeout + 1 s) is reached.
    with LatencyServer([1000.0]) as server:
        origin = Origin.parse(server.url)

        async def main() -> tuple[int, Any]:
            engine = LoadEngine(Network(), origin, timeout_s=2, max_connections=1, max_requests=100)
            users = await engine.users(1, None)
            recorders = engine.recorders(["get"])
            result = await engine.open(users, [Spec("get", "GET", "/")], 10, 1.0, recorders)
            return result.cut_off, recorders["get"].summary()

        cut_off, summary = run(main)
    assert cut_off >= 3
    assert summary.count == 10  # every scheduled request is in the histogram
    assert dict(summary.statuses)["cut off"] == cut_off and summary.errors == cut_off
    # The last ones were due at ~0.9 s and cut off at ~4 s: their latency says so.
    assert summary.max_ms >= 2500


def test_a_failed_connect_hands_its_slot_to_the_next_waiting_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from launchready.gatherers.performance import engine as engine_module

    attempts: list[float] = []

    async def unreachable(*args: Any) -> Any:
        attempts.append(asyncio.get_running_loop().time())
        await asyncio.sleep(0.1)
        raise HttpError("cannot connect to 127.0.0.1:9: refused")

    monkeypatch.setattr(engine_module, "connect", unreachable)
    origin = Origin.parse("http://127.0.0.1:9")

    async def main() -> tuple[int, Any]:
        engine = LoadEngine(Network(), origin, timeout_s=5, max_connections=1, max_requests=100)
        recorders = engine.recorders(["get"])
        vu = VirtualUser(0, origin)
        result = await engine.open([vu], [Spec("get", "GET", "/")], 20, 0.5, recorders)
        return result.cut_off, recorders["get"].summary()

    cut_off, summary = run(main)
    # Ten requests, one connection slot: each failed connect frees it for the next.
    assert len(attempts) == 10 and cut_off == 0
    assert summary.count == 10 and dict(summary.statuses) == {"connect error": 10}


def test_a_stopped_run_sends_nothing_more() -> None:
    import threading
    import time

    with LatencyServer([5.0]) as server:
        origin = Origin.parse(server.url)
        stop = threading.Event()

        async def main() -> None:
            engine = LoadEngine(
                Network(), origin, timeout_s=5, max_connections=8, max_requests=100_000, stop=stop
            )
            users = await engine.users(2, None)
            recorders = engine.recorders(["get"])
            spec = [Spec("get", "GET", "/")]
            await engine.closed([(u, spec) for u in users], 60.0, recorders)
            await engine.open(users, spec, 100, 60.0, recorders)

        threading.Timer(0.5, stop.set).start()
        started = time.monotonic()
        with pytest.raises(asyncio.CancelledError):
            run_isolated(main, connections=8, stop=stop)
        elapsed = time.monotonic() - started
        served = server.served
        time.sleep(0.5)
        assert server.served == served
    assert elapsed < 5 and served > 0


@pytest.mark.parametrize("delays", [[0.0], [5.0]], ids=["instant", "delayed"])
def test_the_latency_server_closes_an_http_1_0_connection_after_its_answer(
    delays: list[float],
) -> None:
    import socket

    # Headers after the request line: "HTTP/1.0" ends the first line, not the whole head.
    request = b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n"
    with (
        LatencyServer(delays) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock,
    ):
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(4096):  # ends only when the server closes
            received += chunk
    assert received.startswith(b"HTTP/1.1 200 OK") and received.endswith(b"\r\n\r\nok")


def test_the_rate_bench_reports_a_child_exit_code_not_a_raw_wait_status(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    path = Path(__file__).parent.parent / "bench" / "loadgen_rate.py"
    spec = importlib.util.spec_from_file_location("loadgen_rate_bench", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, bench)  # its dataclass looks itself up there
    spec.loader.exec_module(bench)
    failing = [sys.executable, "-c", "import sys; sys.exit('gave up')"]
    with LatencyServer() as server:
        run_ = bench.measure("failing", failing, server.url, 1.0)
    assert run_.note == "exit 1: gave up"


# --- loadtest: one line and exit 2 for every bad input ------------------------------------


def one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("launchready: error:"), result.stderr
    for needle in needles:
        assert needle in lines[0], result.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--rate", "5", "--duration", "1"], "performance.base_url"),
        (["--url", "http://127.0.0.1:9//x", "--rate", "5", "--duration", "1"], "'//x'"),
        (["--url", "{live}", "--rate", "0.5", "--duration", "1"], "one request"),
    ],
    ids=["base-url-without-scheme", "url-path-with-two-slashes", "less-than-one-request"],
)
def test_loadtest_bad_inputs_are_usage_errors(tmp_path: Path, args: list[str], needle: str) -> None:
    config = tmp_path / "launchready.toml"
    config.write_text(
        '[performance]\nbase_url = "app.acme.test"\n'
        '[[performance.endpoints]]\nname = "home"\npath = "/"\n'
    )
    flags = args if "--url" in args else ["--config", str(config), *args]
    with LatencyServer([1.0]) as server:  # a live target: the refusal must come first
        one_line_error(loadtest(*(a.replace("{live}", server.url + "/") for a in flags)), needle)


def test_loadtest_output_is_written_or_refused_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with LatencyServer([1.0]) as server:
        run_for = ["--url", server.url + "/", "--rate", "10", "--duration", "0.5"]
        one_line_error(loadtest(*run_for, "--output", str(blocker / "x.txt")), "cannot write")
        good = tmp_path / "out" / "report.txt"
        written = loadtest(*run_for, "--output", str(good))
    assert written.returncode == 0, written.stderr
    assert "Load test" in good.read_text() and "p95" in good.read_text()
