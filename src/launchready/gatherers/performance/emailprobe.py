"""Does the mail-sending request wait for the mail server? Measure it fast, then slowed.

Needs a knob on a test SMTP server (the sandbox's receiver has one): launchready cannot
slow a customer's mail provider, and must not try.
"""

from __future__ import annotations

import asyncio

from launchready.config.model import EmailProbeConfig
from launchready.gatherers.network import Network
from launchready.gatherers.performance.client import (
    HttpError,
    Origin,
    connect,
    encode_request,
    exchange,
)
from launchready.gatherers.performance.engine import LoadEngine
from launchready.gatherers.performance.facts import EmailCoupling
from launchready.gatherers.performance.histogram import Recorder
from launchready.gatherers.performance.session import Spec, form_spec


def email_spec(cfg: EmailProbeConfig) -> Spec:
    return form_spec(cfg.name, cfg.method, cfg.path, cfg.form, cfg.json_body)


async def set_smtp_delay(network: Network, url: str, seconds: float, timeout_s: float) -> float:
    """POST the delay to the knob; returns the delay it had before."""
    origin = Origin.parse(url)
    conn = await connect(network, origin, timeout_s)
    try:
        path = origin.prefix or "/"
        host = origin.host_header
        before = await exchange(
            conn, encode_request("GET", path, host, []), timeout_s, keep_body=True
        )
        body = f"{seconds}".encode()
        reply = await exchange(
            conn, encode_request("POST", path, host, [], body), timeout_s, keep_body=True
        )
        if reply.status >= 400:
            raise OSError(f"the SMTP delay knob answered {reply.status}")
        return float(before.text().strip() or 0)
    finally:
        conn.abort()


async def _measure(engine: LoadEngine, spec: Spec, count: int) -> Recorder:
    loop = asyncio.get_running_loop()
    recorder = Recorder(engine.origin_time, engine.bucket_s)
    vu = await engine.user(10_000, None)
    for n in range(count):
        if vu.conn is None or vu.conn.closed:
            vu = await engine.user(10_000 + n, None)
        conn = vu.conn
        assert conn is not None
        start = loop.time()
        try:
            reply = await exchange(conn, vu.request_bytes(spec, n), engine.timeout_s)
        except (HttpError, OSError):
            recorder.record(start, loop.time(), "connection error", True)
            continue
        recorder.record(start, loop.time(), str(reply.status), reply.status >= 400)
    if vu.conn is not None:
        vu.conn.abort()
    return recorder


async def probe_email(engine: LoadEngine, cfg: EmailProbeConfig) -> EmailCoupling:
    assert cfg.smtp_delay_url is not None
    spec = email_spec(cfg)
    base = await _measure(engine, spec, cfg.requests)
    knob, network = cfg.smtp_delay_url, engine.network
    before = await set_smtp_delay(network, knob, cfg.smtp_delay_s, engine.timeout_s)
    try:
        slowed = await _measure(engine, spec, cfg.requests)
    finally:
        await set_smtp_delay(network, knob, before, engine.timeout_s)
    return EmailCoupling(cfg.name, cfg.path, cfg.smtp_delay_s, base.summary(), slowed.summary())
