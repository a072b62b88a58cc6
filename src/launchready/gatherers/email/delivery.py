"""The test send: a DKIM-signed password reset through a real SMTP server, fetched back
and verified the way a receiving mailbox provider would — DKIM against the key in DNS,
SPF for the connecting address, DMARC alignment — all through our resolver.

Sending, fetching back and verifying have a deadline each: a fetch or verification that
overruns (a message that never arrives, a resolver that never answers) leaves the send's
own result standing and makes only the verification "could not check".

In an audit there is nothing to send; the fact is "skipped" with the command that
provides it (`launchready email test-send`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from email import message_from_bytes
from email.policy import default as default_policy
from email.utils import getaddresses
from typing import Any

import aiosmtplib
import dkim
import dkim.util

from launchready.config.netspec import HostPort
from launchready.core.outcome import Outcome
from launchready.gatherers.base import GatherContext, describe_error
from launchready.gatherers.email.check_host import SpfSender, blocking_dns, check_host
from launchready.gatherers.email.dmarc import dmarc, organizational_domain, walk
from launchready.gatherers.email.dnsio import DnsFailure, txt
from launchready.gatherers.email.message import domain_of, reset_message, sign, wire_bytes
from launchready.gatherers.network import Network

DELIVERY = "email.delivery"
UNKNOWN = "unknown"  # a result of our own: the headers leave nothing to evaluate


@dataclass(frozen=True)
class DkimResult:
    result: str  # pass | fail | none | temperror
    domain: str  # d=
    selector: str  # s=
    bits: int | None
    detail: str


@dataclass(frozen=True)
class DmarcResult:
    from_domain: str
    result: str  # pass | fail | none (no policy) | temperror | unknown
    policy: str | None  # what the receiver is asked to do with failing mail
    location: str | None
    dkim_aligned: bool
    spf_aligned: bool
    detail: str


@dataclass(frozen=True)
class Arrival:
    """A message as the receiving server got it."""

    peer_ip: str  # "" when the receiving side recorded no connecting address
    mail_from: str | None  # "" for a bounce (MAIL FROM:<>); None when nothing recorded it
    data: bytes
    folder: str = ""  # the mailbox folder it was found in ("" when not from a mailbox)
    junk: bool = False  # that folder is where the provider files spam
    peer_seen_in: str = ""  # the trace header the address was read from, or why none was


@dataclass(frozen=True)
class Verification:
    """What the receiving side concludes about one arrived message."""

    peer_ip: str
    dkim: DkimResult
    spf: SpfSender
    dmarc: DmarcResult
    folder: str = ""
    junk: bool = False
    peer_seen_in: str = ""


@dataclass(frozen=True)
class Delivery:
    message_id: str
    sender: str
    recipient: str
    server: str
    tls: bool
    accepted: bool
    reply: str  # the server's answer to the message (or why sending failed)
    verification: Verification | None = None  # None when not fetched back or not verified
    unverified: str = ""  # why a message that was to be fetched back has no verification


@dataclass(frozen=True)
class SendOptions:
    sender: str
    recipient: str
    server: HostPort
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    dkim_key: bytes | None = None
    dkim_selector: str | None = None


# Gets a sent message back by its Message-ID; None when it gave up without finding it.
Fetch = Callable[[str], Awaitable[Arrival | None]]


class FetchError(Exception):
    """The receiving side could not be read (refused login, no TLS, connection lost); the
    message is one line and never contains a password."""


class _Log:
    """dkimpy reports why a signature failed only through its logger."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, msg: str, *args: Any) -> None:
        self.errors.append(msg % args if args else msg)

    def debug(self, msg: str, *args: Any) -> None:
        return None

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 - logging's name
        return False


def _signature_tags(data: bytes) -> dict[bytes, bytes] | None:
    msg = message_from_bytes(data)
    value = msg.get("DKIM-Signature")
    if value is None:
        return None
    try:
        tags: dict[bytes, bytes] = dkim.util.parse_tag_value(
            re.sub(r"\s+", " ", str(value)).encode()
        )
    except dkim.util.InvalidTagValueList:
        return {}
    return tags


