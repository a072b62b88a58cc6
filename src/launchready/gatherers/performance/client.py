"""A small HTTP/1.1 client on asyncio protocols: the load engine's wire.

Why not aiohttp here: per request it builds URL, header and response objects, a timer and a
task, which caps one core at a few thousand requests per second (bench/loadgen_rate.py
measures both). Load needs only: send prepared bytes, parse the status line and framing,
count the body, keep Set-Cookie. Connections still go through ``Network`` — the same
--resolve/--connect-to/--nameserver answers and the same TLS context as every gatherer.

Redirects are never followed: a 3xx is recorded as the answer, so load cannot wander off
the configured host.
"""

from __future__ import annotations

import asyncio
import ssl
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from launchready import __version__
from launchready.gatherers.network import Network

MAX_HEAD = 64 * 1024
# A kept body, and a kept body once decompressed, stop growing here (the bytes past it are
# still read and counted): a huge answer, or a small gzip bomb, must not exhaust memory.
KEEP_LIMIT = 64 * 1024 * 1024
USER_AGENT = f"launchready/{__version__} (load test)"
_IDLE, _HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILER, _UNTIL_CLOSE = range(8)


class HttpError(Exception):
    """The exchange failed below HTTP (connection refused, reset, timeout, bad framing)."""


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int
    prefix: str  # a base URL's path, prepended to every endpoint path

    @classmethod
    def parse(cls, base_url: str) -> Origin:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{base_url!r} is not an http(s) base URL")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, parts.hostname, port, parts.path.rstrip("/"))

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host_header}{self.prefix}"


class Reply:
    """One response: status, framing facts and, on request, the (decoded) body.

    ``body`` holds at most the request's keep limit; ``body_bytes`` counts every byte."""

    __slots__ = ("status", "head", "body_bytes", "body", "truncated")

    def __init__(self, status: int, head: bytes) -> None:
        self.status = status
        self.head = head
        self.body_bytes = 0
        self.body: bytes | None = None
        self.truncated = False  # the body (or its decoded text) was cut at the limit

    def headers(self) -> list[tuple[str, str]]:
        out = []
        for line in self.head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            out.append((name.decode("latin-1").strip().lower(), value.decode("latin-1").strip()))
        return out

    def header(self, name: str) -> str | None:
        for key, value in self.headers():
            if key == name:
                return value
        return None

    def has_set_cookie(self) -> bool:
        return b"\nset-cookie:" in self.head.lower()

    def text(self, limit: int = KEEP_LIMIT) -> str:
        return self.decoded(limit).decode("utf-8", "replace")

    def decoded(self, limit: int = KEEP_LIMIT) -> bytes:
        """The body decompressed, at most ``limit`` bytes of it."""
        body = self.body or b""
        encoding = (self.header("content-encoding") or "").lower()
        if encoding in ("gzip", "deflate"):
            inflater = zlib.decompressobj(47)  # 47: zlib or gzip header, auto-detected
            try:
                body = inflater.decompress(body, limit)
            except zlib.error:
                pass  # not what it claims to be: read it as it came
            else:
                if inflater.unconsumed_tail:
                    self.truncated = True
        elif len(body) > limit:
            body, self.truncated = body[:limit], True
        return body


Callback = Callable[[Reply | None, BaseException | None], None]


def encode_request(
    method: str,
    target: str,
    host: str,
    headers: list[tuple[str, str]],
    body: bytes | None = None,
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", f"User-Agent: {USER_AGENT}"]
    lines += [f"{k}: {v}" for k, v in headers]
    if body is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body or b'')}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


