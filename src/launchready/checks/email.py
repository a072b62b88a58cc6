"""Stage ``email``: will invites and password resets arrive, and not in spam?

Each check reads one fact gathered from DNS (SPF tree, sending-IP evaluations, DKIM keys,
providers, DMARC, MX, MTA-STS, TLS-RPT) or from a real test send.
"""

from __future__ import annotations

from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.core.findings import Harm, Severity, Stage, Status
from launchready.gatherers.email.check_host import SPF_SENDERS, SpfSender
from launchready.gatherers.email.delivery import DELIVERY, Delivery
from launchready.gatherers.email.dkim_keys import DKIM, DkimKey, DkimSelectors
from launchready.gatherers.email.dmarc import DMARC, DmarcFact
from launchready.gatherers.email.mx import MTA_STS, MX, TLS_RPT, MtaStsFact, MxFact, TlsRptFact
from launchready.gatherers.email.providers import PROVIDERS, Providers
from launchready.gatherers.email.spf import (
    LOOKUP_LIMIT,
    SPF,
    VOID_LIMIT,
    SpfNode,
    SpfTree,
    render_lookups,
)

RFC7208 = "https://www.rfc-editor.org/rfc/rfc7208"
RFC6376 = "https://www.rfc-editor.org/rfc/rfc6376"
RFC8301 = "https://www.rfc-editor.org/rfc/rfc8301"
RFC9989 = "https://www.rfc-editor.org/rfc/rfc9989"
RFC9990 = "https://www.rfc-editor.org/rfc/rfc9990"
GOOGLE = "https://support.google.com/a/answer/81126"
YAHOO = "https://senders.yahooinc.com/best-practices/"
SPF_RECORD_BYTES = 450  # RFC 7208 §3.4: keep a record's answer within a 512-byte UDP reply
UDP_ANSWER_BYTES = 512


def _skipped(evidence: str) -> Verdict:
    """Nothing to judge (the record this check reads is missing) — never a pass."""
    return Verdict(Status.SKIPPED, evidence)


def _error(evidence: str, target: str | None = None) -> Verdict:
    return Verdict(Status.ERROR, evidence, target=target)


# --- SPF ---------------------------------------------------------------------------------


@check(
    id="email.spf-record",
    stage=Stage.EMAIL,
    title="The sending domain publishes exactly one SPF record",
    severity=Severity.HIGH,
    harm=Harm.EMAIL,
    reads=SPF,
    impact="Without one valid SPF record receivers cannot tell your servers from forgers; "
    "Gmail and Yahoo send such mail to spam or reject it.",
    remediation="Publish a single TXT record `v=spf1 <your senders> -all` at the domain; "
    "merge any second v=spf1 record into it.",
    references=[f"{RFC7208}#section-4.5", GOOGLE, YAHOO],
)
def spf_record(tree: SpfTree) -> Verdict:
    """RFC 7208 §4.5: no record is "none"; two or more are a permerror."""
    records = tree.root.records.spf if tree.root.records else ()
    if not records:
        return Verdict.fail(f"no v=spf1 TXT record at {tree.domain}")
    if len(records) > 1:
        shown = " | ".join(records)
        return Verdict.fail(f"{len(records)} SPF records (permerror for every receiver): {shown}")
    return Verdict.ok(records[0])


@check(
    id="email.spf-syntax",
    stage=Stage.EMAIL,
    title="Every SPF record in the include tree is well-formed",
    severity=Severity.HIGH,
    harm=Harm.EMAIL,
    reads=SPF,
    impact="A syntax error makes SPF a permerror: receivers treat the mail as unauthenticated.",
    remediation="Fix the term at the position shown (mechanisms: all, include, a, mx, ptr, "
    "ip4, ip6, exists; modifiers: redirect=, exp=), separating terms by single spaces.",
    references=[f"{RFC7208}#section-12", f"{RFC7208}#section-4.6"],
)
def spf_syntax(tree: SpfTree) -> Iterator[Verdict]:
    """The parser reports each malformed term with its 1-based position in the record."""
    if tree.root.parsed is None:
        yield _skipped("no SPF record to parse")
        return
    errors = tree.syntax_errors
    for domain, issue in errors:
        yield Verdict.fail(issue.describe(), target=domain)
    if not errors:
        yield Verdict.ok(f"{len(tree.nodes)} record(s) parsed without error")


