"""Sending services recognised from the SPF include tree, and their DKIM selectors.

Knowing the service tells which selector its DKIM key must be published under: a
service that sends for you but signs with its own domain passes DKIM yet fails DMARC
alignment, so resets look forged to receivers enforcing DMARC. It also tells where the
service's bounces go (its MAIL FROM), which decides whether SPF can align (alignment.py).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from launchready.gatherers.email.dkim_keys import probe
from launchready.gatherers.email.spf import SpfTree
from launchready.gatherers.network import Network

PROVIDERS = "email.providers"
# Where a service's MAIL FROM (bounce address) lives: "domain" — the sending domain itself
# (a mailbox host sends with the person's address; Mailgun bounces at the domain it is set
# up for); "service" — the service's own domain, or at best a bounce subdomain of yours.
Envelope = Literal["domain", "service"]


@dataclass(frozen=True)
class Provider:
    name: str
    includes: tuple[str, ...]  # include targets (suffix match) that reveal the service
    selectors: tuple[str, ...]  # fixed selectors; () when chosen per customer
    how: str  # where the service documents its DKIM setup
    envelope: Envelope

    def matches(self, include: str) -> bool:
        return any(include == s or include.endswith("." + s) for s in self.includes)


KNOWN = (
    Provider(
        "Google Workspace",
        ("_spf.google.com",),
        ("google",),
        "Admin console → Gmail → Authenticate email (selector 'google')",
        "domain",
    ),
    Provider(
        "Microsoft 365",
        ("spf.protection.outlook.com",),
        ("selector1", "selector2"),
        "CNAMEs selector1/selector2 → …onmicrosoft.com, then enable DKIM in Defender",
        "domain",
    ),
    Provider(
        "SendGrid",
        ("sendgrid.net",),
        ("s1", "s2"),
        "Sender authentication: CNAMEs s1/s2._domainkey → sendgrid.net",
        "service",
    ),
    Provider(
        "Mailgun",
        ("mailgun.org",),
        ("mx", "k1", "smtp", "krs", "pic", "mailo", "email"),
        "Domain settings: the TXT or CNAME key Mailgun shows for your domain",
        "domain",
    ),
    Provider(
        "Amazon SES",
        ("amazonses.com",),
        (),
        "Easy DKIM: three CNAMEs named after per-domain tokens",
        "service",
    ),
    Provider(
        "Postmark",
        ("spf.mtasv.net",),
        (),
        "Sender signatures: a dated selector such as 20240101000000pm",
        "service",
    ),
    Provider(
        "Mailchimp",
        ("servers.mcsv.net",),
        ("k2", "k3"),
        "Domain authentication: CNAMEs k2/k3._domainkey → dkim2/dkim3.mcsv.net",
        "service",
    ),
    Provider(
        "Mandrill",
        ("spf.mandrillapp.com",),
        ("mte1", "mte2", "mandrill"),
        "Sending domains: CNAMEs mte1/mte2._domainkey → mandrillapp.com",
        "service",
    ),
    Provider(
        "Zendesk",
        ("mail.zendesk.com",),
        ("zendesk1", "zendesk2"),
        "Email settings: CNAMEs zendesk1/zendesk2._domainkey",
        "service",
    ),
    Provider(
        "Mailjet",
        ("spf.mailjet.com",),
        ("mailjet",),
        "Domain settings: the TXT key at mailjet._domainkey",
        "service",
    ),
    Provider(
        "Brevo",
        ("spf.brevo.com", "spf.sendinblue.com"),
        ("brevo1", "brevo2", "mail"),
        "Domains: CNAMEs brevo1/brevo2._domainkey",
        "service",
    ),
    Provider(
        "SparkPost",
        ("sparkpostmail.com",),
        (),
        "Sending domains: a generated selector such as scph0123",
        "service",
    ),
    Provider(
        "Fastmail",
        ("spf.messagingengine.com",),
        ("fm1", "fm2", "fm3"),
        "CNAMEs fm1/fm2/fm3._domainkey → dkim.fmhosted.com",
        "domain",
    ),
)


@dataclass(frozen=True)
class ProviderUse:
    provider: str
    include: str  # the include target that revealed it
    selectors: tuple[str, ...]  # probed; () when the service's selectors are per customer
    found: tuple[str, ...]  # probed selectors with a usable key
    how: str


@dataclass(frozen=True)
class Providers:
    domain: str
    uses: tuple[ProviderUse, ...]
    configured_found: tuple[str, ...]  # configured selectors with a usable key


def recognise(tree: SpfTree) -> list[tuple[Provider, str]]:
    found: dict[str, tuple[Provider, str]] = {}
    for lookup in tree.lookups:
        if not lookup.term.lower().lstrip("+-~?").startswith(("include:", "redirect=")):
            continue
        for provider in KNOWN:
            if provider.name not in found and provider.matches(lookup.target):
                found[provider.name] = (provider, lookup.target)
    return list(found.values())


async def providers(
    network: Network, domain: str, tree: SpfTree, configured: tuple[str, ...]
) -> Providers:
    async def use(provider: Provider, include: str) -> ProviderUse:
        keys = await asyncio.gather(*(probe(network, domain, s) for s in provider.selectors))
        found = tuple(k.selector for k in keys if k.usable)
        return ProviderUse(provider.name, include, provider.selectors, found, provider.how)

    uses = await asyncio.gather(*(use(p, i) for p, i in recognise(tree)))
    usable: tuple[str, ...] = ()
    if configured:
        keys = await asyncio.gather(*(probe(network, domain, s) for s in configured))
        usable = tuple(k.selector for k in keys if k.usable)
    return Providers(domain, tuple(uses), usable)
