"""DMARC (RFC 9989): a record applies, it is well-formed and enforcing, its reports reach
someone, and its alignment modes fit how the domain's senders authenticate."""

from __future__ import annotations

from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.checks.email._shared import GOOGLE, RFC9989, RFC9990, YAHOO, error, skipped
from launchready.core.findings import Harm, Severity, Stage
from launchready.gatherers.email.alignment import ALIGNMENT, EmailAlignment
from launchready.gatherers.email.dmarc import DMARC, DmarcFact


@check(
    id="email.dmarc-record",
    stage=Stage.EMAIL,
    title="A DMARC record applies to the sending domain",
    severity=Severity.HIGH,
    harm=Harm.EMAIL,
    reads=DMARC,
    impact="Gmail and Yahoo require DMARC from bulk senders; without it anyone can send "
    "mail as your domain and you never hear about it.",
    remediation='Publish `_dmarc.<domain> TXT "v=DMARC1; p=quarantine; '
    'rua=mailto:dmarc@<domain>"`, then move to p=reject.',
    references=[f"{RFC9989}#section-4.10", GOOGLE, YAHOO],
)
def dmarc_record(fact: DmarcFact) -> Verdict:
    """Found by the RFC 9989 tree walk: the domain first, then its parents."""
    if fact.record is None:
        walked = ", ".join(fact.walked)
        extra = f"; several records at {', '.join(fact.ambiguous)}" if fact.ambiguous else ""
        return Verdict.fail(f"no DMARC record (walked {walked}){extra}")
    where = f"_dmarc.{fact.location}"
    if fact.inherited:
        where += f" (inherited from {fact.location})"
    return Verdict.ok(f"{where}: {fact.record}")


@check(
    id="email.dmarc-syntax",
    stage=Stage.EMAIL,
    title="The DMARC record is well-formed",
    severity=Severity.MEDIUM,
    harm=Harm.EMAIL,
    reads=DMARC,
    impact="Invalid tags are ignored or void the record, so the policy you wrote is not "
    "the one receivers apply.",
    remediation="Write tags as `tag=value` separated by `;`, v=DMARC1 first, with values "
    "from RFC 9989 (p/sp/np: none|quarantine|reject, adkim/aspf: r|s).",
    references=[f"{RFC9989}#section-4.7"],
)
def dmarc_syntax(fact: DmarcFact) -> Iterator[Verdict]:
    """Unknown tags are ignored by receivers (a warning); malformed ones are errors."""
    if fact.record is None:
        yield skipped("no DMARC record")
        return
    issues = [i for i in fact.issues if i.kind != "obsolete"]
    for issue in issues:
        if issue.kind in ("unknown", "size-suffix"):
            yield Verdict.warn(issue.detail, severity=Severity.LOW)
        else:
            yield Verdict.fail(issue.detail)
    if not issues:
        yield Verdict.ok(f"{len(fact.tags)} tags, all valid")


@check(
    id="email.dmarc-policy",
    stage=Stage.EMAIL,
    title="DMARC enforces a policy (quarantine or reject)",
    severity=Severity.HIGH,
    harm=Harm.TRUST,
    reads=DMARC,
    impact="With p=none receivers deliver forged mail from your domain as if it were "
    "yours: fake password resets reach your customers, and mailbox providers trust your "
    "real resets less.",
    remediation="Watch the aggregate reports until your own senders pass, then set "
    "p=quarantine and later p=reject (and sp=/np= no weaker).",
    references=[f"{RFC9989}#section-4.7", GOOGLE],
)
def dmarc_policy(fact: DmarcFact) -> Iterator[Verdict]:
    """p=none only monitors. For a launching app there is no legacy mail stream to
    protect, so enforcing from day one costs little. t=y (RFC 9989) asks receivers to
    apply a weaker policy; sp/np cover subdomains and names that do not exist."""
    if fact.record is None:
        yield skipped("no DMARC record")
        return
    policy = fact.policy
    tag = "sp" if fact.inherited and fact.tag("sp") else "p"
    if policy is None:
        yield Verdict.fail(f"no valid {tag}= tag: receivers apply no policy")
    elif policy == "none":
        yield Verdict.fail(f"{tag}=none: forged mail is delivered")
    else:
        yield Verdict.ok(f"{tag}={policy}")
    if (fact.tag("t") or "").lower() == "y":
        yield Verdict.warn("t=y: receivers apply the next weaker policy", severity=Severity.MEDIUM)
    enforcing = policy in ("quarantine", "reject")
    for sub in ("sp", "np"):
        if enforcing and (fact.tag(sub) or "").lower() == "none":
            what = "subdomains" if sub == "sp" else "names that do not exist"
            yield Verdict.warn(
                f"{sub}=none: {what} can be spoofed",
                target=f"{fact.domain} ({sub}=)",
                severity=Severity.MEDIUM,
            )