async def verify_dkim(network: Network, data: bytes) -> DkimResult:
    """Verify the first DKIM signature with the key published in DNS (via our resolver)."""
    tags = _signature_tags(data)
    if tags is None:
        return DkimResult("none", "", "", None, "the message carries no DKIM-Signature")
    domain = tags.get(b"d", b"").decode(errors="replace").lower()
    selector = tags.get(b"s", b"").decode(errors="replace")
    if not domain or not selector:
        return DkimResult("fail", domain, selector, None, "DKIM-Signature lacks d= or s=")
    name = f"{selector}._domainkey.{domain}"
    try:
        answer = await txt(network, name)
    except DnsFailure as exc:
        return DkimResult("temperror", domain, selector, None, str(exc))
    keys = answer.texts()
    wanted = name.rstrip(".")

    def dnsfunc(qname: bytes | str, timeout: float = 5) -> bytes | None:
        text = qname.decode() if isinstance(qname, bytes) else qname
        return keys[0] if keys and text.rstrip(".").lower() == wanted.lower() else None

    log = _Log()
    verifier = dkim.DKIM(data, logger=log, minkey=1024)
    try:
        ok = bool(verifier.verify(dnsfunc=dnsfunc))
    except dkim.DKIMException as exc:
        ok, log.errors = False, [*log.errors, str(exc)]
    bits = verifier.keysize or None
    if ok:
        return DkimResult("pass", domain, selector, bits, f"verified with the key at {name}")
    detail = "; ".join(log.errors) or "signature does not verify"
    return DkimResult("fail", domain, selector, bits, detail)


def _from_domain(data: bytes) -> str:
    msg = message_from_bytes(data, policy=default_policy)
    addresses = getaddresses([str(v) for v in msg.get_all("From", [])])
    return domain_of(addresses[0][1]) if addresses else ""


async def _org(network: Network, domain: str) -> str:
    try:
        found, _, _ = await walk(network, domain)
    except DnsFailure:
        return domain  # unknown: only an exact match can count as aligned
    return organizational_domain(domain, found)


async def _aligned(network: Network, a: str, b: str, mode: str) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    return mode != "s" and await _org(network, a) == await _org(network, b)


_NO_VERDICT = (UNKNOWN, "temperror")


async def _undecided(
    network: Network, from_domain: str, dkim_: DkimResult, adkim: str, spf: SpfSender, aspf: str
) -> list[str]:
    """The halves with no verdict that would align if they passed (an unknown envelope
    domain might)."""
    undecided = []
    if dkim_.result in _NO_VERDICT and await _aligned(network, dkim_.domain, from_domain, adkim):
        undecided.append("DKIM")
    if spf.result in _NO_VERDICT and (
        not spf.domain or await _aligned(network, spf.domain, from_domain, aspf)
    ):
        undecided.append("SPF")
    return undecided


async def verify_dmarc(
    network: Network, data: bytes, dkim_result: DkimResult, spf: SpfSender
) -> DmarcResult:
    """RFC 9989 §4.4: DMARC passes when SPF or DKIM passes *and* aligns with From."""
    from_domain = _from_domain(data)
    if not from_domain:
        return DmarcResult("", "fail", None, None, False, False, "no From address")
    try:
        fact = await dmarc(network, from_domain)
    except DnsFailure as exc:
        return DmarcResult(from_domain, "temperror", None, None, False, False, str(exc))
    adkim, aspf = (fact.tag("adkim") or "r").lower(), (fact.tag("aspf") or "r").lower()
    dkim_ok = dkim_result.result == "pass" and await _aligned(
        network, dkim_result.domain, from_domain, adkim
    )
    spf_ok = spf.result == "pass" and await _aligned(network, spf.domain, from_domain, aspf)
    ids = f"From {from_domain}, DKIM d={dkim_result.domain or '-'}, SPF {spf.domain or '-'}"
    if fact.location is None:
        return DmarcResult(from_domain, "none", None, None, dkim_ok, spf_ok, f"no policy; {ids}")
    result = "pass" if dkim_ok or spf_ok else "fail"
    undecided = await _undecided(network, from_domain, dkim_result, adkim, spf, aspf)
    if result == "fail" and undecided:
        # A fail needs both halves judged; one without a verdict that could still align
        # leaves DMARC undecided, not failed.
        ids = f"{' and '.join(undecided)} could not be judged; {ids}"
        result = UNKNOWN
    return DmarcResult(from_domain, result, fact.policy, fact.location, dkim_ok, spf_ok, ids)


async def verify_arrival(network: Network, arrival: Arrival) -> Verification:
    dkim_result = await verify_dkim(network, arrival.data)
    if arrival.mail_from is None:
        why = "the receiving side recorded no envelope sender (no Return-Path)"
        spf = SpfSender("", arrival.peer_ip, "", UNKNOWN, "", why)
    else:
        # An empty MAIL FROM (a bounce) is checked as postmaster@ the From domain.
        mail_from = arrival.mail_from or f"postmaster@{_from_domain(arrival.data)}"
        if arrival.peer_ip:
            dns_ = blocking_dns(network)
            spf = await check_host(dns_, arrival.peer_ip, mail_from, domain_of(mail_from))
        else:
            why = f"the receiving side recorded no connecting address ({arrival.peer_seen_in})"
            spf = SpfSender(domain_of(mail_from), "", mail_from, UNKNOWN, "", why)
    dmarc_result = await verify_dmarc(network, arrival.data, dkim_result, spf)
    return Verification(
        arrival.peer_ip,
        dkim_result,
        spf,
        dmarc_result,
        arrival.folder,
        arrival.junk,
        arrival.peer_seen_in,
    )


