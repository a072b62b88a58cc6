"""An SMTP receiver on loopback that keeps every message it accepts (aiosmtpd).

With ``deliver_to`` it is also a mail exchanger in front of a mail store: it stamps a
``Received`` header (RFC 5321 §4.4: who connected, from which address) and hands the
message on over LMTP, answering the client with what the store said.
"""

from __future__ import annotations

import asyncio
import smtplib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from aiosmtpd.controller import Controller

from launchready.sandbox.knob import DelayKnob
from launchready.sandbox.ports import free_tcp_port


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
        data = bytes(envelope.content)
        answer = "250 Message accepted for delivery"
        if self._box.deliver_to is not None:
            data = _trace_header(session, peer, envelope) + data
            answer = await asyncio.to_thread(
                _hand_over, self._box.deliver_to, envelope.mail_from, envelope.rcpt_tos, data
            )
        self._box.add(Received(peer, envelope.mail_from, tuple(envelope.rcpt_tos), data))
        return answer


MX_NAME = "mx.sandbox.test"


def _trace_header(session: Any, peer: str, envelope: Any) -> bytes:
    """The Received line a receiving MTA adds: HELO name, the address that connected."""
    helo = session.host_name or f"[{peer}]"
    protocol = "ESMTPS" if session.ssl else ("ESMTP" if session.extended_smtp else "SMTP")
    queue_id = make_msgid(domain=MX_NAME)[1:].split("@", 1)[0]
    rcpt = f"\r\n\tfor <{envelope.rcpt_tos[0]}>" if len(envelope.rcpt_tos) == 1 else ""
    stamp = format_datetime(datetime.now(UTC))
    line = (
        f"Received: from {helo} ([{peer}])\r\n\tby {MX_NAME} (launchready sandbox) "
        f"with {protocol} id {queue_id}{rcpt}; {stamp}\r\n"
    )
    return line.encode()


def _hand_over(lmtp: tuple[str, int], mail_from: str, rcpt_tos: list[str], data: bytes) -> str:
    """Deliver over LMTP; the SMTP answer is the store's (a refusal is passed back)."""
    try:
        with smtplib.LMTP(lmtp[0], lmtp[1], timeout=30) as client:
            refused = client.sendmail(mail_from, rcpt_tos, data)
    except smtplib.SMTPRecipientsRefused as exc:
        refused = exc.recipients
    except (smtplib.SMTPException, OSError) as exc:
        return f"451 4.3.0 mail store unavailable: {exc}"
    if refused:
        code, text = next(iter(refused.values()))
        return f"{code} {text.decode(errors='replace')}"
    return "250 2.0.0 Delivered to the mailbox"


class SmtpReceiver:
    """``deliver_to`` (an LMTP address) makes it the MX in front of a mail store.
    ``control=True`` also serves ``control_url``: POST seconds there to change
    ``delay_s`` while running (how the performance stage slows the mail server)."""

    def __init__(
        self,
        *,
        delay_s: float = 0.0,
        control: bool = False,
        deliver_to: tuple[str, int] | None = None,
    ) -> None:
        self.delay_s = delay_s
        self.deliver_to = deliver_to
        self._knob = DelayKnob(self) if control else None
        self._messages: list[Received] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self.port = free_tcp_port()
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