@check(
    id="email.dmarc-reports",
    stage=Stage.EMAIL,
    title="DMARC aggregate reports go to an address that accepts them",
    severity=Severity.MEDIUM,
    harm=Harm.BLIND,
    reads=DMARC,
    impact="Without reports you do not see your own mail failing authentication or "
    "someone spoofing you; reports to another domain that has not agreed are dropped.",
    remediation="Add rua=mailto:dmarc@<your domain>; for a reporting service on another "
    'domain, it must publish `<your domain>._report._dmarc.<its domain> TXT "v=DMARC1"`.',
    references=[f"{RFC9990}#section-4", f"{RFC9989}#section-4.7"],
)
def dmarc_reports(fact: DmarcFact) -> Iterator[Verdict]:
    """RFC 9990 §4: a report destination outside the Organizational Domain must
    authorise it, or receivers do not send reports there."""
    if fact.record is None:
        yield skipped("no DMARC record")
        return
    if not fact.rua:
        yield Verdict.warn(
            "no rua= address: nobody receives aggregate reports", severity=Severity.LOW
        )
    for uri in (*fact.rua, *fact.ruf):
        target = f"{fact.domain} ({uri.uri})"
        if uri.external and uri.authorized is None:
            yield error(uri.problem, target=target)
        elif uri.external and not uri.authorized:
            yield Verdict.fail(
                f"{uri.uri}: {uri.domain} has not authorised reports ({uri.problem})", target=target
            )
        elif uri.problem:
            yield Verdict.warn(f"{uri.uri}: {uri.problem}", target=target, severity=Severity.LOW)
        else:
            how = "authorised" if uri.external else f"within {fact.org_domain}"
            yield Verdict.ok(f"{uri.uri} ({how})", target=target)


