"""Syntax of the network overrides (curl's forms), shared by the file and the flags."""

from __future__ import annotations

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
        return (host.lower(), _port(port)), addr.strip("[]")
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


def parse_header(text: str) -> tuple[str, str]:
    """curl's ``Name: value`` (the value may be empty)."""
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name or any(c in name for c in ' \t"(),/;<=>?@[\\]{}'):
        raise ValueError("expected 'Name: value'")
    return name, value.strip()


def parse_cookie(text: str) -> tuple[str, str]:
    """``name=value``, as in a Cookie header."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name or any(c in name for c in " \t;,"):
        raise ValueError("expected 'name=value'")
    return name, value.strip()