class HttpConnection(asyncio.Protocol):
    """One keep-alive connection; one request at a time (no pipelining)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.busy = False
        self._buf = bytearray()
        self._state = _IDLE
        self._callback: Callback | None = None
        self._reply: Reply | None = None
        self._remaining = 0
        self._keep = False
        self._head_only = False
        self._close_after = False
        self._kept: list[bytes] = []
        self._keep_room = 0  # bytes of this body still to keep
        # Download speed limit (bytes/s) for background jobs: a person's export arrives at
        # their connection's speed, not loopback's, and holds the server's cursor that long.
        self.throttle_bps: float | None = None
        self._throttle_start = 0.0
        self._throttle_bytes = 0

    # --- asyncio.Protocol --------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._state == _UNTIL_CLOSE and self._reply is not None:
            self._finish()
        elif self._callback is not None:
            self._fail(HttpError(f"connection closed: {exc}" if exc else "connection closed"))

    def eof_received(self) -> bool | None:
        return False  # close our side too

    def data_received(self, data: bytes) -> None:
        if self._state == _IDLE:
            return  # stray bytes after a complete response: ignore
        buf = self._buf
        buf += data
        try:
            self._parse(buf)
        except (ValueError, IndexError) as exc:
            self._fail(HttpError(f"malformed response: {exc}"))
            self.abort()
        if self.throttle_bps:
            self._throttle(len(data))

    def _throttle(self, received: int) -> None:
        loop = asyncio.get_running_loop()
        self._throttle_bytes += received
        ahead = self._throttle_start + self._throttle_bytes / (self.throttle_bps or 1) - loop.time()
        if ahead > 0.01 and self.transport is not None and not self.closed:
            self.transport.pause_reading()
            loop.call_later(ahead, self._resume)

    def _resume(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()

    # --- use ---------------------------------------------------------------------------
    def request(
        self,
        data: bytes,
        callback: Callback,
        *,
        keep_body: bool = False,
        head: bool = False,
        keep_limit: int = KEEP_LIMIT,
    ) -> None:
        if self.closed or self.transport is None:
            callback(None, HttpError("connection closed"))
            return
        self.busy = True
        self._callback = callback
        self._keep = keep_body
        self._keep_room = keep_limit
        self._head_only = head
        self._state = _HEAD
        self._kept = []
        if self.throttle_bps:
            self._throttle_start = asyncio.get_running_loop().time()
            self._throttle_bytes = 0
        self.transport.write(data)

    def abort(self, reason: str | None = None) -> None:
        """Drop the connection; a pending request fails with ``reason`` (a timeout)."""
        if reason is not None and self._callback is not None:
            self._fail(HttpError(reason))
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    # --- parsing -----------------------------------------------------------------------
    def _parse(self, buf: bytearray) -> None:
        while buf:
            state = self._state
            if state == _HEAD:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD:
                        raise ValueError("response head larger than 64 KiB")
                    return
                head = bytes(buf[:end])
                del buf[: end + 4]
                self._start_body(head)
            elif state == _LENGTH:
                take = min(self._remaining, len(buf))
                self._take(buf, take)
                self._remaining -= take
                if not self._remaining:
                    self._finish()
            elif state == _CHUNK_SIZE:
                end = buf.find(b"\r\n")
                if end < 0:
                    return
                size = int(bytes(buf[:end]).split(b";")[0], 16)
                del buf[: end + 2]
                self._remaining = size
                self._state = _CHUNK_DATA if size else _TRAILER
            elif state == _CHUNK_DATA:
                take = min(self._remaining, len(buf))
                self._take(buf, take)
                self._remaining -= take
                if not self._remaining:
                    self._state = _CHUNK_END
            elif state == _CHUNK_END:
                if len(buf) < 2:
                    return
                del buf[:2]
                self._state = _CHUNK_SIZE
            elif state == _TRAILER:
                end = buf.find(b"\r\n")
                if end < 0:
                    return
                del buf[: end + 2]
                if end == 0:
                    self._finish()
            elif state == _UNTIL_CLOSE:
                self._take(buf, len(buf))
            else:
                del buf[:]

    def _start_body(self, head: bytes) -> None:
        status = int(head[9:12])
        if 100 <= status < 200:
            return  # an interim answer (100 Continue): the real head follows
        self._reply = reply = Reply(status, head)
        lower = head.lower()
        self._close_after = b"\nconnection: close" in lower or head.startswith(b"HTTP/1.0")
        if self._head_only or status in (204, 304):
            self._finish()
            return
        at = lower.find(b"\ncontent-length:")
        if at >= 0:
            end = lower.find(b"\r\n", at + 1)
            self._remaining = int(lower[at + 16 : end if end >= 0 else None])
            self._state = _LENGTH
            if not self._remaining:
                self._finish()
        elif b"\ntransfer-encoding:" in lower and b"chunked" in lower:
            self._state = _CHUNK_SIZE
        else:
            self._state = _UNTIL_CLOSE
            self._close_after = True
        del reply

    def _take(self, buf: bytearray, n: int) -> None:
        assert self._reply is not None
        self._reply.body_bytes += n
        if self._keep:
            keep = min(n, self._keep_room)
            if keep:
                self._kept.append(bytes(buf[:keep]))
                self._keep_room -= keep
            if keep < n:
                self._reply.truncated = True
        del buf[:n]

    def _finish(self) -> None:
        reply, callback = self._reply, self._callback
        self._state, self._reply, self._callback, self.busy = _IDLE, None, None, False
        if reply is not None and self._keep:
            reply.body = b"".join(self._kept)
        self._kept = []
        if self._close_after:
            self.abort()
        if callback is not None and reply is not None:
            callback(reply, None)

    def _fail(self, exc: BaseException) -> None:
        callback = self._callback
        self._state, self._reply, self._callback, self.busy = _IDLE, None, None, False
        self.closed = True
        if callback is not None:
            callback(None, exc)


async def connect(network: Network, origin: Origin, timeout_s: float) -> HttpConnection:
    """A connection to ``origin`` through the user's resolver, pins and CA bundle."""
    loop = asyncio.get_running_loop()
    context: ssl.SSLContext | None = network.ssl_context if origin.scheme == "https" else None
    last: BaseException | None = None
    for addr, port in await network.addresses(origin.host, origin.port):
        try:
            _, protocol = await asyncio.wait_for(
                loop.create_connection(
                    HttpConnection,
                    addr,
                    port,
                    ssl=context,
                    server_hostname=origin.host if context else None,
                ),
                timeout_s,
            )
            return protocol
        except (OSError, TimeoutError) as exc:
            last = exc
    raise HttpError(f"cannot connect to {origin.host}:{origin.port}: {last}")


async def exchange(
    conn: HttpConnection,
    data: bytes,
    timeout_s: float,
    *,
    keep_body: bool = False,
    keep_limit: int = KEEP_LIMIT,
) -> Reply:
    """One request as a coroutine (logins and probes; the load loop uses callbacks)."""
    future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()

    def done(reply: Reply | None, exc: BaseException | None) -> None:
        if future.done():
            return
        if reply is not None:
            future.set_result(reply)
        else:
            future.set_exception(exc or HttpError("no answer"))

    # A HEAD answer announces the GET's Content-Length but carries no body.
    head = data.startswith(b"HEAD ")
    conn.request(data, done, keep_body=keep_body, head=head, keep_limit=keep_limit)
    try:
        return await asyncio.wait_for(future, timeout_s)
    except TimeoutError:
        conn.abort()
        raise HttpError(f"no answer within {timeout_s:g} s") from None
