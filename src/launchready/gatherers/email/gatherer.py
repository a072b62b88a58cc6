"""The email stage's DNS facts for each configured domain, gathered concurrently."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable
from typing import Any

from launchready.core.outcome import Outcome
from launchready.gatherers.base import GatherContext, bounded
from launchready.gatherers.email.alignment import ALIGNMENT, alignment_outcome
from launchready.gatherers.email.check_host import SPF_SENDERS, SpfSender, blocking_dns, check_host
from launchready.gatherers.email.dkim_keys import DKIM, dkim_selectors
from launchready.gatherers.email.dmarc import DMARC, dmarc
from launchready.gatherers.email.mx import MTA_STS, MX, TLS_RPT, mta_sts, mx, tls_rpt
from launchready.gatherers.email.providers import PROVIDERS, providers
from launchready.gatherers.email.spf import SPF, spf_tree

LABEL = "email: SPF, DKIM, DMARC, MX"


class EmailGatherer:
    name: str = "email"
    provides: tuple[str, ...] = (
        SPF,
        SPF_SENDERS,
        DKIM,
        PROVIDERS,
        DMARC,
        ALIGNMENT,
        MX,
        MTA_STS,
        TLS_RPT,
    )

    async def gather(self, ctx: GatherContext) -> list[Outcome[Any]]:
        domains = [d.strip().rstrip(".").lower() for d in ctx.config.email.domains]
        if not domains:
            reason = "no sending domain configured ([email].domains or --domain)"
            return [Outcome.skipped(fact, "-", reason) for fact in self.provides]
        ctx.progress.started(LABEL)
        try:
            per_domain = await asyncio.gather(*(self.domain(ctx, d) for d in domains))
        finally:
            ctx.progress.finished(LABEL)
        return [o for outcomes in per_domain for o in outcomes]

    async def domain(self, ctx: GatherContext, domain: str) -> list[Outcome[Any]]:
        net, limit = ctx.network, ctx.timeout_s
        selectors = tuple(ctx.config.email.dkim_selectors)
        tree = await bounded(SPF, domain, spf_tree(net, domain), limit)
        # Services are recognised from the include tree, so they wait for it.
        if tree.value is not None:
            uses = bounded(PROVIDERS, domain, providers(net, domain, tree.value, selectors), limit)
        else:
            uses = _now(Outcome.error(PROVIDERS, domain, f"no SPF tree: {tree.reason}"))
        facts: list[Awaitable[Outcome[Any]]] = [
            uses,
            bounded(DKIM, domain, dkim_selectors(net, domain, selectors), limit),
            bounded(DMARC, domain, dmarc(net, domain), limit),
            bounded(MX, domain, mx(net, domain), limit),
            bounded(MTA_STS, domain, mta_sts(net, domain), limit),
            bounded(TLS_RPT, domain, tls_rpt(net, domain), limit),
        ]
        found, senders = await asyncio.gather(asyncio.gather(*facts), self.senders(ctx, domain))
        services, keys, policy, *_ = found  # the order of ``facts`` above
        # Alignment is judged against what the other facts found, so it is built from them.
        aligned = alignment_outcome(domain, policy, services, keys)
        return [tree, *found, aligned, *senders]

    async def senders(self, ctx: GatherContext, domain: str) -> list[Outcome[Any]]:
        ips = ctx.config.email.sending_ips
        if not ips:
            return [Outcome.skipped(SPF_SENDERS, domain, "no [email] sending_ips configured")]
        blocking = blocking_dns(ctx.network)

        async def one(ip: str) -> Outcome[SpfSender]:
            target = f"{domain} from {ip}"
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                return Outcome.error(SPF_SENDERS, target, f"{ip!r} is not an IP address")
            work = check_host(blocking, ip, f"postmaster@{domain}", domain)
            outcome = await bounded(SPF_SENDERS, target, work, ctx.timeout_s)
            if outcome.value is not None and outcome.value.result == "temperror":
                # A DNS failure on our side or theirs: no verdict on the record itself.
                return Outcome.error(SPF_SENDERS, target, outcome.value.explanation)
            return outcome

        return list(await asyncio.gather(*(one(ip) for ip in ips)))


async def _now(outcome: Outcome[Any]) -> Outcome[Any]:
    return outcome
