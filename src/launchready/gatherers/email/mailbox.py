"""Fetch a test send back from a real mailbox over IMAP (``email test-send --imap``).

The mailbox is the recipient's, at whatever provider hosts it. It is opened (connect,
TLS, login, folders found, UIDNEXT noted) *before* the reset is sent, so a wrong password
or port costs no real email. The message is then looked for by its Message-ID among the new
messages of the inbox and of the Junk folder (RFC 6154 ``\\Junk``, else the usual names),
so the report can say where the provider filed a password reset — not just whether it
arrived. The SMTP session is gone by then; the connecting address and the envelope sender
come from the trace headers the receiving side wrote (see ``trace_headers``).

IMAP is spoken by IMAPClient (on imaplib) in worker threads. The connection goes to the
address our resolver gives (``--nameserver``, ``--resolve``, ``--connect-to``) while the
certificate is checked against the name given, through the same TLS context as the rest
of the audit. A password is never sent in clear: TLS from the first byte (993) or STARTTLS
before login. A cancelled wait (Ctrl-C, a time limit) shuts the socket down, so the worker
thread ends at once instead of at its next socket timeout.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import imaplib
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from typing import Any, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from imapclient.imapclient import JUNK

from launchready.config.netspec import HostPort
from launchready.gatherers.email.delivery import Arrival, FetchError
from launchready.gatherers.email.trace_headers import connecting_address, envelope_sender
from launchready.gatherers.network import Network

T = TypeVar("T")
POLL_S = 1.0  # how often the mailbox is searched again while the message is on its way
INBOX = "INBOX"
# Folder names providers file spam under when the server does not flag it \Junk
# (IMAPClient's own fallback knows only "Junk" and "Spam").
JUNK_NAMES = frozenset(
    {"junk", "spam", "junk email", "junk e-mail", "junk mail", "bulk", "bulk mail", "spam mail"}
)
# Everything IMAPClient, imaplib, sockets and TLS raise for a server that misbehaves.
_IMAP_ERRORS = (IMAPClientError, imaplib.IMAP4.error, OSError, UnicodeError, EOFError)


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
    """IMAPClient whose socket goes where our resolver said (its transport factory is the
    one seam for that)."""

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
    """The server's words: IMAPClient wraps them as str(bytes) ("b'[AUTH…]'")."""
    raw = exc.args[0] if exc.args else ""
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    if re.fullmatch(r"b(['\"]).*\1", text, re.DOTALL):
        with contextlib.suppress(ValueError, SyntaxError):
            literal = ast.literal_eval(text)
            if isinstance(literal, bytes):
                text = literal.decode(errors="replace")
    return text.strip() or type(exc).__name__