async def _send(
    network: Network, opts: SendOptions, data: bytes, timeout_s: float
) -> tuple[bool, str]:
    """(accepted, the server's reply); raises when the conversation itself fails."""
    host, port = opts.server
    (address, real_port), *_ = await network.addresses(host, port)
    client = aiosmtplib.SMTP(
        hostname=address,
        port=real_port,
        timeout=timeout_s,
        start_tls=False,
        tls_context=network.ssl_context,
    )
    await client.connect()
    try:
        if opts.starttls:
            # Verify the certificate against the name we were given, not the address.
            await client.starttls(server_hostname=host, tls_context=network.ssl_context)
        if opts.user:
            await client.login(opts.user, opts.password or "")
        errors, reply = await client.sendmail(opts.sender, [opts.recipient], data)
    finally:
        client.close()
    if errors:
        refused = "; ".join(f"{rcpt}: {r.code} {r.message}" for rcpt, r in errors.items())
        return False, refused
    return True, reply


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    return str(exc) or type(exc).__name__


def time_limit(timeout_s: float) -> float:
    """The longest ``send_test_message`` takes: ``timeout_s`` to send, as long again to
    fetch the message back, and as long again to verify it."""
    return 3 * timeout_s


class _NotVerified(Exception):
    """Why the accepted message has no verdict (one line)."""


async def _fetch_and_verify(
    network: Network, fetch: Fetch, message_id: str, timeout_s: float
) -> Verification:
    try:
        arrival = await asyncio.wait_for(fetch(message_id), timeout_s)
    except TimeoutError:
        arrival = None
    except FetchError as exc:
        raise _NotVerified(str(exc)) from None
    if arrival is None:
        raise _NotVerified(
            f"the accepted message {message_id} did not arrive within {timeout_s:g} s"
        )
    try:
        return await asyncio.wait_for(verify_arrival(network, arrival), timeout_s)
    except TimeoutError:
        raise _NotVerified(
            f"no verdict within {timeout_s:g} s: checking DKIM, SPF and DMARC through the "
            "resolver took longer"
        ) from None


async def send_test_message(
    network: Network, opts: SendOptions, fetch: Fetch | None, timeout_s: float = 30.0
) -> Delivery:
    """Send one reset message; when ``fetch`` can get it back, verify it on arrival.

    Each step — send, fetch, verify — gets ``timeout_s`` of its own (see ``time_limit``)."""
    msg = reset_message(opts.sender, opts.recipient)
    message_id = str(msg["Message-ID"])
    data = wire_bytes(msg)
    if opts.dkim_key is not None and opts.dkim_selector:
        data = sign(
            data,
            selector=opts.dkim_selector,
            domain=domain_of(opts.sender),
            private_key=opts.dkim_key,
        )
    server = f"{opts.server[0]}:{opts.server[1]}"
    try:
        # aiosmtplib's timeout is per command; the whole conversation gets one deadline.
        accepted, reply = await asyncio.wait_for(_send(network, opts, data, timeout_s), timeout_s)
    except aiosmtplib.SMTPResponseException as exc:
        accepted, reply = False, f"{exc.code} {exc.message}"
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        # Not "could not check": failing to hand the message over *is* the finding.
        accepted, reply = False, _why(exc)
    sent = Delivery(message_id, opts.sender, opts.recipient, server, opts.starttls, accepted, reply)
    if not accepted or fetch is None:
        return sent
    try:
        verification = await _fetch_and_verify(network, fetch, message_id, timeout_s)
        return replace(sent, verification=verification)
    except _NotVerified as exc:
        why = str(exc)
    except Exception as exc:  # noqa: BLE001 - the send's result stands; only this is unknown
        why = f"verification failed: {describe_error(exc)}"
    return replace(sent, unverified=why)


class DeliveryGatherer:
    """In an audit no message is sent: the fact says how to get it."""

    name: str = "email-delivery"
    provides: tuple[str, ...] = (DELIVERY,)

    async def gather(self, ctx: GatherContext) -> list[Outcome[Any]]:
        target = ", ".join(ctx.config.email.domains) or "-"
        reason = "no test send in an audit: run `launchready email test-send`"
        return [Outcome.skipped(DELIVERY, target, reason)]