@check(
    id="email.spf-lookups",
    stage=Stage.EMAIL,
    title="SPF stays within 10 DNS lookups",
    severity=Severity.HIGH,
    harm=Harm.EMAIL,
    reads=SPF,
    impact="Past 10 lookups SPF is a permerror at every receiver: all your mail fails SPF.",
    remediation="Remove includes of services you no longer use, replace `a`/`mx`/`ptr` with "
    "ip4:/ip6: ranges, or move a sending service to its own subdomain.",
    references=[f"{RFC7208}#section-4.6.4"],
)
def spf_lookups(tree: SpfTree) -> Verdict:
    """Counts include, a, mx, ptr, exists and redirect across the whole tree, numbered in
    evaluation order, which is what a receiver spends on mail that matches nothing."""
    if tree.root.parsed is None:
        return _skipped("no SPF record")
    count = len(tree.lookups)
    shown = f"{count} DNS lookups (limit {LOOKUP_LIMIT}): {render_lookups(tree.root)}"
    if tree.truncated:
        shown += " … (walk stopped)"
    if count > LOOKUP_LIMIT:
        return Verdict.fail(shown)
    return Verdict.ok(shown)


@check(
    id="email.spf-void-lookups",
    stage=Stage.EMAIL,
    title="SPF has at most 2 void lookups",
    severity=Severity.HIGH,
    harm=Harm.EMAIL,
    reads=SPF,
    impact="More than two terms pointing at names that do not exist make SPF a permerror.",
    remediation="Remove or correct the terms whose names do not resolve (old hosts, "
    "retired services).",
    references=[f"{RFC7208}#section-4.6.4"],
)
def spf_void_lookups(tree: SpfTree) -> Verdict:
    """A void lookup is NXDOMAIN or an empty answer; RFC 7208 allows two."""
    if tree.root.parsed is None:
        return _skipped("no SPF record")
    void = tree.void_lookups
    listed = ", ".join(f"#{lk.number} {lk.term} ({lk.domain})" for lk in void)
    if len(void) > VOID_LIMIT:
        return Verdict.fail(f"{len(void)} void lookups (limit {VOID_LIMIT}): {listed}")
    if void:
        return Verdict.warn(f"{len(void)} void lookup(s): {listed}", severity=Severity.LOW)
    return Verdict.ok("no void lookups")


def _effective_all(node: SpfNode) -> tuple[str, str]:
    """(qualifier, where) of the "all" that ends evaluation, following redirect=."""
    if node.parsed is None:
        return "", node.domain
    term = node.parsed.all_term
    if term is not None:
        return term.qualifier, node.domain
    for lookup in node.lookups:
        if lookup.term.lower().startswith("redirect=") and lookup.child is not None:
            return _effective_all(lookup.child)
    return "", node.domain


def _included(node: SpfNode) -> Iterator[SpfNode]:
    """Every record reached through include: (at any depth)."""
    for lookup in node.lookups:
        if lookup.child is not None:
            if lookup.term.lstrip("+-~?").lower().startswith("include:"):
                yield lookup.child
            yield from _included(lookup.child)


