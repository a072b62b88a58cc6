"""What a delivered message's trace headers say about how it arrived.

A message fetched from a mailbox no longer has its SMTP session; the receiving side wrote
what it saw into the header block (RFC 5321 §4.4): ``Return-Path`` (the MAIL FROM) at final
delivery, ``Received`` per hop, and — at most providers — its own verdicts:
``Received-SPF`` (RFC 7208 §9.1, Gmail and Microsoft 365 name the ``client-ip``) and
``Authentication-Results`` (RFC 8601; the address appears as ``smtp.remote-ip=``,
``policy.iprev=``, or in the comment: "designates 192.0.2.1 as permitted sender", "sender IP
is 192.0.2.1").

Only the newest of each verdict header counts, and only when the receiving site wrote it:
its reporter (the Authentication-Results authserv-id, Received-SPF's ``receiver=`` or the
host its comment names) must be in the same domain as a host that stamped one of the
receiving site's own ``Received`` lines. A verdict the sender's relay wrote (or forged) is
not the receiver's. Otherwise the ``Received`` lines are read newest first, and reading
stops at the first hop whose connecting address cannot be made out rather than walking on
into the sender's own hops.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from email.message import Message
from email.utils import parseaddr

_IP_CHARS = r"[0-9A-Fa-f:.]{2,45}"
_MAX_CLAUSE = 1000  # an MTA caps HELO names far below this; longer is hostile
_VERDICT_IP = (
    re.compile(rf"\bclient-ip\s*=\s*\"?({_IP_CHARS})", re.IGNORECASE),
    re.compile(rf"\bsmtp\.remote-ip\s*=\s*\"?({_IP_CHARS})", re.IGNORECASE),
    re.compile(rf"\bpolicy\.iprev\s*=\s*\"?({_IP_CHARS})", re.IGNORECASE),
    re.compile(rf"\bdesignates\s+({_IP_CHARS})\s+as\s+permitted\s+sender", re.IGNORECASE),
    re.compile(rf"\bsender\s+IP\s+is\s+({_IP_CHARS})", re.IGNORECASE),
)
_BY = re.compile(r"\sby\s", re.IGNORECASE)
_BY_HOST = re.compile(r"\sby\s+([A-Za-z0-9.-]+)", re.IGNORECASE)
# Who wrote a verdict: "receiver=host", the comment's "(host: domain of …", or the
# Authentication-Results authserv-id before the first ";".
_SPF_REPORTER = (
    re.compile(r"\breceiver\s*=\s*([A-Za-z0-9.-]+)", re.IGNORECASE),
    re.compile(r"\(\s*([A-Za-z0-9.-]+\.[A-Za-z]{2,})\s*:", re.IGNORECASE),
)
_AUTHSERV_ID = re.compile(r"^\s*([A-Za-z0-9.-]+\.[A-Za-z]{2,})\s*(?:[0-9]+\s*)?;")
# "from helo (rdns [192.0.2.1])", Exim's "from helo ([192.0.2.1] helo=…)": the address the
# receiver saw is the bracketed one inside the parentheses; a bracketed literal before them
# is only what the client claimed in HELO.
_IN_PARENS = re.compile(rf"\([^()\[\]]*\[(?:IPv6:)?({_IP_CHARS})\]", re.IGNORECASE)
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
    # Yahoo's "from 127.0.0.1 (EHLO host) (198.51.100.7)": the bare address in the
    # parentheses is the one seen; the one after "from" is what the client said.
    for pattern in (_IN_PARENS, _BARE_IN_PARENS, _BARE_AFTER_FROM, _LITERAL_AFTER_FROM):
        found = pattern.search(from_clause)
        if found and _ip(found.group(1)):
            return found.group(1)
    return None


def _site(host: str) -> str:
    """A host's domain, as far as telling one mail site from another needs: the last two
    labels, three under a two-letter country code with a short second level (co.uk)."""
    labels = host.lower().rstrip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _verdict_address(value: str, reporters: tuple[re.Pattern[str], ...]) -> tuple[str, str]:
    """(address, reporter host) of a verdict header; "" where it names none."""
    text = _unfold(value)
    address = next(
        (m.group(1) for p in _VERDICT_IP if (m := p.search(text)) and _ip(m.group(1))), ""
    )
    reporter = next((m.group(1) for p in reporters if (m := p.search(text))), "")
    return address, reporter


def _from_verdicts(msg: Message, receiving_sites: set[str]) -> ConnectingAddress | None:
    for name, reporters in (
        ("Received-SPF", _SPF_REPORTER),
        ("Authentication-Results", (_AUTHSERV_ID,)),
    ):
        value = msg.get(name)
        if value is None:
            continue
        address, reporter = _verdict_address(str(value), reporters)
        if address and reporter and _site(reporter) in receiving_sites:
            return ConnectingAddress(address, name)
    return None


@dataclass(frozen=True)
class _Hop:
    """One Received line, read once."""

    line: str
    by_site: str | None  # the domain of the host that stamped it
    address: str | None  # the connecting address in its from-clause, if readable
    counts: bool  # has a from-clause and is not the store's own delivery hop

    @classmethod
    def read(cls, value: object) -> _Hop:
        line = _unfold(value)
        by = _BY_HOST.search(line)
        by_site = _site(by.group(1)) if by and "." in by.group(1) else None
        address = _hop_address(_BY.split(line, maxsplit=1)[0][:_MAX_CLAUSE])
        counts = line.lower().startswith("from ") and not _DELIVERY_HOP.search(line)
        return cls(line, by_site, address, counts)

    @property
    def public(self) -> bool:
        parsed = _ip(self.address) if self.address else None
        return parsed is not None and parsed.is_global

    def said(self) -> str:
        return f"Received: {self.line[:120]}"


def _receiving_sites(hops: list[_Hop]) -> set[str]:
    """The domains of the hosts that stamped the newest Received lines, down to and
    including the first one that took the message in from a public address."""
    sites: set[str] = set()
    for hop in hops:
        if hop.by_site:
            sites.add(hop.by_site)
        if hop.public:
            break
    return sites


def connecting_address(msg: Message) -> ConnectingAddress:
    """The address the receiving side saw connect.

    The receiving site's own verdict headers first; else the ``Received`` lines, newest
    first, skipping lines with no from-clause and the store's delivery hop: the first
    public address is where the message entered the receiving site. On a private network
    (or the sandbox) no address is public and the newest one is taken.
    """
    hops = [_Hop.read(value) for value in msg.get_all("Received", [])]
    verdict = _from_verdicts(msg, _receiving_sites(hops))
    if verdict is not None:
        return verdict
    newest: _Hop | None = None
    for hop in (h for h in hops if h.counts):
        if hop.address is None:
            # Below an unreadable hop the chain may already be the sender's own.
            return ConnectingAddress("", f"no connecting address in {hop.said()}")
        if hop.public:
            return ConnectingAddress(hop.address, hop.said())
        newest = newest or hop
    if newest is not None and newest.address:
        return ConnectingAddress(newest.address, newest.said())
    return ConnectingAddress("", "no Received-SPF, Authentication-Results or Received line")
