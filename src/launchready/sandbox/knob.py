"""A tiny HTTP knob on loopback: GET reads an object's ``delay_s``, POST sets it.

The sandbox's SMTP receiver exposes one, so the performance stage can slow the mail server
while it measures whether a request waits for it.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

MAX_DELAY_S = 30.0


class HasDelay(Protocol):
    delay_s: float


class DelayKnob:
    def __init__(self, target: HasDelay) -> None:
        knob_target = target

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int, text: str) -> None:
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
                self._answer(200, f"{knob_target.delay_s}")

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    value = float(raw.decode().strip())
                except ValueError:
                    self._answer(400, "send the delay in seconds, e.g. 0.25")
                    return
                if not 0 <= value <= MAX_DELAY_S:
                    self._answer(400, f"the delay must be between 0 and {MAX_DELAY_S:g} s")
                    return
                knob_target.delay_s = value
                self._answer(200, f"{value}")

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sandbox-knob", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/delay"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