@check(
    id="email.spf-all",
    stage=Stage.EMAIL,
    title="SPF ends with -all (or ~all), never +all or ?all",
    severity=Severity.HIGH,
    harm=Harm.TRUST,
    reads=SPF,
    impact="`+all` authorises every server on the internet to send as you; `?all` or no "
    "`all` says nothing about forgers, so spoofed resets and invoices get through.",
    remediation="End the record with `-all` once every legitimate sender is listed "
    "(`~all` while you are still finding them).",
    references=[f"{RFC7208}#section-5.1", f"{RFC7208}#appendix-D.1"],
)
def spf_all(tree: SpfTree) -> Iterator[Verdict]:
    """The final qualifier decides what forged mail gets. An included record ending in
    +all matches every address too, so the whole include authorises everyone."""
    if tree.root.parsed is None:
        yield _skipped("no SPF record")
        return
    for included in _included(tree.root):
        qualifier, where = _effective_all(included)
        if qualifier == "+":
            yield Verdict.fail(
                f"included record at {where} ends in +all: every address passes",
                target=where,
                severity=Severity.BLOCKER,
            )
    qualifier, where = _effective_all(tree.root)
    at = "" if where == tree.domain else f" (via redirect to {where})"
    if qualifier == "+":
        yield Verdict.fail(
            f"+all{at}: any server may send as {tree.domain}", severity=Severity.BLOCKER
        )
    elif qualifier == "?":
        yield Verdict.fail(f"?all{at}: forged mail is 'neutral', not rejected")
    elif qualifier == "":
        yield Verdict.warn(
            "no 'all' mechanism: unlisted senders get the default 'neutral'",
            severity=Severity.MEDIUM,
        )
    elif qualifier == "~":
        yield Verdict.warn(
            f"~all{at}: forged mail only soft-fails; use -all once every sender is listed",
            severity=Severity.LOW,
        )
    else:
        yield Verdict.ok(f"-all{at}")


@check(
    id="email.spf-ptr",
    stage=Stage.EMAIL,
    title="SPF does not use the ptr mechanism",
    severity=Severity.LOW,
    harm=Harm.EMAIL,
    reads=SPF,
    impact="`ptr` is slow, unreliable and deprecated; some receivers skip or fail it.",
    remediation="Replace `ptr` with the ip4:/ip6: ranges of your senders.",
    references=[f"{RFC7208}#section-5.5"],
)
def spf_ptr(tree: SpfTree) -> Iterator[Verdict]:
    """RFC 7208 §5.5: "This mechanism SHOULD NOT be published"."""
    found = [(n, t) for n, t in tree.terms() if t.name == "ptr" and not t.is_modifier]
    for node, term in found:
        yield Verdict.warn(f"{term.text} at position {term.position}", target=node.domain)
    if not found:
        yield Verdict.ok("no ptr mechanism")


@check(
    id="email.spf-legacy",
    stage=Stage.EMAIL,
    title="No deprecated Sender ID (spf2.0) records",
    severity=Severity.LOW,
    harm=Harm.EMAIL,
    reads=SPF,
    impact="Sender ID is historic; its spf2.0 records confuse tools and hide the real policy.",
    remediation="Delete the spf2.0/… TXT records; the v=spf1 record is the one that counts.",
    references=["https://www.rfc-editor.org/rfc/rfc6686", f"{RFC7208}#appendix-A"],
)
def spf_legacy(tree: SpfTree) -> Verdict:
    """RFC 6686 concluded the Sender ID experiment; nobody evaluates spf2.0 any more."""
    legacy = tree.root.records.legacy if tree.root.records else ()
    if legacy:
        return Verdict.warn(" | ".join(legacy))
    return Verdict.ok("no spf2.0 records")


@check(
    id="email.spf-size",
    stage=Stage.EMAIL,
    title="The SPF record fits a plain DNS answer",
    severity=Severity.LOW,
    harm=Harm.EMAIL,
    reads=SPF,
    impact="Oversized answers need a TCP retry; some receivers' resolvers give up and SPF "
    "becomes a temperror (mail deferred).",
    remediation="Shorten the record (ip ranges instead of many includes) or move senders "
    "to subdomains; remove unused TXT records at the domain.",
    references=[f"{RFC7208}#section-3.4"],
)
def spf_size(tree: SpfTree) -> Verdict:
    """RFC 7208 §3.4: records SHOULD stay under 450 bytes so the answer fits 512 bytes."""
    records = tree.root.records
    if records is None or not records.spf:
        return _skipped("no SPF record")
    size, total = records.record_bytes, records.txt_bytes
    if size > SPF_RECORD_BYTES:
        return Verdict.warn(f"SPF record is {size} bytes (keep under {SPF_RECORD_BYTES})")
    if total > UDP_ANSWER_BYTES:
        return Verdict.warn(
            f"all TXT records at {tree.domain} total {total} bytes "
            f"(over {UDP_ANSWER_BYTES}: needs TCP)"
        )
    return Verdict.ok(f"SPF record is {size} bytes; TXT answer {total} bytes")


