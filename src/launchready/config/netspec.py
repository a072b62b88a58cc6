"""Syntax of the network overrides (curl's forms), shared by the file and the flags."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

HostPort = tuple[str, int]


def _split_host(text: str) -> tuple[str, str]:
    """``host:rest`` or ``[v6]:rest`` → (host, rest)."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError("unclosed '['")
        host, rest = text[1:end], text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ValueError("expected ':' after ']'")
        return host, rest[1:]
    host, _, rest = text.partition(":")
    return host, rest


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{text!r} is not a port")
    return int(text)


def _address(text: str) -> str:
    """An IP address, as curl requires for the ADDR of ``--resolve``."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address") from None
    return text


def parse_nameserver(text: str) -> HostPort:
    """``HOST[:PORT]``, port 53 by default."""
    host, rest = _split_host(text.strip())
    if not host:
        raise ValueError("expected HOST[:PORT]")
    try:
        return host, _port(rest) if rest else 53
    except ValueError as exc:
        raise ValueError(f"expected HOST[:PORT]: {exc}") from None


def parse_resolve(text: str) -> tuple[HostPort, str]:
    """curl's ``HOST:PORT:ADDR``."""
    host, rest = _split_host(text.strip())
    port, _, addr = rest.partition(":")
    if not host or not port or not addr:
        raise ValueError("expected HOST:PORT:ADDR")
    try:
        return (host.lower(), _port(port)), _address(addr.strip("[]"))
    except ValueError as exc:
        raise ValueError(f"expected HOST:PORT:ADDR: {exc}") from None


def parse_connect_to(text: str) -> tuple[HostPort, HostPort]:
    """curl's ``HOST:PORT:HOST2:PORT2``."""
    host, rest = _split_host(text.strip())
    port, _, target = rest.partition(":")
    host2, port2 = _split_host(target)
    if not host or not port or not host2 or not port2:
        raise ValueError("expected HOST:PORT:HOST2:PORT2")
    try:
        return (host.lower(), _port(port)), (host2, _port(port2))
    except ValueError as exc:
        raise ValueError(f"expected HOST:PORT:HOST2:PORT2: {exc}") from None


def redacted(text: str) -> str:
    """What an error may show of a malformed ``--header``/``--cookie``: four characters.

    A malformed entry has no name that can be trusted to be only a name
    (``Authorization Bearer sk_live_…`` has no colon), so the message shows a prefix too
    short to give a secret away, quoted, and never the whole entry.
    """
    return repr(text.strip()[:4] + "…")


def parse_header(text: str) -> tuple[str, str]:
    """curl's ``Name: value`` (the value may be empty)."""
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name or any(c in name for c in ' \t"(),/;<=>?@[\\]{}'):
        raise ValueError(f"{redacted(text)}: expected 'Name: value'")
    return name, value.strip()


def parse_cookie(text: str) -> tuple[str, str]:
    """``name=value``, as in a Cookie header."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name or any(c in name for c in " \t;,"):
        raise ValueError(f"{redacted(text)}: expected 'name=value'")
    return name, value.strip()


def check_url(text: str) -> None:
    """An http:// or https:// URL the edge gatherers can request: a host, a valid port.

    ``urlsplit`` accepts ``https://a.test:99999/`` and only fails when ``.port`` is read,
    deep inside a gatherer; checking here turns that into a configuration error.
    """
    # Lower case only: the edge checks tell https pages from http ones by this prefix.
    if not text.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    if any(c.isspace() or ord(c) < 32 for c in text):
        raise ValueError("contains whitespace or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:  # "Invalid IPv6 URL", "Port out of range 0-65535", ...
        raise ValueError(str(exc)[:1].lower() + str(exc)[1:]) from None
    if not parts.hostname:
        raise ValueError("no host name")
    if port == 0:
        raise ValueError("port 0 cannot be connected to")
