"""RFC 7208 ``check_host()`` for a sending address, by pyspf — through our resolver.

pyspf is the RFC's reference implementation; what it lacks is a way to choose the DNS
server. Its module-level lookup function is process-wide, so instead of replacing it we
override ``query.dns`` on a subclass: each evaluation asks ``Network.dns`` (our
nameservers and ports) and nothing is cached beyond the single evaluation, exactly as
pyspf's own per-query cache behaves.

One deliberate difference: RFC 7208 §5.5 says a DNS error while validating PTR names
skips that name (and a failed PTR lookup makes "ptr" not match); pyspf lets both surface
as temperror. Over a real resolver that matters — see ``validated_ptrs``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import reduce
from typing import Any

import dns.name
import spf

from launchready.gatherers.email.dnsio import BlockingDns, DnsFailure
from launchready.gatherers.network import Network

SPF_SENDERS = "email.spf-senders"


@dataclass(frozen=True)
class SpfSender:
    """What a receiver concludes for mail from ``ip`` claiming ``sender``."""

    domain: str
    ip: str
    sender: str
    result: str  # pass | fail | softfail | neutral | none | permerror | temperror
    mechanism: str  # the term that decided, "" when none did
    explanation: str


class _Query(spf.query):  # type: ignore[misc]
    def __init__(self, blocking: BlockingDns, **kwargs: Any) -> None:
        self._blocking = blocking
        super().__init__(**kwargs)

    def dns(
        self, name: Any, qtype: str, cnames: Any = None, ignore_void: bool = False
    ) -> list[Any]:
        """pyspf's lookup contract: a list of values, void lookups counted here."""
        if not name:
            raise spf.PermError("empty domain name")
        name = str(name)
        if name.endswith("."):
            name = name[:-1]
        # Invalid labels yield no data rather than a query, as in pyspf.
        if not reduce(lambda ok, label: ok and 0 < len(label) < 64, name.split("."), True):
            return []
        key = (name.lower(), qtype)
        if key not in self.cache:
            self.cache[key] = self._lookup(key[0], qtype)
        result: list[Any] = self.cache[key]
        if not result and not ignore_void:
            self.void_lookups += 1
            if self.void_lookups > spf.MAX_VOID_LOOKUPS:
                raise spf.PermError(f"Void lookup limit of {spf.MAX_VOID_LOOKUPS} exceeded")
        return result

    def validated_ptrs(self) -> list[str]:
        """RFC 7208 §5.5: a failed PTR lookup makes "ptr" not match, and a name whose
        address lookup fails is skipped. pyspf lets both surface as temperror; its own
        test driver never meets them because its fake DNS resolves CNAMEs itself."""
        try:
            names: list[str] = self.dns_ptr(self.i)[: spf.MAX_PTR]
        except spf.TempError:
            return []
        valid = []
        for name in names:
            try:
                addresses = self.dns_a(name, self.A)
            except spf.TempError:
                continue
            if self.cidrmatch(addresses, self.cidrmax):
                valid.append(name)
        return valid

    def _lookup(self, name: str, qtype: str) -> list[Any]:
        try:
            answer = self._blocking.query(name, qtype)
        except DnsFailure as exc:
            raise spf.TempError(str(exc)) from None
        values: list[Any] = []
        for r in answer.rdata:
            if qtype in ("A", "AAAA"):
                values.append(r.address)
            elif qtype == "MX":
                host = "" if r.exchange == dns.name.root else r.exchange.to_text(True)
                values.append((r.preference, host))
            elif qtype == "PTR":
                values.append(r.target.to_text(True))
            elif qtype in ("TXT", "SPF"):
                values.append(tuple(r.strings))
        return values


async def check_host(
    blocking: BlockingDns,
    ip: str,
    sender: str,
    helo: str,
    *,
    default_explanation: str | None = None,
) -> SpfSender:
    """Evaluate like a receiver would for MAIL FROM ``sender`` from ``ip`` (HELO ``helo``).

    ``default_explanation`` replaces pyspf's text for fail results (the RFC 7208 test
    suite compares explanations against "DEFAULT").
    """

    def run() -> SpfSender:
        q = _Query(blocking, i=ip, s=sender, h=helo)
        if default_explanation is not None:
            q.set_default_explanation(default_explanation)
        result, _code, explanation = q.check()
        domain = q.d or sender.rpartition("@")[2]
        return SpfSender(domain, ip, sender, result, q.mechanism or "", explanation)

    return await asyncio.to_thread(run)


def blocking_dns(network: Network) -> BlockingDns:
    """A bridge bound to the running loop (call from async code)."""
    return BlockingDns(network, asyncio.get_running_loop())