@check(
    id="email.spf-includes",
    stage=Stage.EMAIL,
    title="Every SPF include and redirect leads to exactly one record",
    severity=Severity.HIGH,
    harm=Harm.EMAIL,
    reads=SPF,
    impact="An include of a name without an SPF record (or with two, or a loop) is a "
    "permerror: all your mail fails SPF.",
    remediation="Fix or remove the include shown (typos and retired services are common).",
    references=[f"{RFC7208}#section-5.2", f"{RFC7208}#section-6.1"],
)
def spf_includes(tree: SpfTree) -> Iterator[Verdict]:
    """check_host treats include/redirect targets without exactly one record as permerror."""
    if tree.root.parsed is None:
        yield _skipped("no SPF record")
        return
    broken = [n for n in tree.nodes[1:] if n.problem]
    for node in broken:
        if node.problem.startswith("could not check"):
            yield _error(node.problem, target=node.domain)
        else:
            yield Verdict.fail(node.problem, target=node.domain)
    if not broken:
        targets = ", ".join(n.domain for n in tree.nodes[1:])
        yield Verdict.ok(f"each has one record: {targets}" if targets else "no include or redirect")


@check(
    id="email.spf-senders",
    stage=Stage.EMAIL,
    title="Each configured sending IP passes SPF",
    severity=Severity.HIGH,
    harm=Harm.EMAIL,
    reads=SPF_SENDERS,
    impact="Mail from a server SPF does not authorise lands in spam or is rejected.",
    remediation="Add the address (ip4:/ip6:) or the provider's include to the SPF record.",
    references=[f"{RFC7208}#section-4", f"{RFC7208}#section-8"],
)
def spf_senders(sender: SpfSender) -> Verdict:
    """RFC 7208 check_host(), evaluated by pyspf exactly as a receiver would."""
    how = f"{sender.result} for {sender.ip} as {sender.sender}"
    if sender.mechanism:
        how += f" (matched {sender.mechanism})"
    if sender.result == "pass":
        return Verdict.ok(how)
    if sender.result in ("neutral", "none"):
        return Verdict.fail(f"{how}: not authorised", severity=Severity.MEDIUM)
    return Verdict.fail(f"{how}: {sender.explanation}")


@check(
    id="email.provider-dkim",
    stage=Stage.EMAIL,
    title="Each sending service in SPF signs with a key on your domain",
    severity=Severity.MEDIUM,
    harm=Harm.EMAIL,
    reads=PROVIDERS,
    impact="A service listed in SPF but signing with its own domain fails DMARC alignment: "
    "once DMARC is enforced its mail is quarantined or rejected.",
    remediation="Complete the service's domain authentication (the DKIM records it shows), "
    "or give its selector with --dkim-selector.",
    references=[f"{RFC9989}#section-4.4", GOOGLE],
)
def provider_dkim(found: Providers) -> Iterator[Verdict]:
    """Services are recognised from include targets; known fixed selectors are probed."""
    for use in found.uses:
        target = f"{found.domain} ({use.provider})"
        if use.found:
            keys = ", ".join(f"{s}._domainkey" for s in use.found)
            yield Verdict.ok(
                f"{use.provider} (include:{use.include}): key at {keys}", target=target
            )
        elif not use.selectors:
            if found.configured_found:
                shown = ", ".join(found.configured_found)
                yield Verdict.ok(
                    f"{use.provider} selectors are per customer; configured "
                    f"selector(s) {shown} publish keys",
                    target=target,
                )
            else:
                yield Verdict.warn(
                    f"{use.provider} is in SPF; its selectors cannot be guessed ({use.how}): "
                    "give them with --dkim-selector",
                    target=target,
                    severity=Severity.LOW,
                )
        else:
            probed = ", ".join(use.selectors)
            yield Verdict.warn(
                f"{use.provider} is in SPF (include:{use.include}) but no key at its "
                f"selectors ({probed}); {use.how}",
                target=target,
            )
    if not found.uses:
        yield Verdict.ok("no known sending service in the SPF include tree")


