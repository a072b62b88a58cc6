"""Stage ``edge``, DNS: every name resolves, no CNAME dangles, CAA limits who may issue."""

from __future__ import annotations

from launchready.checks.base import Verdict, check
from launchready.core.findings import Harm, Severity, Stage, Status
from launchready.gatherers.edge.dns import CAA, DNS, CaaFact, NameRecords

RFC_CAA = "https://www.rfc-editor.org/rfc/rfc8659"
TAKEOVER = "https://developer.mozilla.org/en-US/docs/Web/Security/Subdomain_takeovers"


def _where(r: NameRecords) -> str:
    pinned = "; pinned by --resolve/--connect-to for this audit" if r.pinned else ""
    return f"(asked {r.server}{pinned})"


@check(
    id="edge.dns-resolves",
    stage=Stage.EDGE,
    title="Each name resolves to an address",
    severity=Severity.HIGH,
    harm=Harm.LOGIN,
    reads=DNS,
    impact="A name that does not resolve is an error page for every customer who types it or "
    "follows a link to it.",
    remediation="Add an A/AAAA record (or a CNAME to a name that has one) for the name at your "
    "DNS provider; check the answer from the zone's own nameservers.",
    references=["https://www.rfc-editor.org/rfc/rfc1034", "https://www.rfc-editor.org/rfc/rfc3596"],
)
def dns_resolves(r: NameRecords) -> Verdict:
    """Apex, www, app/api/admin and the URL hosts: each must lead to at least one address."""
    if not r.exists:
        return Verdict.fail(f"{r.name} does not exist (NXDOMAIN) {_where(r)}")
    via = f" via CNAME {' → '.join(r.cnames)}" if r.cnames else ""
    if not r.addresses:
        return Verdict.fail(f"{r.name}{via} has no A or AAAA record {_where(r)}")
    v6 = "" if r.ipv6 else "; no AAAA (IPv6) record"
    return Verdict.ok(f"{r.name}{via} → {', '.join(r.addresses)}{v6} {_where(r)}")


@check(
    id="edge.dns-dangling",
    stage=Stage.EDGE,
    title="No CNAME points at a name that no longer exists",
    severity=Severity.HIGH,
    harm=Harm.DATA_EXPOSURE,
    reads=DNS,
    impact="Whoever registers the missing target (a deleted app or bucket at a hosting "
    "provider) serves their pages under your name, and can read cookies scoped to your domain.",
    remediation="Delete the CNAME, or point it at a target you control again.",
    references=[TAKEOVER, "https://www.rfc-editor.org/rfc/rfc1034#section-3.6.2"],
)
def dns_dangling(r: NameRecords) -> Verdict:
    """A CNAME whose target is NXDOMAIN (or has no address) is a subdomain takeover waiting."""
    if r.dangling:
        return Verdict.fail(f"{r.name}: {r.dangling} {_where(r)}")
    if r.cnames:
        return Verdict.ok(f"{r.name}: CNAME chain {' → '.join(r.cnames)} resolves")
    return Verdict.ok(f"{r.name}: no CNAME")


@check(
    id="edge.dns-authoritative",
    stage=Stage.EDGE,
    title="Answers come from the configured nameservers, with authority",
    severity=Severity.LOW,
    harm=Harm.TRUST,
    reads=DNS,
    impact="Answers from a caching resolver can be stale: a record just fixed still looks "
    "broken, or a broken one still looks fine.",
    remediation="Point --nameserver ([network] nameservers) at the zone's own (authoritative) "
    "servers, e.g. the ones listed in its NS records.",
    references=["https://www.rfc-editor.org/rfc/rfc1035#section-4.1.1"],
)
def dns_authoritative(r: NameRecords) -> Verdict:
    """With --nameserver we expect the AA bit: the zone itself answered, not a cache."""
    if not r.nameservers_configured:
        return Verdict(
            Status.SKIPPED, f"not applicable: no --nameserver given, {r.server} answered"
        )
    if r.authoritative:
        return Verdict.ok(f"{r.name}: authoritative answer from {r.server}")
    return Verdict.warn(f"{r.name}: {r.server} answered without authority (AA bit clear)")


@check(
    id="edge.caa",
    stage=Stage.EDGE,
    title="CAA records say which CAs may issue certificates",
    severity=Severity.LOW,
    harm=Harm.TRUST,
    reads=CAA,
    impact="Without CAA any certificate authority may issue a certificate for your names, so a "
    "mis-issuance anywhere is enough for an attacker.",
    remediation='Publish e.g. `acme.com. CAA 0 issue "letsencrypt.org"` (and `iodef` to be told '
    "about refused requests) for each CA you use.",
    references=[RFC_CAA, "https://letsencrypt.org/docs/caa/"],
)
def caa(fact: CaaFact) -> Verdict:
    """CAs must honour the closest CAA set walking up from the name (RFC 8659 §3)."""
    if fact.found_at is None:
        # A parent that could not be asked is named: the record might sit there.
        stopped = f" (could not ask further up: {fact.stopped})" if fact.stopped else ""
        return Verdict.fail(f"no CAA record at {', '.join(fact.looked_at)}{stopped}")
    records = "; ".join(f'{r.flags} {r.tag} "{r.value}"' for r in fact.records)
    if not any(r.tag.lower() in ("issue", "issuewild") for r in fact.records):
        return Verdict.warn(
            f"CAA at {fact.found_at} has no issue tag, so it limits nothing: {records}"
        )
    return Verdict.ok(f"CAA at {fact.found_at}: {records}")
