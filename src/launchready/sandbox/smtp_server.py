"""An SMTP receiver on loopback that keeps every message it accepts (aiosmtpd)."""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from launchready.sandbox.knob import DelayKnob


@dataclass(frozen=True)
class Received:
    peer: str
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        msg = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


class _Handler:
    def __init__(self, box: SmtpReceiver) -> None:
        self._box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self._box.delay_s:
            # A slow mail provider: lets tests show email sent inside a request.
            await asyncio.sleep(self._box.delay_s)
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        self._box.add(
            Received(peer, envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpReceiver:
    """``control=True`` also serves ``control_url``: POST seconds there to change
    ``delay_s`` while running (how the performance stage slows the mail server)."""

    def __init__(self, *, delay_s: float = 0.0, control: bool = False) -> None:
        self.delay_s = delay_s
        self._knob = DelayKnob(self) if control else None
        self._messages: list[Received] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self.port = _free_port()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def add(self, message: Received) -> None:
        with self._arrived:
            self._messages.append(message)
            self._arrived.notify_all()

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._messages)

    def wait_for(self, count: int, timeout_s: float = 10.0) -> list[Received]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self._messages) >= count, timeout_s)
            return list(self._messages)

    @property
    def control_url(self) -> str | None:
        return self._knob.url if self._knob else None

    def start(self) -> SmtpReceiver:
        self._controller.start()
        if self._knob:
            self._knob.start()
        return self

    def stop(self) -> None:
        if self._knob:
            self._knob.stop()
        self._controller.stop()

    def __enter__(self) -> SmtpReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