# --- DKIM --------------------------------------------------------------------------------


def _key_label(key: DkimKey) -> str:
    flags = " t=y" if key.testing else ""
    return f"{key.key_type} {key.bits} bits{flags}" if key.bits else key.key_type


@check(
    id="email.dkim-key",
    stage=Stage.EMAIL,
    title="A usable DKIM key is published for each selector",
    severity=Severity.HIGH,
    harm=Harm.EMAIL,
    reads=DKIM,
    impact="Without a usable DKIM key your mail is unsigned to receivers: no DMARC pass "
    "through forwarding, and Gmail and Yahoo treat it as suspect.",
    remediation="Publish the key your mail service shows at <selector>._domainkey.<domain> "
    "(one TXT record, `v=DKIM1; k=rsa; p=…`).",
    references=[f"{RFC6376}#section-3.6.1", f"{RFC8301}#section-3.1", GOOGLE],
)
def dkim_key(found: DkimSelectors) -> Iterator[Verdict]:
    """Configured selectors must each answer; discovery probes common selectors and
    reports which were tried. An empty p= is a revoked key (RFC 6376 §3.6.1)."""
    if found.mode == "discovery" and not found.keys:
        probed = ", ".join(found.probed)
        yield Verdict.warn(
            f"no DKIM key under {len(found.probed)} common selectors ({probed}); "
            "give yours with --dkim-selector",
            severity=Severity.MEDIUM,
        )
        return
    if found.mode == "discovery":
        names = ", ".join(k.selector for k in found.keys)
        yield Verdict.ok(
            f"probed {len(found.probed)} common selectors "
            f"({', '.join(found.probed)}); found {names}"
        )
    for key in found.keys:
        how = "" if found.mode == "configured" else " (discovered)"
        if not key.found:
            yield Verdict.fail(f"no TXT record at {key.name}", target=key.name)
        elif key.problem:
            yield Verdict.fail(f"{key.problem}: {' | '.join(key.records)}", target=key.name)
        elif key.revoked:
            if found.mode == "configured":
                yield Verdict.fail("key revoked (empty p=)", target=key.name)
            else:
                yield Verdict.warn("key revoked (empty p=)", target=key.name, severity=Severity.LOW)
        elif key.hashes and "sha256" not in key.hashes:
            yield Verdict.fail(
                f"h={':'.join(key.hashes)}: RFC 8301 forbids rsa-sha1", target=key.name
            )
        else:
            yield Verdict.ok(f"{_key_label(key)}{how}", target=key.name)


