"""DNS for the email stage, always through ``Network.dns`` (our nameservers, port included).

Email records are judged on what a receiver's resolver would see, so the difference
between "the name does not exist" (NXDOMAIN), "it exists without that type" (NODATA) and
"the lookup failed" matters: the first two are facts (void lookups, missing records), the
last is "could not check". ``DnsFailure`` carries the failure; answers carry the rest.

pyspf is synchronous; ``BlockingDns`` lets it run in a worker thread while its queries
still go through the one async resolver on the event loop, so no library ever builds a
resolver (or a cache) of its own.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

from launchready.gatherers.network import Network

Presence = Literal["ok", "nxdomain", "nodata"]
MAX_CNAME_HOPS = 8


class DnsFailure(Exception):
    """The lookup itself failed (timeout, SERVFAIL, REFUSED): nothing can be concluded."""


@dataclass(frozen=True)
class Answer:
    name: str
    rdtype: str
    presence: Presence
    rdata: tuple[Any, ...] = ()

    @property
    def void(self) -> bool:
        """RFC 7208 §4.6.4: NXDOMAIN or an answer with no records."""
        return not self.rdata

    def texts(self) -> list[bytes]:
        """TXT records, each with its character-strings joined (RFC 7208 §3.3)."""
        return [b"".join(r.strings) for r in self.rdata if hasattr(r, "strings")]

    def chunks(self) -> list[tuple[bytes, ...]]:
        """TXT records as their separate character-strings, for size checks."""
        return [tuple(r.strings) for r in self.rdata if hasattr(r, "strings")]


def normalise(name: str) -> str:
    return name.strip().rstrip(".").lower()


async def query(network: Network, name: str, rdtype: str) -> Answer:
    """One lookup, CNAMEs followed as a receiver's resolver would."""
    name = normalise(name)
    try:
        qname = dns.name.from_text(name)
    except (dns.name.LabelTooLong, dns.name.NameTooLong, dns.name.EmptyLabel):
        # No such name can exist in the DNS; a receiver gets no records either.
        return Answer(name, rdtype, "nxdomain")
    for _ in range(MAX_CNAME_HOPS):
        answer = await _resolve(network, qname, rdtype, name)
        if answer is None:
            return Answer(name, rdtype, "nxdomain")
        if answer.rrset is not None:
            return Answer(name, rdtype, "ok", tuple(answer.rrset))
        if answer.canonical_name == qname:
            return Answer(name, rdtype, "nodata")
        # A CNAME into another zone: a recursive server would have chased it; an
        # authoritative one (--nameserver pointed at it) leaves that to us. DKIM keys
        # delegated to a mail service (s1._domainkey → …sendgrid.net) depend on it.
        qname = answer.canonical_name
    raise DnsFailure(f"DNS lookup of {name} {rdtype}: more than {MAX_CNAME_HOPS} CNAMEs")


async def _resolve(
    network: Network, qname: dns.name.Name, rdtype: str, name: str
) -> dns.resolver.Answer | None:
    """The answer, or None for NXDOMAIN; failures raise ``DnsFailure``."""
    try:
        return await network.dns.resolve(qname, rdtype, search=False, raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN:
        return None
    except dns.resolver.NoNameservers as exc:
        raise DnsFailure(f"DNS lookup of {name} {rdtype} failed: {_servfail(exc)}") from None
    except dns.exception.Timeout:
        raise DnsFailure(f"DNS lookup of {name} {rdtype} timed out") from None
    except dns.exception.DNSException as exc:
        raise DnsFailure(f"DNS lookup of {name} {rdtype} failed: {exc}") from None


def _servfail(exc: dns.resolver.NoNameservers) -> str:
    # dnspython lists each server's complaint; the rcode is the useful part.
    errors = exc.kwargs.get("errors") or []
    for _server, _tcp, _port, err, *_ in errors:
        text = str(err)
        for rcode in ("SERVFAIL", "REFUSED", "NOTIMP", "FORMERR"):
            if rcode in text:
                return f"server answered {rcode}"
        return text.rstrip(".")  # e.g. a CNAME loop: "The CNAME chain is too long"
    return "no server answered"


async def txt(network: Network, name: str) -> Answer:
    return await query(network, name, "TXT")


def decode(raw: bytes) -> str:
    """Record text for display and parsing; undecodable bytes stay visible as escapes."""
    return raw.decode("utf-8", errors="backslashreplace")


class BlockingDns:
    """Synchronous lookups for a worker thread, answered by the loop's async resolver."""

    def __init__(self, network: Network, loop: asyncio.AbstractEventLoop) -> None:
        self._network = network
        self._loop = loop

    def query(self, name: str, rdtype: str) -> Answer:
        future = asyncio.run_coroutine_threadsafe(query(self._network, name, rdtype), self._loop)
        return future.result()