def _why(exc: BaseException, timeout: float) -> str:
    """One line for an IMAP failure; never the text of an encoding error (it can quote
    the password it failed to encode)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, UnicodeError):
        return "the server sent bytes that are not IMAP text"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    if isinstance(exc, EOFError):
        return "the server closed the connection"
    return _text(exc)


def _port_hint(exc: BaseException, account: ImapAccount) -> str:
    """The usual cause of a dead first exchange: TLS and plain ports swapped."""
    if account.starttls and isinstance(exc, TimeoutError):
        return " (a TLS port? --imap-starttls wants the plain IMAP port, usually 143)"
    if not account.starttls and getattr(exc, "reason", None) == "WRONG_VERSION_NUMBER":
        return " (a plain-text port? use the TLS port, usually 993, or --imap-starttls)"
    return ""


def _ascii(text: str) -> bool:
    return text.isascii()


def _login(client: _Client, account: ImapAccount) -> None:
    if _ascii(account.user) and _ascii(account.password):
        client.login(account.user, account.password)
    elif b"AUTH=PLAIN" in client.capabilities():
        client.plain_login(account.user, account.password)  # UTF-8, RFC 4616
    else:
        raise LoginError("the login is not ASCII and the server offers no AUTH=PLAIN")


def _is_junk(flags: tuple[bytes, ...], name: str, delimiter: bytes | None) -> bool:
    if JUNK in flags:
        return True
    leaf = name.rsplit(delimiter.decode(), 1)[-1] if delimiter else name
    return leaf.strip().lower() in JUNK_NAMES


class _Session:
    """A logged-in IMAP session: the folders to watch and where their new mail starts."""

    def __init__(self, client: _Client) -> None:
        self.client = client
        self.folders: list[tuple[str, bool]] = [(INBOX, False)]
        special = client.find_special_folder(JUNK)
        listed = client.list_folders()
        junk = [str(n) for flags, delim, n in listed if _is_junk(tuple(flags), str(n), delim)]
        for name in [special, *junk] if special else junk:
            if name and name.upper() != INBOX and (name, True) not in self.folders:
                self.folders.append((name, True))
        # Only mail that arrives after this point can be ours: searching UIDNEXT:* keeps
        # each poll cheap in a mailbox of years.
        self.first_uid: dict[str, int] = {}
        for name, _ in self.folders:
            try:
                status = client.folder_status(name, [b"UIDNEXT"])
                self.first_uid[name] = int(status.get(b"UIDNEXT", 1))
            except IMAPClientError:
                self.first_uid[name] = 1  # no STATUS: search the whole folder

    def find(self, message_id: str) -> Arrival | None:
        for folder, junk in self.folders:
            self.client.select_folder(folder, readonly=True)
            first = self.first_uid.get(folder, 1)
            criteria = ["UID", f"{first}:*", "HEADER", "Message-ID", message_id]
            # "n:*" includes the newest message even when it is older than n (RFC 3501).
            uids = [u for u in self.client.search(criteria) if u >= first]
            if uids:
                uid = max(uids)  # the newest, should a resend have the same id
                fetched = self.client.fetch([uid], ["BODY.PEEK[]"])
                body: Any = fetched.get(uid, {}).get(b"BODY[]")
                if isinstance(body, bytes):
                    return _arrival(body, folder, junk)
        return None


def _arrival(data: bytes, folder: str, junk: bool) -> Arrival:
    msg = message_from_bytes(data)
    peer = connecting_address(msg)
    return Arrival(peer.ip, envelope_sender(msg), data, folder, junk, peer.seen_in)


class ImapMailbox:
    """A ``Fetch`` on one IMAP session: ``open()`` before sending, then call it with the
    Message-ID to wait up to ``timeout_s`` for the message, then ``close()``."""

    def __init__(self, network: Network, account: ImapAccount, timeout_s: float) -> None:
        self.network, self.account, self.timeout_s = network, account, timeout_s
        # Each IMAP command may take a third of the step: a silent server or a wrong port
        # is then reported as such, well before the step's own limit.
        self.socket_timeout = max(0.5, min(10.0, timeout_s / 3))
        self._session: _Session | None = None
        self._client: _Client | None = None

    async def open(self) -> None:
        """Connect, secure, log in, find the folders; raises FetchError (one line)."""
        try:
            address, *_ = await self.network.addresses(*self.account.server)
        except OSError as exc:
            raise FetchError(f"{self.account.where}: {exc}") from None
        await self._in_thread(lambda: self._connect(address))

    def _connect(self, address: HostPort) -> None:
        account, timeout = self.account, self.socket_timeout
        try:
            self._client = _Client(account, address, self.network.ssl_context, timeout)
        except _IMAP_ERRORS as exc:
            why = f"{_why(exc, timeout)}{_port_hint(exc, account)}"
            raise FetchError(f"{account.where}: {why}") from None
        try:
            if account.starttls:
                self._client.starttls(self.network.ssl_context)
            _login(self._client, account)
            self._session = _Session(self._client)
        except LoginError as exc:
            self._drop()
            raise FetchError(f"{account.where}: login refused: {_text(exc)}") from None
        except _IMAP_ERRORS as exc:
            # STARTTLS not on offer, say: the login (and the password) never went out.
            self._drop()
            raise FetchError(f"{account.where}: {_why(exc, timeout)}") from None

    async def __call__(self, message_id: str) -> Arrival | None:
        stop = threading.Event()
        return await self._in_thread(lambda: self._wait(message_id, stop), stop)

    def _wait(self, message_id: str, stop: threading.Event) -> Arrival | None:
        if self._session is None:
            raise FetchError(f"{self.account.where}: the mailbox was not opened")
        deadline = time.monotonic() + self.timeout_s
        try:
            while True:
                found = self._session.find(message_id)
                if found is not None or time.monotonic() + POLL_S > deadline:
                    return found
                if stop.wait(POLL_S):
                    return None
        except _IMAP_ERRORS as exc:
            raise FetchError(f"{self.account.where}: {_why(exc, self.socket_timeout)}") from None

    async def close(self) -> None:
        if self._client is not None:
            await self._in_thread(self._logout)

    def _logout(self) -> None:
        with contextlib.suppress(*_IMAP_ERRORS):
            if self._client is not None:
                self._client.logout()
        self._drop()

    def _drop(self) -> None:
        client, self._client, self._session = self._client, None, None
        if client is not None:
            with contextlib.suppress(*_IMAP_ERRORS):
                client.shutdown()

    async def _in_thread(self, work: Callable[[], T], stop: threading.Event | None = None) -> T:
        """Run blocking IMAP work; if cancelled, end it now: the socket is shut down
        under it (``socket.shutdown`` of the plain socket, not the TLS object, which
        another thread is reading)."""
        try:
            return await asyncio.to_thread(work)
        except asyncio.CancelledError:
            if stop is not None:
                stop.set()
            client = self._client
            if client is not None:
                with contextlib.suppress(*_IMAP_ERRORS):
                    socket.socket.shutdown(client.socket(), socket.SHUT_RDWR)
            raise