@check(
    id="email.dkim-key-size",
    stage=Stage.EMAIL,
    title="DKIM keys are at least 2048-bit RSA (or ed25519)",
    severity=Severity.BLOCKER,
    harm=Harm.EMAIL,
    reads=DKIM,
    impact="Receivers must ignore signatures made with RSA keys under 1024 bits, so the "
    "mail counts as unsigned; 1024-bit keys are deprecated and factorable by a "
    "determined attacker.",
    remediation="Generate a 2048-bit RSA key, publish it under a new selector, switch "
    "signing to it, then revoke the old selector (empty p=).",
    references=[f"{RFC8301}#section-3.2", "https://www.rfc-editor.org/rfc/rfc8463"],
)
def dkim_key_size(found: DkimSelectors) -> Iterator[Verdict]:
    """RFC 8301 §3.2: verifiers MUST NOT accept keys under 1024 bits; signers SHOULD use
    at least 2048. ed25519 (RFC 8463) is strong, but many receivers verify only RSA."""
    usable = [k for k in found.keys if k.usable]
    if not usable:
        yield _skipped("no usable DKIM key to measure")
        return
    for key in usable:
        if key.key_type == "ed25519":
            yield Verdict.ok(
                "ed25519 (keep an RSA key alongside: not every receiver verifies ed25519)",
                target=key.name,
            )
        elif key.bits is not None and key.bits < 1024:
            yield Verdict.fail(
                f"RSA {key.bits} bits: receivers ignore the signature", target=key.name
            )
        elif key.bits is not None and key.bits < 2048:
            yield Verdict.warn(
                f"RSA {key.bits} bits (use 2048)", target=key.name, severity=Severity.MEDIUM
            )
        else:
            yield Verdict.ok(f"RSA {key.bits} bits", target=key.name)


@check(
    id="email.dkim-testing",
    stage=Stage.EMAIL,
    title="DKIM keys are not in testing mode (t=y)",
    severity=Severity.LOW,
    harm=Harm.EMAIL,
    reads=DKIM,
    impact="With t=y receivers may treat failed signatures as if there were none, hiding "
    "problems and weakening protection.",
    remediation="Remove `t=y` from the key record once signing works.",
    references=[f"{RFC6376}#section-3.6.1"],
)
def dkim_testing(found: DkimSelectors) -> Iterator[Verdict]:
    """RFC 6376 §3.6.1: "y" means the domain is testing DKIM."""
    usable = [k for k in found.keys if k.usable]
    if not usable:
        yield _skipped("no usable DKIM key")
    for key in usable:
        if key.testing:
            yield Verdict.warn("t=y (testing mode)", target=key.name)
        else:
            yield Verdict.ok("not in testing mode", target=key.name)


# --- DMARC -------------------------------------------------------------------------------


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
        yield _skipped("no DMARC record")
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
        yield _skipped("no DMARC record")
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
        yield _skipped("no DMARC record")
        return
    if not fact.rua:
        yield Verdict.warn(
            "no rua= address: nobody receives aggregate reports", severity=Severity.LOW
        )
    for uri in (*fact.rua, *fact.ruf):
        target = f"{fact.domain} ({uri.uri})"
        if uri.external and uri.authorized is None:
            yield _error(uri.problem, target=target)
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
    title="DMARC alignment is relaxed",
    severity=Severity.LOW,
    harm=Harm.EMAIL,
    reads=DMARC,
    impact="Strict alignment fails mail whose DKIM or bounce domain is a subdomain "
    "(the usual setup of sending services), so legitimate mail fails DMARC.",
    remediation="Drop adkim=s / aspf=s (relaxed is the default) unless every sender "
    "signs and bounces with exactly the From domain.",
    references=[f"{RFC9989}#section-4.4"],
)
def dmarc_alignment(fact: DmarcFact) -> Iterator[Verdict]:
    """Relaxed alignment accepts any name in the same Organizational Domain."""
    if fact.record is None:
        yield _skipped("no DMARC record")
        return
    strict = [t for t in ("adkim", "aspf") if (fact.tag(t) or "r").lower() == "s"]
    for tag in strict:
        yield Verdict.warn(f"{tag}=s (strict)", target=f"{fact.domain} ({tag}=)")
    if not strict:
        yield Verdict.ok("adkim and aspf relaxed")


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
        yield _skipped("no DMARC record")
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


# --- MX, MTA-STS, TLS-RPT ----------------------------------------------------------------


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


# --- The test send -----------------------------------------------------------------------


