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
before login. Cancelling (Ctrl-C, a time limit) shuts the socket down under the worker
thread, so it ends at once instead of at its next socket timeout.
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
# (IMAPClient's find_special_folder knows only "Junk" and "Spam").
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


class _Line:
    """The sockets of one connection, newest last, so another thread can cut it: set
    ``cut`` and shut them down (a connect, a handshake or a read in progress ends)."""

    def __init__(self) -> None:
        self.cut = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def add(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.append(sock)
            cut = self.cut.is_set()
        if cut:
            self._shut(sock)
        return sock

    def shut_down(self) -> None:
        self.cut.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        # socket.socket.shutdown, not SSLSocket.shutdown: the latter drops the TLS object
        # that the worker thread may be reading from.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _connect(address: HostPort, timeout: float | None, line: _Line) -> socket.socket:
    """create_connection, but the socket is registered before it connects."""
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    sock = line.add(socket.socket(family, socket.SOCK_STREAM))
    try:
        sock.settimeout(timeout)
        sock.connect(address)
    except BaseException:
        sock.close()
        raise
    return sock


class _Pinned(imaplib.IMAP4):
    """A connection to the pinned address, TLS from the first byte or plain (for STARTTLS);
    either way the certificate is checked against ``host`` (imaplib's IMAP4_SSL would check
    it against whatever it connected to)."""

    def __init__(self, host: str, pin: _Pin, tls: bool) -> None:
        self._pin, self._tls = pin, tls
        super().__init__(host, pin.address[1], timeout=pin.timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        sock = _connect(self._pin.address, timeout, self._pin.line)
        if not self._tls:
            return sock
        wrapped = self._pin.context.wrap_socket(
            sock, server_hostname=self.host, do_handshake_on_connect=False
        )
        self._pin.line.add(wrapped)  # registered before the handshake, which may hang
        wrapped.do_handshake()
        return wrapped


@dataclass(frozen=True)
class _Pin:
    address: HostPort
    context: ssl.SSLContext
    timeout: float
    line: _Line


class _Client(IMAPClient):  # type: ignore[misc]  # IMAPClient ships no type hints
    """IMAPClient whose socket goes where our resolver said (its transport factory is the
    one seam for that)."""

    def __init__(self, account: ImapAccount, pin: _Pin) -> None:
        self._pin = pin
        super().__init__(
            account.server[0],
            port=pin.address[1],
            ssl=not account.starttls,
            ssl_context=pin.context,
            timeout=pin.timeout,
        )

    def _create_IMAP4(self) -> imaplib.IMAP4:  # noqa: N802 - IMAPClient's name
        return _Pinned(self.host, self._pin, tls=self.ssl)


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


def _unexpected(exc: BaseException) -> str:
    return f"an answer the IMAP client cannot read ({type(exc).__name__})"


def _login(client: _Client, account: ImapAccount) -> None:
    if account.user.isascii() and account.password.isascii():
        client.login(account.user, account.password)
    elif b"AUTH=PLAIN" in client.capabilities():
        client.plain_login(account.user, account.password)  # UTF-8, RFC 4616
    else:
        raise LoginError("the login is not ASCII and the server offers no AUTH=PLAIN")


_UNSELECTABLE = (b"\\Noselect", b"\\NonExistent")


def _is_junk(flags: tuple[bytes, ...], name: str, delimiter: bytes | None) -> bool:
    if any(flag.lower() in (u.lower() for u in _UNSELECTABLE) for flag in flags):
        return False  # a folder that cannot be opened holds no mail
    if JUNK in flags:
        return True
    leaf = name.rsplit(delimiter.decode(), 1)[-1] if delimiter else name
    return leaf.strip().lower() in JUNK_NAMES


class _Session:
    """A logged-in IMAP session: the folders to watch and where their new mail starts."""

    def __init__(self, client: _Client) -> None:
        self.client = client
        self.folders: list[tuple[str, bool]] = [(INBOX, False)]
        listed = client.list_folders()
        junk = [str(n) for flags, delim, n in listed if _is_junk(tuple(flags), str(n), delim)]
        for name in junk:
            if name and name.upper() != INBOX and (name, True) not in self.folders:
                self.folders.append((name, True))
        # Only mail that arrives after this point can be ours: searching UIDNEXT:* keeps
        # each poll cheap in a mailbox of years.
        self.first_uid: dict[str, int] = {}
        for name, _ in self.folders:
            try:
                status = client.folder_status(name, [b"UIDNEXT"])
                self.first_uid[name] = max(1, int(status.get(b"UIDNEXT", 1)))
            except (IMAPClientError, ValueError, TypeError):
                self.first_uid[name] = 1  # no usable STATUS: search the whole folder

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


class _Cut(Exception):
    """The connection was cut from outside (Ctrl-C, a time limit)."""


class ImapMailbox:
    """A ``Fetch`` on one IMAP session: ``open()`` before sending, then call it with the
    Message-ID to wait up to ``timeout_s`` for the message, then ``close()`` (always).

    The blocking IMAP work runs in worker threads. Cancelling ``open()`` or a wait cuts
    the connection under them — a connect, handshake or command in progress ends at once —
    and nothing more is sent on it: a login that was not yet sent never is."""

    def __init__(self, network: Network, account: ImapAccount, timeout_s: float) -> None:
        self.network, self.account, self.timeout_s = network, account, timeout_s
        # Each IMAP command may take a third of the step: a silent server or a wrong port
        # is then reported as such, well before the step's own limit.
        self.socket_timeout = max(0.5, min(10.0, timeout_s / 3))
        self._line = _Line()
        self._session: _Session | None = None
        self._client: _Client | None = None

    async def open(self) -> None:
        """Connect, secure, log in, find the folders; raises FetchError (one line)."""
        try:
            address, *_ = await self.network.addresses(*self.account.server)
        except OSError as exc:
            raise FetchError(f"{self.account.where}: {exc}") from None
        await self._in_thread(lambda: self._connect(address))

    def _step(self) -> None:
        if self._line.cut.is_set():
            raise _Cut

    def _connect(self, address: HostPort) -> None:
        account, timeout = self.account, self.socket_timeout
        pin = _Pin(address, self.network.ssl_context, timeout, self._line)
        try:
            self._client = _Client(account, pin)
        except _IMAP_ERRORS as exc:
            why = f"{_why(exc, timeout)}{_port_hint(exc, account)}"
            raise FetchError(f"{account.where}: {why}") from None
        try:
            if account.starttls:
                self._step()
                self._client.starttls(self.network.ssl_context)
            self._step()  # never a login on a connection that was cut
            _login(self._client, account)
            self._session = _Session(self._client)
        except _Cut:
            self._drop()
            raise
        except LoginError as exc:
            self._drop()
            raise FetchError(f"{account.where}: login refused: {_text(exc)}") from None
        except _IMAP_ERRORS as exc:
            # STARTTLS not on offer, say: the login (and the password) never went out.
            self._drop()
            raise FetchError(f"{account.where}: {_why(exc, timeout)}") from None
        except Exception as exc:  # noqa: BLE001 - a server IMAPClient cannot parse
            self._drop()
            raise FetchError(f"{account.where}: {_unexpected(exc)}") from None

    async def __call__(self, message_id: str) -> Arrival | None:
        return await self._in_thread(lambda: self._wait(message_id))

    def _wait(self, message_id: str) -> Arrival | None:
        if self._session is None:
            raise FetchError(f"{self.account.where}: the mailbox was not opened")
        deadline = time.monotonic() + self.timeout_s
        try:
            while True:
                found = self._session.find(message_id)
                if found is not None or time.monotonic() + POLL_S > deadline:
                    return found
                if self._line.cut.wait(POLL_S):
                    return None
        except _IMAP_ERRORS as exc:
            raise FetchError(f"{self.account.where}: {_why(exc, self.socket_timeout)}") from None
        except Exception as exc:  # noqa: BLE001 - a server IMAPClient cannot parse
            raise FetchError(f"{self.account.where}: {_unexpected(exc)}") from None

    async def close(self) -> None:
        """Log out (or just hang up when the connection was cut); safe to call always."""
        await self._in_thread(self._logout)

    def _logout(self) -> None:
        if self._client is not None and not self._line.cut.is_set():
            with contextlib.suppress(Exception):
                self._client.logout()
        self._drop()
        self._line.shut_down()  # a connect still in progress in another thread ends too

    def _drop(self) -> None:
        client, self._client, self._session = self._client, None, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.shutdown()

    async def _in_thread(self, work: Callable[[], T]) -> T:
        """Run blocking IMAP work; if cancelled, cut the connection under it."""
        try:
            return await asyncio.to_thread(work)
        except asyncio.CancelledError:
            self._line.shut_down()
            raise
        except _Cut:
            raise FetchError(f"{self.account.where}: cancelled") from None
