"""Invite and password-reset emails, sent over SMTP with the standard library.

`send` delivers one message and returns when the server accepted it. The unfixed app calls it
inside the request; the fixed app hands messages to an `Outbox`, a worker thread draining a
queue, so a slow or unreachable mail server never holds a customer's request.
"""

from __future__ import annotations

import logging
import queue
import smtplib
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

SENDER = "Demo Admin <no-reply@demo.test>"
PUBLIC_URL = "https://app.demo.test"
# Our own EHLO name: smtplib's default (socket.getfqdn) may ask DNS about this machine.
EHLO_NAME = "app.demo.test"
SMTP_TIMEOUT_S = 10.0

log = logging.getLogger("launchready.sandbox.demo_app.mail")


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int


def _message(to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain="demo.test")
    msg.set_content(body)
    return msg


def reset_message(to: str, token: str) -> EmailMessage:
    link = f"{PUBLIC_URL}/reset?token={token}"
    return _message(
        to,
        "Reset your Demo Admin password",
        f"Hello,\n\nSomeone asked to reset the password for {to}.\n"
        f"Choose a new password here (the link works for one hour):\n\n{link}\n\n"
        "If this wasn't you, ignore this email; your password stays the same.\n\n"
        "— Demo Admin\n",
    )


def invite_message(to: str, token: str, inviter: str) -> EmailMessage:
    link = f"{PUBLIC_URL}/invite?token={token}"
    return _message(
        to,
        f"{inviter} invited you to Demo Admin",
        f"Hello,\n\n{inviter} invited you to join the team on Demo Admin.\n"
        f"Accept the invitation and choose a password (the link works for 7 days):\n\n{link}\n\n"
        "— Demo Admin\n",
    )


def send(msg: EmailMessage, target: SmtpTarget) -> None:
    with smtplib.SMTP(
        target.host, target.port, local_hostname=EHLO_NAME, timeout=SMTP_TIMEOUT_S
    ) as smtp:
        smtp.send_message(msg)


class Outbox:
    """One worker thread sends queued messages in order; started on first use.

    Lazily started because the app may be served without ASGI lifespan events.
    """

    def __init__(self, target: SmtpTarget) -> None:
        self._target = target
        self._queue: queue.Queue[EmailMessage | None] = queue.Queue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self.sent = 0
        self.failed = 0

    def submit(self, msg: EmailMessage) -> None:
        with self._lock:
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._run, name="demo-app-outbox", daemon=True
                )
                self._worker.start()
        self._queue.put(msg)

    def _run(self) -> None:
        while (msg := self._queue.get()) is not None:
            try:
                send(msg, self._target)
                self.sent += 1
            except (OSError, smtplib.SMTPException) as exc:
                # A real app would retry with backoff and alert on a growing failure count.
                self.failed += 1
                log.error("email to %s failed: %s", msg["To"], exc)
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def join(self, timeout_s: float = 10.0) -> bool:
        """Wait until every submitted message was sent or failed; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self, timeout_s: float = 10.0) -> None:
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            self._queue.put(None)
            worker.join(timeout_s)