@check(
    id="email.send-accepted",
    stage=Stage.EMAIL,
    title="The mail server accepts a password-reset message",
    severity=Severity.HIGH,
    harm=Harm.EMAIL,
    reads=DELIVERY,
    impact="If the server refuses the message, no reset or invite leaves the app.",
    remediation="Check the SMTP host, port, STARTTLS and credentials against your mail "
    "service's settings; the server's answer is in the evidence.",
    references=["https://www.rfc-editor.org/rfc/rfc5321#section-4.2"],
)
def send_accepted(d: Delivery) -> Verdict:
    """The first hop: a 2xx answer to the message from the configured server."""
    how = f"{d.server}{' with STARTTLS' if d.tls else ''}: {d.reply}"
    return Verdict.ok(how) if d.accepted else Verdict.fail(how)


def _not_fetched(d: Delivery) -> Verdict:
    return _skipped("the message was not fetched back (use --sandbox or --imap)")


@check(
    id="email.send-dkim",
    stage=Stage.EMAIL,
    title="The delivered message carries a DKIM signature that verifies",
    severity=Severity.HIGH,
    harm=Harm.EMAIL,
    reads=DELIVERY,
    impact="A missing or broken signature removes the strongest signal mailbox providers "
    "use; with DMARC enforced the message is quarantined or rejected.",
    remediation="Sign with the private key whose public half is at <selector>._domainkey; "
    "make sure nothing rewrites the body or signed headers after signing.",
    references=[f"{RFC6376}#section-6", GOOGLE],
)
def send_dkim(d: Delivery) -> Verdict:
    """Verified on arrival by dkimpy against the key fetched through our resolver."""
    if d.verification is None:
        return _not_fetched(d)
    r = d.verification.dkim
    what = f"d={r.domain} s={r.selector}: {r.detail}" if r.domain else r.detail
    if r.result == "pass":
        return Verdict.ok(what)
    if r.result == "temperror":
        return _error(what)
    return Verdict.fail(what)


@check(
    id="email.send-spf",
    stage=Stage.EMAIL,
    title="The delivered message passes SPF for the connecting address",
    severity=Severity.HIGH,
    harm=Harm.EMAIL,
    reads=DELIVERY,
    impact="Mail from an address SPF does not list goes to spam at most providers.",
    remediation="Authorise the address the receiving server saw (evidence) in the SPF "
    "record of the envelope sender's domain.",
    references=[f"{RFC7208}#section-2.4"],
)
def send_spf(d: Delivery) -> Verdict:
    """check_host() for the peer address the receiving server saw and the MAIL FROM."""
    if d.verification is None:
        return _not_fetched(d)
    s = d.verification.spf
    what = f"{s.result} for {s.ip} as {s.sender}: {s.explanation}"
    if s.result == "pass":
        return Verdict.ok(what)
    if s.result == "temperror":
        return _error(what)
    return Verdict.fail(what)


@check(
    id="email.send-dmarc",
    stage=Stage.EMAIL,
    title="The delivered message passes DMARC (aligned SPF or DKIM)",
    severity=Severity.HIGH,
    harm=Harm.EMAIL,
    reads=DELIVERY,
    impact="A message failing DMARC is quarantined or rejected under your own policy, and "
    "ranks poorly everywhere else: resets land in spam.",
    remediation="Sign with d= of the From domain (or a subdomain), or send with a MAIL "
    "FROM in that domain from an address its SPF lists.",
    references=[f"{RFC9989}#section-4.4", YAHOO],
)
def send_dmarc(d: Delivery) -> Verdict:
    """DMARC needs SPF or DKIM to pass *and* to align with the From domain."""
    if d.verification is None:
        return _not_fetched(d)
    m = d.verification.dmarc
    aligned = [n for n, ok in (("DKIM", m.dkim_aligned), ("SPF", m.spf_aligned)) if ok]
    what = f"{m.result} ({m.detail}; aligned: {', '.join(aligned) or 'none'})"
    if m.result == "pass":
        return Verdict.ok(what)
    if m.result == "temperror":
        return _error(what)
    if m.result == "none":
        return Verdict.fail(
            f"no DMARC policy for {m.from_domain}: {what}", severity=Severity.MEDIUM
        )
    return Verdict.fail(f"{what}; policy {m.policy}")
