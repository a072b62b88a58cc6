"""What a delivered message's trace headers say about how it arrived.

A message fetched from a mailbox no longer has its SMTP session; the receiving side wrote
what it saw into the header block (RFC 5321 §4.4): ``Return-Path`` (the MAIL FROM) at final
delivery, ``Received`` per hop, and — at most providers (Gmail, Microsoft 365) — a
``Received-SPF`` line (RFC 7208 §9.1) naming the ``client-ip`` it judged.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from email.message import Message
from email.utils import parseaddr

_CLIENT_IP = re.compile(r"\bclient-ip\s*=\s*\"?([0-9A-Fa-f:.]+)", re.IGNORECASE)
# The from-clause of a Received line: "from helo (rdns [192.0.2.1])" or "[IPv6:2001:db8::1]".
_FROM_ADDRESS = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]", re.IGNORECASE)
_BY = re.compile(r"\sby\s", re.IGNORECASE)
# Hops inside the receiving site that record the relay, never the sender: the final
# hand-over to the mail store (LMTP, local delivery).
_DELIVERY_HOP = re.compile(r"\bwith\s+(?:LMTP|local)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ConnectingAddress:
    ip: str  # "" when the headers name none
    seen_in: str  # which header said so, for the evidence


def _unfold(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def envelope_sender(msg: Message) -> str:
    """The MAIL FROM as the final delivery recorded it (``Return-Path``); "" for a bounce
    (``<>``) or when the store wrote none."""
    value = msg.get("Return-Path")
    return parseaddr(_unfold(str(value)))[1] if value is not None else ""


def connecting_address(msg: Message) -> ConnectingAddress:
    """The address the receiving side saw connect, from the newest header that names it.

    ``Received-SPF`` is the receiver's own SPF judgement, so its ``client-ip`` wins. Else
    the ``Received`` lines, newest first, skipping the store's own delivery hop: the first
    public address is where the message entered the receiving site; on a private network
    (or the sandbox) no address is public and the newest one is taken.
    """
    for value in msg.get_all("Received-SPF", []):
        found = _CLIENT_IP.search(str(value))
        if found and _ip(found.group(1)):
            return ConnectingAddress(found.group(1), "Received-SPF client-ip")
    hops: list[tuple[str, str]] = []
    for value in msg.get_all("Received", []):
        line = _unfold(str(value))
        if _DELIVERY_HOP.search(line) or not line.lower().startswith("from "):
            continue
        from_clause = _BY.split(line, maxsplit=1)[0]
        for candidate in _FROM_ADDRESS.findall(from_clause):
            if _ip(candidate):
                hops.append((candidate, line))
                break
    for address, line in hops:
        parsed = _ip(address)
        if parsed is not None and parsed.is_global:
            return ConnectingAddress(address, f"Received: {line[:120]}")
    if hops:
        return ConnectingAddress(hops[0][0], f"Received: {hops[0][1][:120]}")
    return ConnectingAddress("", "")