@check(
    id="email.dmarc-alignment",
    stage=Stage.EMAIL,
    title="DMARC alignment modes fit how the domain's senders authenticate",
    severity=Severity.MEDIUM,
    harm=Harm.EMAIL,
    reads=ALIGNMENT,
    impact="DMARC passes only through SPF or DKIM for a domain aligned with From: under "
    "strict SPF alignment a sending service that bounces through its own domain never "
    "aligns, and without its DKIM key under your domain its invites and resets fail DMARC "
    "— quarantined or rejected under your own policy.",
    remediation="Publish each sending service's DKIM key under your domain (its domain "
    "authentication records); keep aspf/adkim relaxed (the default) unless every sender "
    "uses exactly the From domain, and give services a custom bounce domain under yours.",
    references=[f"{RFC9989}#section-4.4", GOOGLE],
)
def dmarc_alignment(fact: EmailAlignment) -> Iterator[Verdict]:
    """Compares the record's modes with the senders found. A service that bounces
    through its own domain (SendGrid, SES, Postmark, …) never aligns SPF strictly and
    aligns relaxed only with a custom bounce subdomain; a key under the domain (d= the
    domain) aligns in both modes. So: aspf=s leaves such a service DKIM alone, and a
    service without a key found leans on relaxed SPF, which forwarding breaks."""
    if fact.record is None:
        yield skipped("no DMARC record")
        return
    flagged = False
    services = [s for s in fact.senders if s.envelope == "service"]
    for s in services:
        target = f"{fact.domain} ({s.name})"
        shown = ", ".join(f"{k}._domainkey" for k in s.keys)
        if fact.aspf == "s" and s.keys:
            flagged = True
            yield Verdict.warn(
                f"aspf=s: {s.name} (include:{s.include}) bounces through its own or a "
                f"bounce domain, never exactly {fact.domain}, so its SPF never aligns; its "
                f"mail passes DMARC only while its DKIM signature ({shown}) survives",
                target=target,
                severity=Severity.LOW,
            )
        elif fact.aspf == "s" and s.keys_known:
            flagged = True
            yield Verdict.fail(
                f"aspf=s and no DKIM key for {s.name} (include:{s.include}) under "
                f"{fact.domain}: its mail aligns neither through SPF nor DKIM and fails "
                f"DMARC ({_fate(fact)})",
                target=target,
                severity=Severity.HIGH if fact.enforcing else Severity.MEDIUM,
            )
        elif fact.aspf == "s":
            flagged = True
            yield Verdict.warn(
                f"aspf=s: {s.name} (include:{s.include}) never aligns SPF strictly, and its "
                "DKIM selectors are per customer, so whether it signs as "
                f"{fact.domain} is unknown: give them with --dkim-selector",
                target=target,
            )
        elif not s.keys:
            flagged = True
            found = "no DKIM key found" if s.keys_known else "no known DKIM selector"
            yield Verdict.warn(
                f"{s.name} (include:{s.include}): {found} under {fact.domain}, so its mail "
                "passes DMARC only by relaxed SPF alignment — which needs its custom bounce "
                f"domain under {fact.domain} (its default one fails) and breaks on forwarding",
                target=target,
                severity=Severity.MEDIUM if s.keys_known else Severity.LOW,
            )
    signing = sorted({*fact.own_keys, *(k for s in fact.senders for k in s.keys)})
    if fact.adkim == "s" and not signing:
        flagged = True
        yield Verdict.warn(
            f"adkim=s and no DKIM key found under {fact.domain}: only a signature with "
            f"d={fact.domain} exactly aligns, not one by a parent domain or a service",
            target=f"{fact.domain} (adkim=)",
            severity=Severity.LOW,
        )
    if not flagged:
        yield Verdict.ok(_summary(fact, signing))


def _fate(fact: EmailAlignment) -> str:
    if fact.enforcing:
        return (
            f"p={fact.policy}: receivers {'reject' if fact.policy == 'reject' else 'quarantine'} it"
        )
    return "once DMARC is enforced it is quarantined or rejected"


def _summary(fact: EmailAlignment, signing: list[str]) -> str:
    parts = [f"adkim={fact.adkim}, aspf={fact.aspf}"]
    if fact.adkim == "s":
        # Every key probed sits under the domain itself, so it signs with d=<domain>.
        parts.append(f"keys under {fact.domain} ({', '.join(signing)}) align strictly")
    for s in fact.senders:
        if s.keys:
            parts.append(f"{s.name} signs as {fact.domain} ({', '.join(s.keys)})")
        else:
            parts.append(f"{s.name} bounces as {fact.domain}")
    if not fact.senders:
        parts.append("no sending service in the SPF include tree")
    return "; ".join(parts)


@check(
    id="email.dmarc-obsolete",
    stage=Stage.EMAIL,
    title="The DMARC record uses no tags removed by RFC 9989",
    severity=Severity.LOW,
    harm=Harm.EMAIL,
    reads=DMARC,
    impact="pct, rf and ri are gone from DMARC; pct below 100 still makes older receivers "
    "apply the policy to only part of the forged mail.",
    remediation="Remove pct=, rf= and ri=; use t=y instead of pct while testing.",
    references=[f"{RFC9989}#appendix-C"],
)
def dmarc_obsolete(fact: DmarcFact) -> Iterator[Verdict]:
    """RFC 9989 removed pct (replaced by t), rf and ri."""
    if fact.record is None:
        yield skipped("no DMARC record")
        return
    obsolete = [i for i in fact.issues if i.kind == "obsolete"]
    for issue in obsolete:
        pct = fact.tag("pct") or "100"
        partial = issue.tag == "pct" and pct.isdigit() and int(pct) < 100
        yield Verdict.warn(
            issue.detail + (": older receivers enforce on part of the mail" if partial else ""),
            severity=Severity.MEDIUM if partial else None,
        )
    if not obsolete:
        yield Verdict.ok("no pct/rf/ri")
