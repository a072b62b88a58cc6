"""An HTTP server whose latency is known: the ground truth for the load engine's tests.

Request *k* (in arrival order) is answered ``delays_ms[k % len(delays_ms)]`` after it
arrived, so the true latency distribution is exactly that list. An optional stall freezes
the server for ``stall_s`` seconds starting ``stall_after_s`` after the first request:
everything arriving meanwhile is answered only when the stall ends (plus its delay) — the
case where a closed-loop generator would quietly stop measuring (coordinated omission).

With delays, the server's loop uses select(), whose timeouts are precise to the
microsecond (epoll rounds up to whole milliseconds, a 10% error at 10 ms). Without, it
answers at once, for throughput benchmarks: ``python -m launchready.sandbox.latency_server``
serves on a loopback port, prints it, and answers ``GET /__count`` with requests served.
"""

from __future__ import annotations

import argparse
import asyncio
import selectors
import socket
import threading
from collections.abc import Sequence

_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"


class _Conn(asyncio.Protocol):
    def __init__(self, server: LatencyServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.last_at = 0.0  # answers leave in request order

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buf[:end].lower()
            size = 0
            at = head.find(b"\ncontent-length:")
            if at >= 0:
                stop = head.find(b"\r\n", at + 1)
                size = int(head[at + 16 : stop if stop >= 0 else None])
            if len(buf) < end + 4 + size:
                break
            first_line = head.split(b"\r\n", 1)[0]
            close = b"\nconnection: close" in head or first_line.endswith(b"http/1.0")
            buf = buf[end + 4 + size :]
            self.server._arrived(self, first_line, close)
        self.buf = buf

    def answer(self, body: bytes, close: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(_RESPONSE % (len(body), body))
        if close:
            self.transport.close()


class LatencyServer:
    def __init__(
        self,
        delays_ms: Sequence[float] = (0.0,),
        *,
        stall_after_s: float | None = None,
        stall_s: float = 0.0,
        body: bytes = b"ok",
        port: int = 0,
    ) -> None:
        self.delays_s = [d / 1000 for d in delays_ms]
        self.stall_after_s = stall_after_s
        self.stall_s = stall_s
        self.body = body
        self.served = 0
        self._instant = not any(self.delays_s) and stall_after_s is None
        self._first: float | None = None
        # IPPROTO_TCP so asyncio turns Nagle off on accepted connections.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self.port = int(self._sock.getsockname()[1])
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _arrived(self, conn: _Conn, first_line: bytes, close: bool) -> None:
        if first_line.startswith(b"get /__count"):
            conn.answer(str(self.served).encode(), close)
            return
        k = self.served
        self.served += 1
        if self._instant:
            conn.answer(self.body, close)
            return
        assert self._loop is not None
        now = self._loop.time()
        if self._first is None:
            self._first = now
        at = now + self.delays_s[k % len(self.delays_s)]
        if self.stall_after_s is not None:
            begins = self._first + self.stall_after_s
            ends = begins + self.stall_s
            if begins <= now < ends:
                at = ends + (at - now)
        at = max(at, conn.last_at)
        conn.last_at = at
        self._loop.call_at(at, conn.answer, self.body, close)

    def _run(self) -> None:
        loop: asyncio.AbstractEventLoop
        if self._instant:
            loop = asyncio.new_event_loop()
        else:
            loop = asyncio.SelectorEventLoop(selectors.SelectSelector())
        self._loop = loop
        self._sock.listen(1024)
        server = loop.run_until_complete(
            loop.create_server(lambda: _Conn(self), sock=self._sock, backlog=1024)
        )
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            loop.run_until_complete(server.wait_closed())
            loop.close()

    def start(self) -> LatencyServer:
        self._thread = threading.Thread(target=self._run, name="latency-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("latency server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
        self._sock.close()

    def __enter__(self) -> LatencyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="loopback HTTP server with a known latency")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delays-ms", default="0", help="comma-separated, cycled in order")
    parser.add_argument("--stall-after", type=float, default=None, metavar="S")
    parser.add_argument("--stall", type=float, default=0.0, metavar="S")
    args = parser.parse_args()
    delays = [float(d) for d in args.delays_ms.split(",")]
    server = LatencyServer(
        delays, stall_after_s=args.stall_after, stall_s=args.stall, port=args.port
    ).start()
    print(server.port, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
