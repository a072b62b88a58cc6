"""Receiving side of the sending domain: MX (RFC 7505 null MX), MTA-STS (RFC 8461) and
TLS-RPT (RFC 8460)."""

from __future__ import annotations

from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.core.findings import Harm, Severity, Stage
from launchready.gatherers.email.mx import MTA_STS, MX, TLS_RPT, MtaStsFact, MxFact, TlsRptFact


@check(
    id="email.mx",
    stage=Stage.EMAIL,
    title="The sending domain can receive replies and bounces",
    severity=Severity.MEDIUM,
    harm=Harm.EMAIL,
    reads=MX,
    impact="Without a working MX, bounces and replies to invites are lost and some "
    "receivers reject mail from the domain; a null MX (RFC 7505) tells them to.",
    remediation="Publish MX records for a mailbox that receives bounces; if the domain "
    "must not receive mail, send from a subdomain that has one instead of a null MX.",
    references=[
        "https://www.rfc-editor.org/rfc/rfc7505",
        "https://www.rfc-editor.org/rfc/rfc5321#section-5.1",
    ],
)
def mx_check(fact: MxFact) -> Verdict:
    """RFC 7505 §4.2: receivers MAY reject mail whose sender domain has a null MX, and a
    null MX must be the only MX record (§3)."""
    if fact.null_mx:
        if len(fact.hosts) > 1:
            return Verdict.fail("null MX mixed with other MX records (RFC 7505 §3)")
        return Verdict.fail(f"null MX: {fact.domain} declares it receives no mail, yet sends it")
    if not fact.hosts:
        what = "does not exist" if fact.presence == "nxdomain" else "has no MX record"
        return Verdict.warn(f"{fact.domain} {what}: bounces fall back to its A record")
    dead = [h for h in fact.hosts if not h.addresses]
    shown = ", ".join(
        f"{h.preference} {h.host} ({', '.join(h.addresses) or h.problem or 'no address'})"
        for h in fact.hosts
    )
    if dead and len(dead) == len(fact.hosts):
        return Verdict.fail(f"no MX host resolves: {shown}")
    if dead:
        return Verdict.warn(f"some MX hosts do not resolve: {shown}", severity=Severity.LOW)
    return Verdict.ok(shown)


def _mx_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == host


@check(
    id="email.mta-sts",
    stage=Stage.EMAIL,
    title="The MTA-STS policy, when published, is valid and matches the MX",
    severity=Severity.MEDIUM,
    harm=Harm.EMAIL,
    reads=MTA_STS,
    impact="A broken policy in enforce mode makes senders refuse to deliver to you; a "
    "missing one just leaves inbound TLS unenforced.",
    remediation="Serve https://mta-sts.<domain>/.well-known/mta-sts.txt (text/plain, no "
    "redirect) listing every MX host, then bump the id= in _mta-sts.<domain>.",
    references=["https://www.rfc-editor.org/rfc/rfc8461"],
)
def mta_sts_check(fact: MtaStsFact) -> Iterator[Verdict]:
    """RFC 8461: the TXT record announces a policy fetched over HTTPS; in enforce mode
    senders deliver only to MX hosts the policy lists, over valid TLS."""
    if not fact.records:
        yield Verdict.ok("no MTA-STS policy published (optional)")
        return
    if len(fact.records) > 1:
        yield Verdict.fail(f"{len(fact.records)} v=STSv1 records at _mta-sts.{fact.domain}")
    if fact.policy is None:
        yield Verdict.fail(f"policy not usable: {fact.fetch_problem}")
        return
    policy = fact.policy
    for problem in policy.problems:
        yield Verdict.fail(f"{fact.policy_url}: {problem}")
    uncovered = [h for h in fact.mx_hosts if not any(_mx_matches(p, h) for p in policy.mx)]
    if policy.mode == "enforce" and uncovered:
        yield Verdict.fail(
            f"mode enforce, but MX {', '.join(uncovered)} not in the policy: "
            "senders will refuse them",
            severity=Severity.HIGH,
        )
    if policy.max_age is not None and policy.max_age < 86400:
        yield Verdict.warn(f"max_age={policy.max_age} (under a day)", severity=Severity.LOW)
    if not policy.problems and not (policy.mode == "enforce" and uncovered):
        yield Verdict.ok(f"mode {policy.mode}, mx {', '.join(policy.mx)}")


@check(
    id="email.tls-rpt",
    stage=Stage.EMAIL,
    title="The TLS-RPT record, when published, is valid",
    severity=Severity.LOW,
    harm=Harm.BLIND,
    reads=TLS_RPT,
    impact="Without a valid TLS-RPT address you do not hear when senders cannot deliver "
    "to you securely.",
    remediation='Publish `_smtp._tls.<domain> TXT "v=TLSRPTv1; rua=mailto:tls@<domain>"`.',
    references=["https://www.rfc-editor.org/rfc/rfc8460#section-3"],
)
def tls_rpt_check(fact: TlsRptFact) -> Verdict:
    """RFC 8460 §3: one v=TLSRPTv1 record with rua= (mailto: or https:)."""
    if not fact.records:
        return Verdict.ok("no TLS-RPT record published (optional)")
    if len(fact.records) > 1:
        return Verdict.warn(f"{len(fact.records)} TLS-RPT records: receivers use none")
    record = fact.records[0]
    tags = dict(p.strip().partition("=")[::2] for p in record.split(";") if "=" in p)
    uris = [u.strip() for u in tags.get("rua", "").split(",") if u.strip()]
    if not uris or not all(u.startswith(("mailto:", "https:")) for u in uris):
        return Verdict.warn(f"no valid rua= in {record!r}")
    return Verdict.ok(record)
