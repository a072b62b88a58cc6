"""The test send (``launchready email test-send``): accepted by the server, then — when
fetched back (``--sandbox``, or a real mailbox with ``--imap``) — DKIM, SPF and DMARC as a
receiving provider sees them, and which folder the provider filed it in."""

from __future__ import annotations

from launchready.checks.base import Verdict, check
from launchready.checks.email._shared import (
    GOOGLE,
    RFC6376,
    RFC7208,
    RFC9989,
    YAHOO,
    error,
    skipped,
)
from launchready.core.findings import Harm, Severity, Stage
from launchready.gatherers.email.delivery import DELIVERY, UNKNOWN, Delivery


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


def _not_verified(d: Delivery) -> Verdict:
    """No verification: "could not check" when one was attempted, else "skipped"."""
    if d.unverified:
        return error(f"could not check: {d.unverified}")
    if not d.accepted:
        return skipped("nothing to verify: the server did not accept the message")
    return skipped(
        f"not fetched back from {d.server}: --imap (the recipient's mailbox) or --sandbox "
        "fetches the message back and verifies it on arrival"
    )


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
        return _not_verified(d)
    r = d.verification.dkim
    what = f"d={r.domain} s={r.selector}: {r.detail}" if r.domain else r.detail
    if r.result == "pass":
        return Verdict.ok(what)
    if r.result == "temperror":
        return error(what)
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
        return _not_verified(d)
    s = d.verification.spf
    if s.result == UNKNOWN:
        return error(f"could not check: {s.explanation}")
    seen = f" (address from {d.verification.peer_seen_in})" if d.verification.peer_seen_in else ""
    what = f"{s.result} for {s.ip}{seen} as {s.sender}: {s.explanation}"
    if s.result == "pass":
        return Verdict.ok(what)
    if s.result == "temperror":
        return error(what)
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
        return _not_verified(d)
    m = d.verification.dmarc
    aligned = [n for n, ok in (("DKIM", m.dkim_aligned), ("SPF", m.spf_aligned)) if ok]
    what = f"{m.result} ({m.detail}; aligned: {', '.join(aligned) or 'none'})"
    if m.result == "pass":
        return Verdict.ok(what)
    if m.result == "temperror":
        return error(what)
    if m.result == UNKNOWN:
        return error(f"could not check: {what}")
    if m.result == "none":
        return Verdict.fail(
            f"no DMARC policy for {m.from_domain}: {what}", severity=Severity.MEDIUM
        )
    return Verdict.fail(f"{what}; policy {m.policy}")


@check(
    id="email.send-inbox",
    stage=Stage.EMAIL,
    title="The mailbox provider files the password reset in the inbox, not in Junk",
    severity=Severity.HIGH,
    harm=Harm.EMAIL,
    reads=DELIVERY,
    impact="A reset or invite filed as spam is one the customer never sees: they cannot "
    "log in, and the first support ticket of the launch is about it.",
    remediation="Fix what the other send checks report first (DKIM, SPF, DMARC); then look "
    "at the content and the sending address's reputation with the provider's tools "
    "(Google Postmaster Tools, Microsoft SNDS) and warm a new sending domain up slowly.",
    references=[GOOGLE, YAHOO, "https://www.rfc-editor.org/rfc/rfc6154#section-2"],
)
def send_inbox(d: Delivery) -> Verdict:
    """Where the message was found in the recipient's mailbox (``--imap`` only)."""
    if d.verification is None:
        return _not_verified(d)
    v = d.verification
    if not v.folder:
        return skipped("the sandbox receiver has no folders: --imap tells inbox from Junk")
    if v.junk:
        return Verdict.fail(f"found in {v.folder!r}, the provider's Junk folder")
    return Verdict.ok(f"found in {v.folder!r}")
