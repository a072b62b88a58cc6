"""What a delivered message's trace headers say about how it arrived.

A message fetched from a mailbox no longer has its SMTP session; the receiving side wrote
what it saw into the header block (RFC 5321 §4.4): ``Return-Path`` (the MAIL FROM) at final
delivery, ``Received`` per hop, and — at most providers — its own verdicts:
``Received-SPF`` (RFC 7208 §9.1, Gmail and Microsoft 365 name the ``client-ip``) and
``Authentication-Results`` (RFC 8601; the address appears as ``smtp.remote-ip=``,
``policy.iprev=``, or in the comment: "designates 192.0.2.1 as permitted sender", "sender IP
is 192.0.2.1").

Only the newest of each verdict header counts: older ones were written by other hops (or
by the sender, to mislead). When neither names an address, the ``Received`` lines are read
newest first, and reading stops at the first hop whose connecting address cannot be made out
rather than walking on into the sender's own hops.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from email.message import Message
from email.utils import parseaddr

_IP_CHARS = r"[0-9A-Fa-f:.]+"
_CLIENT_IP = re.compile(rf"\bclient-ip\s*=\s*\"?({_IP_CHARS})", re.IGNORECASE)
_AUTH_RESULTS_IP = (
    re.compile(rf"\bsmtp\.remote-ip\s*=\s*\"?({_IP_CHARS})", re.IGNORECASE),
    re.compile(rf"\bpolicy\.iprev\s*=\s*\"?({_IP_CHARS})", re.IGNORECASE),
    re.compile(rf"\bdesignates\s+({_IP_CHARS})\s+as\s+permitted\s+sender", re.IGNORECASE),
    re.compile(rf"\bsender\s+IP\s+is\s+({_IP_CHARS})", re.IGNORECASE),
)
_BY = re.compile(r"\sby\s", re.IGNORECASE)
# "from helo (rdns [192.0.2.1])", Exim's "from helo ([192.0.2.1] helo=…)": the address the
# receiver saw is the bracketed one inside the parentheses; a bracketed literal before them
# is only what the client claimed in HELO.
_IN_PARENS = re.compile(rf"\([^)]*?\[(?:IPv6:)?({_IP_CHARS})\]", re.IGNORECASE)
# Yahoo: "from 192.0.2.1 (EHLO mail.example.com)"; Microsoft: "from host (2603:10a6::19)".
_BARE_AFTER_FROM = re.compile(rf"^from\s+({_IP_CHARS})\s+\(", re.IGNORECASE)
_BARE_IN_PARENS = re.compile(rf"\(\s*({_IP_CHARS})\s*\)")
_LITERAL_AFTER_FROM = re.compile(rf"^from\s+\[(?:IPv6:)?({_IP_CHARS})\]", re.IGNORECASE)
# The store's own delivery hop (LMTP, LMTPA, local): it records the relay, never the sender.
_DELIVERY_HOP = re.compile(r"\bwith\s+(?:LMTPS?A?|local)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ConnectingAddress:
    ip: str  # "" when the headers name none that can be trusted
    seen_in: str  # which header said so (or why none did), for the evidence


def _unfold(value: object) -> str:
    return re.sub(r"\s+", " ", str(value)).strip()


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def envelope_sender(msg: Message) -> str | None:
    """The MAIL FROM as the final delivery recorded it (``Return-Path``): "" for a bounce
    (``<>``), None when the store wrote none (then SPF cannot be judged)."""
    value = msg.get("Return-Path")
    return parseaddr(_unfold(value))[1] if value is not None else None


def _hop_address(from_clause: str) -> str | None:
    for pattern in (_IN_PARENS, _BARE_AFTER_FROM, _BARE_IN_PARENS, _LITERAL_AFTER_FROM):
        found = pattern.search(from_clause)
        if found and _ip(found.group(1)):
            return found.group(1)
    return None


def _from_verdicts(msg: Message) -> ConnectingAddress | None:
    spf = msg.get("Received-SPF")
    if spf is not None:
        found = _CLIENT_IP.search(_unfold(spf))
        if found and _ip(found.group(1)):
            return ConnectingAddress(found.group(1), "Received-SPF client-ip")
    results = msg.get("Authentication-Results")
    if results is not None:
        text = _unfold(results)
        for pattern in _AUTH_RESULTS_IP:
            found = pattern.search(text)
            if found and _ip(found.group(1)):
                return ConnectingAddress(found.group(1), "Authentication-Results")
    return None


def connecting_address(msg: Message) -> ConnectingAddress:
    """The address the receiving side saw connect.

    The receiver's own verdict headers first; else the ``Received`` lines, newest first,
    skipping lines with no from-clause and the store's delivery hop: the first public
    address is where the message entered the receiving site. On a private network (or the
    sandbox) no address is public and the newest one is taken.
    """
    verdict = _from_verdicts(msg)
    if verdict is not None:
        return verdict
    hops: list[tuple[str, str]] = []
    for value in msg.get_all("Received", []):
        line = _unfold(value)
        if _DELIVERY_HOP.search(line) or not line.lower().startswith("from "):
            continue
        address = _hop_address(_BY.split(line, maxsplit=1)[0])
        if address is None:
            # Below an unreadable hop the chain may already be the sender's own.
            return ConnectingAddress("", f"no connecting address in Received: {line[:120]}")
        hops.append((address, line))
        parsed = _ip(address)
        if parsed is not None and parsed.is_global:
            return ConnectingAddress(address, f"Received: {line[:120]}")
    if hops:
        return ConnectingAddress(hops[0][0], f"Received: {hops[0][1][:120]}")
    return ConnectingAddress("", "no Received-SPF, Authentication-Results or Received line")
