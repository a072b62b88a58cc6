"""Fetch a test send back from a real mailbox over IMAP (``email test-send --imap``).

The mailbox is the recipient's, at whatever provider hosts it: the message is looked for
by its Message-ID in the inbox and in the Junk folder (RFC 6154 ``\\Junk``, else the usual
names), so the report can say where a provider filed a password reset — not just whether it
arrived. The SMTP session is gone by then; the connecting address and the envelope sender
come from the trace headers the receiving side wrote (see ``trace_headers``).

IMAP is spoken by IMAPClient (on imaplib) in a worker thread. The connection goes to the
address our resolver gives (``--nameserver``, ``--resolve``, ``--connect-to``) while the
certificate is checked against the name given, through the same TLS context as the rest of
the audit. A password is never sent in clear: the connection is TLS from the start (993) or
upgraded with STARTTLS before login.
"""

from __future__ import annotations

import asyncio
import imaplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from imapclient.imapclient import JUNK

from launchready.config.netspec import HostPort
from launchready.gatherers.email.delivery import Arrival, Fetch, FetchError
from launchready.gatherers.email.trace_headers import connecting_address, envelope_sender
from launchready.gatherers.network import Network

POLL_S = 1.0  # how often the mailbox is searched again while the message is on its way
INBOX = "INBOX"


@dataclass(frozen=True)
class ImapAccount:
    server: HostPort  # the name (checked against the certificate) and port
    user: str
    password: str = field(repr=False)
    starttls: bool = False  # plain connect, then STARTTLS; else TLS from the first byte

    @property
    def where(self) -> str:
        return f"IMAP {self.server[0]}:{self.server[1]} as {self.user}"


class _PinnedTLS(imaplib.IMAP4):
    """TLS from the first byte to ``address``, the certificate checked against ``host``
    (imaplib's IMAP4_SSL would check it against whatever it connected to)."""

    def __init__(self, host: str, address: HostPort, context: ssl.SSLContext, timeout: float):
        self._address, self.ssl_context = address, context
        super().__init__(host, address[1], timeout=timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        sock = socket.create_connection(self._address, timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


class _PinnedPlain(imaplib.IMAP4):
    """A plain connection to ``address`` that STARTTLS then upgrades against ``host``."""

    def __init__(self, host: str, address: HostPort, timeout: float):
        self._address = address
        super().__init__(host, address[1], timeout=timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        return socket.create_connection(self._address, timeout)


class _Client(IMAPClient):  # type: ignore[misc]  # IMAPClient ships no type hints
    """IMAPClient whose socket goes where our resolver said (its one documented seam for
    the transport is this factory method)."""

    def __init__(
        self, account: ImapAccount, address: HostPort, context: ssl.SSLContext, timeout: float
    ) -> None:
        self._pinned = (account.server[0], address, context, timeout)
        super().__init__(
            account.server[0],
            port=address[1],
            ssl=not account.starttls,
            ssl_context=context,
            timeout=timeout,
        )

    def _create_IMAP4(self) -> imaplib.IMAP4:  # noqa: N802 - IMAPClient's name
        host, address, context, timeout = self._pinned
        if self.ssl:
            return _PinnedTLS(host, address, context, timeout)
        return _PinnedPlain(host, address, timeout)


def _text(exc: BaseException) -> str:
    raw = exc.args[0] if exc.args else exc
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    return text or type(exc).__name__


def _arrival(data: bytes, folder: str, junk: bool) -> Arrival:
    msg = message_from_bytes(data)
    peer = connecting_address(msg)
    return Arrival(peer.ip, envelope_sender(msg), data, folder, junk, peer.seen_in)


class _Session:
    """One logged-in IMAP session, searching the inbox and the Junk folder."""

    def __init__(self, client: _Client) -> None:
        self._client = client
        junk = client.find_special_folder(JUNK)
        self.folders: list[tuple[str, bool]] = [(INBOX, False)]
        if junk and junk.upper() != INBOX:
            self.folders.append((junk, True))

    def find(self, message_id: str) -> Arrival | None:
        for folder, junk in self.folders:
            self._client.select_folder(folder, readonly=True)
            uids = self._client.search(["HEADER", "Message-ID", message_id])
            if uids:
                uid = max(uids)  # the newest, should a resend have the same id
                fetched = self._client.fetch([uid], ["BODY.PEEK[]"])
                body: Any = fetched.get(uid, {}).get(b"BODY[]")
                if isinstance(body, bytes):
                    return _arrival(body, folder, junk)
        return None


def _open(
    account: ImapAccount, address: HostPort, context: ssl.SSLContext, timeout: float
) -> _Client:
    try:
        client = _Client(account, address, context, timeout)
    except ssl.SSLError as exc:
        raise FetchError(f"{account.where}: TLS failed: {exc.reason or exc}") from None
    except OSError as exc:
        raise FetchError(f"{account.where}: {exc.strerror or _text(exc)}") from None
    try:
        if account.starttls:
            client.starttls(context)
        client.login(account.user, account.password)
    except LoginError as exc:
        client.shutdown()
        raise FetchError(f"{account.where}: login refused: {_text(exc)}") from None
    except ssl.SSLError as exc:
        client.shutdown()
        raise FetchError(f"{account.where}: STARTTLS failed: {exc.reason or exc}") from None
    except (IMAPClientError, imaplib.IMAP4.error) as exc:
        client.shutdown()
        # No STARTTLS on offer, say: the login (and the password) never went out.
        raise FetchError(f"{account.where}: {_text(exc)}") from None
    return client


def _wait_for_message(
    account: ImapAccount,
    address: HostPort,
    context: ssl.SSLContext,
    message_id: str,
    timeout_s: float,
    stop: threading.Event,
) -> Arrival | None:
    """Search until the message is there, ``timeout_s`` has passed or ``stop`` is set
    (blocking; ``stop`` lets Ctrl-C end the wait at the next poll, not at the deadline)."""
    deadline = time.monotonic() + timeout_s
    socket_timeout = max(1.0, min(10.0, timeout_s))
    client = _open(account, address, context, socket_timeout)
    try:
        session = _Session(client)
        while True:
            found = session.find(message_id)
            if found is not None or time.monotonic() + POLL_S > deadline:
                return found
            if stop.wait(POLL_S):
                return None
    except (IMAPClientError, imaplib.IMAP4.error, OSError) as exc:
        raise FetchError(f"{account.where}: {_text(exc)}") from None
    finally:
        try:
            client.logout()
        except (IMAPClientError, imaplib.IMAP4.error, OSError):
            client.shutdown()


def imap_fetch(network: Network, account: ImapAccount, timeout_s: float) -> Fetch:
    """A ``Fetch`` that waits up to ``timeout_s`` for the message in ``account``'s mailbox."""

    async def fetch(message_id: str) -> Arrival | None:
        try:
            address, *_ = await network.addresses(*account.server)
        except OSError as exc:
            raise FetchError(f"{account.where}: {exc}") from None
        stop = threading.Event()
        try:
            return await asyncio.to_thread(
                _wait_for_message,
                account,
                address,
                network.ssl_context,
                message_id,
                timeout_s,
                stop,
            )
        finally:
            stop.set()  # cancelled (time limit, Ctrl-C): the worker thread ends too

    return fetch
