"""DNS facts through ``ctx.network.dns``: the configured nameservers, else the system's.

For each name: its addresses, the CNAME chain that leads there, whether a CNAME points at
a name that does not resolve (a dangling record, the classic subdomain takeover), and which
server answered with what authority. For the domain: the CAA record set that applies,
found by climbing towards the root as a CA does (RFC 8659 §3).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.flags
import dns.resolver

from launchready.core.outcome import Outcome
from launchready.gatherers.base import GatherContext, bounded
from launchready.gatherers.edge.names import dns_names

DNS = "edge.dns"
CAA = "edge.caa"
MAX_CNAMES = 8


@dataclass(frozen=True)
class NameRecords:
    name: str
    exists: bool  # False: NXDOMAIN
    ipv4: tuple[str, ...]
    ipv6: tuple[str, ...]
    cnames: tuple[str, ...]  # the CNAME targets followed, in order
    dangling: str | None  # why the last CNAME target does not resolve, when it does not
    server: str  # who answered the first query: "127.0.0.1:5353" or "system resolver"
    authoritative: bool  # the AA bit of that answer
    nameservers_configured: bool  # --nameserver / [network] nameservers were given
    pinned: bool  # --resolve/--connect-to overrides this name for connections

    @property
    def addresses(self) -> tuple[str, ...]:
        return self.ipv4 + self.ipv6


@dataclass(frozen=True)
class CaaRecord:
    flags: int
    tag: str
    value: str


@dataclass(frozen=True)
class CaaFact:
    domain: str
    found_at: str | None  # the name whose CAA set applies (the domain or a parent)
    records: tuple[CaaRecord, ...]
    looked_at: tuple[str, ...]
    # Why the climb stopped short of the top, when a parent's lookup failed.
    stopped: str | None = None


@dataclass
class _Seen:
    server: str
    authoritative: bool = False
    first: bool = True


class _Lookup:
    def __init__(self, resolver: dns.asyncresolver.Resolver, configured: tuple[str, ...]) -> None:
        self.resolver = resolver
        self.configured = bool(configured)
        self.default_server = " or ".join(configured) or "system resolver"

    async def query(self, name: str, rdtype: str, seen: _Seen | None = None) -> Any:
        """The answer's RRset (None for NODATA); NXDOMAIN propagates."""
        try:
            answer = await self.resolver.resolve(name, rdtype, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN as exc:
            if seen is not None and seen.first:
                seen.first = False
                responses = list(exc.kwargs.get("responses", {}).values())
                seen.authoritative = bool(responses and responses[0].flags & dns.flags.AA)
            raise
        if seen is not None and seen.first:
            seen.first = False
            seen.authoritative = bool(answer.response.flags & dns.flags.AA)
            if self.configured:
                seen.server = f"{answer.nameserver}:{answer.port}"
        return answer.rrset

    async def addresses(self, name: str) -> tuple[list[str], list[str]]:
        v4, v6 = await asyncio.gather(self.query(name, "A"), self.query(name, "AAAA"))
        return [r.to_text() for r in v4 or ()], [r.to_text() for r in v6 or ()]

    async def records(self, name: str, pinned: bool) -> NameRecords:
        seen = _Seen(self.default_server)
        cnames: list[str] = []
        current = name
        try:
            for _ in range(MAX_CNAMES):
                rrset = await self.query(current, "CNAME", seen)
                if rrset is None:
                    break
                current = rrset[0].target.to_text().rstrip(".").lower()
                cnames.append(current)
        except dns.resolver.NXDOMAIN:
            if not cnames:
                return self._records(name, seen, pinned, exists=False)
            return self._dangling(name, cnames, "does not exist (NXDOMAIN)", seen, pinned)
        try:
            v4, v6 = await self.addresses(current)
        except dns.resolver.NXDOMAIN:
            return self._dangling(name, cnames, "does not exist (NXDOMAIN)", seen, pinned)
        except dns.exception.DNSException as exc:
            if not cnames:
                raise
            return self._dangling(name, cnames, f"does not resolve ({exc})", seen, pinned)
        dangling = "has no A or AAAA record" if cnames and not (v4 or v6) else None
        if dangling:
            return self._dangling(name, cnames, dangling, seen, pinned)
        return self._records(name, seen, pinned, ipv4=tuple(v4), ipv6=tuple(v6), cnames=cnames)

    def _dangling(
        self, name: str, cnames: list[str], why: str, seen: _Seen, pinned: bool
    ) -> NameRecords:
        reason = f"CNAME target {cnames[-1]} {why}"
        return self._records(name, seen, pinned, cnames=cnames, dangling=reason)

    def _records(
        self,
        name: str,
        seen: _Seen,
        pinned: bool,
        *,
        exists: bool = True,
        ipv4: tuple[str, ...] = (),
        ipv6: tuple[str, ...] = (),
        cnames: list[str] | None = None,
        dangling: str | None = None,
    ) -> NameRecords:
        return NameRecords(
            name=name,
            exists=exists,
            ipv4=ipv4,
            ipv6=ipv6,
            cnames=tuple(cnames or ()),
            dangling=dangling,
            server=seen.server,
            authoritative=seen.authoritative,
            nameservers_configured=self.configured,
            pinned=pinned,
        )

    async def caa(self, domain: str) -> CaaFact:
        """The CAA set that applies to ``domain``; a failed lookup of the domain itself raises.

        SERVFAIL or REFUSED means "unknown", not "no CAA": on the domain itself it makes the
        whole fact an error. Above it, a server that answers only for the domain's own zone
        (a staging resolver, --nameserver) refuses its parents, so a parent's failure ends
        the climb and is recorded.
        """
        labels = domain.split(".")
        looked: list[str] = []
        # Climb to the parent of the top-level domain; TLDs publish no CAA for customers.
        for i in range(max(len(labels) - 1, 1)):
            name = ".".join(labels[i:])
            looked.append(name)
            try:
                rrset = await self.query(name, "CAA")
            except dns.resolver.NXDOMAIN:
                continue
            except (dns.resolver.NoNameservers, dns.resolver.NoAnswer) as exc:
                if i == 0:
                    raise
                return CaaFact(domain, None, (), tuple(looked), stopped=f"{name}: {exc}")
            if rrset:
                records = tuple(CaaRecord(r.flags, r.tag.decode(), r.value.decode()) for r in rrset)
                return CaaFact(domain, name, records, tuple(looked))
        return CaaFact(domain, None, (), tuple(looked))


class DnsGatherer:
    name: str = "dns"
    provides: tuple[str, ...] = (DNS, CAA)

    async def gather(self, ctx: GatherContext) -> list[Outcome[Any]]:
        web = ctx.config.web
        names = dns_names(web)
        if not names:
            reason = "no hostname configured ([web] urls/domain, --url, --domain)"
            return [Outcome.skipped(fact, "-", reason) for fact in self.provides]
        ctx.progress.started("edge: DNS")
        servers = tuple(f"{h}:{p}" for h, p in ctx.network.nameservers)
        lookup = _Lookup(ctx.network.dns, servers)
        pinned = {h for h, _ in (*ctx.network.resolve, *ctx.network.connect_to)}
        caa_domains = [web.domain.lower().strip(".")] if web.domain else names
        results: list[Outcome[Any]] = await asyncio.gather(
            *(bounded(DNS, n, lookup.records(n, n in pinned), ctx.timeout_s) for n in names),
            *(bounded(CAA, d, lookup.caa(d), ctx.timeout_s) for d in caa_domains),
        )
        ctx.progress.finished("edge: DNS")
        return results
