"""Whether the domain's senders can meet its DMARC alignment modes (RFC 9989 §4.4).

DMARC passes when SPF or DKIM passes for a domain that *aligns* with the From domain:
strict (``aspf=s``/``adkim=s``) wants exactly that domain, relaxed accepts any name in the
same Organizational Domain. Which mode works depends on who sends. A mailbox host (Google
Workspace, Microsoft 365) sends with the person's own address as MAIL FROM, so SPF aligns
even strictly. A bulk or transactional service bounces through its own domain, or at best a
bounce subdomain of yours, so its SPF never aligns strictly; its mail then aligns only
through a DKIM key published under your domain (d= your domain, which aligns in both
modes — every key probed here sits at ``<selector>._domainkey.<domain>``).

The evidence comes from three facts — DMARC, the services recognised in the SPF include
tree with their keys, and the domain's own selectors — joined here into one fact so the
check stays a pure function of one fact.
"""

from __future__ import annotations

from dataclasses import dataclass

from launchready.core.outcome import Outcome
from launchready.gatherers.email.dkim_keys import DkimSelectors
from launchready.gatherers.email.dmarc import DmarcFact
from launchready.gatherers.email.providers import KNOWN, Envelope, Providers

ALIGNMENT = "email.alignment"


@dataclass(frozen=True)
class SenderAlignment:
    """One sending service found in SPF, and what can align for its mail."""

    name: str
    include: str  # the include target that revealed it
    envelope: Envelope  # where its MAIL FROM (bounce address) lives
    keys: tuple[str, ...]  # selectors under the domain with a usable key for it
    keys_known: bool  # False: its selectors are per customer and none was configured


@dataclass(frozen=True)
class EmailAlignment:
    domain: str
    record: str | None  # the DMARC record that applies; None when none does
    policy: str | None  # none | quarantine | reject for mail from the domain
    adkim: str  # "r" or "s"
    aspf: str
    senders: tuple[SenderAlignment, ...]
    own_keys: tuple[str, ...]  # usable selectors found under the domain

    @property
    def enforcing(self) -> bool:
        return self.policy in ("quarantine", "reject")


def _mode(fact: DmarcFact, tag: str) -> str:
    # An invalid value is a syntax finding elsewhere; receivers then use the default "r".
    return "s" if (fact.tag(tag) or "").strip().lower() == "s" else "r"


def alignment(dmarc: DmarcFact, providers: Providers, dkim: DkimSelectors) -> EmailAlignment:
    envelopes = {p.name: p.envelope for p in KNOWN}
    senders = []
    for use in providers.uses:
        if use.selectors:
            keys, known = use.found, True
        else:
            # Per-customer selectors: keys at the configured selectors may be this
            # service's (the same benefit of the doubt the provider-dkim check gives).
            keys, known = providers.configured_found, bool(providers.configured_found)
        senders.append(
            SenderAlignment(use.provider, use.include, envelopes[use.provider], keys, known)
        )
    return EmailAlignment(
        domain=dmarc.domain,
        record=dmarc.record,
        policy=dmarc.policy,
        adkim=_mode(dmarc, "adkim"),
        aspf=_mode(dmarc, "aspf"),
        senders=tuple(senders),
        own_keys=tuple(k.selector for k in dkim.keys if k.usable),
    )


def alignment_outcome(
    domain: str,
    dmarc: Outcome[DmarcFact],
    providers: Outcome[Providers],
    dkim: Outcome[DkimSelectors],
) -> Outcome[EmailAlignment]:
    """Alignment needs all three facts; a missing one is "could not check", with why."""
    if dmarc.value is None or providers.value is None or dkim.value is None:
        missing = [f"{o.fact}: {o.reason}" for o in (dmarc, providers, dkim) if o.value is None]
        return Outcome.error(ALIGNMENT, domain, "; ".join(missing))
    return Outcome.ok(ALIGNMENT, domain, alignment(dmarc.value, providers.value, dkim.value))
