"""SPF: one well-formed record, within its lookup limits, ending in -all, and each
configured sending address authorised by ``check_host()`` (RFC 7208)."""

from __future__ import annotations

from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.checks.email._shared import GOOGLE, RFC7208, YAHOO, error, skipped
from launchready.core.findings import Harm, Severity, Stage
from launchready.gatherers.email.check_host import SPF_SENDERS, SpfSender
from launchready.gatherers.email.spf import (
    LOOKUP_LIMIT,
    SPF,
    VOID_LIMIT,
    SpfNode,
    SpfTree,
    render_lookups,
)

SPF_RECORD_BYTES = 450  # RFC 7208 §3.4: keep a record's answer within a 512-byte UDP reply
UDP_ANSWER_BYTES = 512


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
        yield skipped("no SPF record to parse")
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
        return skipped("no SPF record")
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
        return skipped("no SPF record")
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
        yield skipped("no SPF record")
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
        return skipped("no SPF record")
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
        yield skipped("no SPF record")
        return
    broken = [n for n in tree.nodes[1:] if n.problem]
    for node in broken:
        if node.problem.startswith("could not check"):
            yield error(node.problem, target=node.domain)
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
