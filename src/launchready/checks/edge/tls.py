"""Stage ``edge``, TLS: a certificate browsers accept, and protocols and suites worth having.

Grading follows SSL Labs' caps where they bite a launch: untrusted, expired or mismatched
certificates are blockers (a full-page browser warning); no TLS 1.2 locks out older
clients; TLS 1.0/1.1, missing forward secrecy or AEAD are weaknesses to fix, not blockers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.core.findings import Harm, Severity, Stage, Status
from launchready.gatherers.edge.names import is_ip
from launchready.gatherers.edge.tls import CERTIFICATE, TLS_CONFIG, CertificateFact, TlsConfigFact
from launchready.gatherers.edge.x509 import CertInfo

EXPIRY_WARN_DAYS = 21
SSL_LABS = "https://github.com/ssllabs/research/wiki/SSL-Server-Rating-Guide"
MOZILLA_TLS = "https://wiki.mozilla.org/Security/Server_Side_TLS"
CABF = "https://cabforum.org/working-groups/server/baseline-requirements/requirements/"
# CA/Browser Forum ballot SC-081: the longest lifetime a public CA may issue, by issue date.
MAX_LIFETIME_DAYS = (
    (dt.datetime(2029, 3, 15, tzinfo=dt.UTC), 47),
    (dt.datetime(2027, 3, 15, tzinfo=dt.UTC), 100),
    (dt.datetime(2026, 3, 15, tzinfo=dt.UTC), 200),
    (dt.datetime(2020, 9, 1, tzinfo=dt.UTC), 398),
)
# OpenSSL's X509_V_ERR_* codes that the chain check explains in words.
SELF_SIGNED, SELF_SIGNED_IN_CHAIN, NO_LOCAL_ISSUER, EXPIRED = 18, 19, 20, 10


def matches_hostname(host: str, cert: CertInfo) -> bool:
    """RFC 6125: subjectAltName only (browsers ignore the CN); '*' covers one left label."""
    host = host.lower().rstrip(".")
    if is_ip(host):
        return host in cert.ip_addresses
    for pattern in cert.dns_names:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and host.count(".") == pattern.count("."):
                return True
        elif host == pattern.rstrip("."):
            return True
    return False


@check(
    id="edge.tls-hostname",
    stage=Stage.EDGE,
    title="The certificate covers the name",
    severity=Severity.BLOCKER,
    harm=Harm.TRUST,
    reads=CERTIFICATE,
    impact="A certificate for another name is a full-page browser warning: customers stop, or "
    "learn to click through warnings.",
    remediation="Issue a certificate whose subjectAltName lists this exact name (or a wildcard "
    "for its parent) and install it on every server behind the name.",
    references=["https://www.rfc-editor.org/rfc/rfc6125#section-6.4", SSL_LABS],
)
def tls_hostname(fact: CertificateFact) -> Verdict:
    """Browsers match only subjectAltName entries; the subject CN has not counted since 2017."""
    names = ", ".join(fact.leaf.dns_names + fact.leaf.ip_addresses) or "no subjectAltName"
    if matches_hostname(fact.host, fact.leaf):
        return Verdict.ok(f"{fact.host} is covered (subjectAltName: {names})")
    return Verdict.fail(f"certificate is for {names}, not {fact.host}")


@check(
    id="edge.tls-expiry",
    stage=Stage.EDGE,
    title="The certificate is valid and not about to expire",
    severity=Severity.BLOCKER,
    harm=Harm.TRUST,
    reads=CERTIFICATE,
    impact="An expired certificate takes the whole site down behind a browser warning, usually "
    "on a weekend, because renewal was manual or silently failed.",
    remediation="Renew now and automate renewal (ACME: certbot, your CDN's managed "
    "certificates); alert when fewer than 21 days remain.",
    references=[SSL_LABS, "https://letsencrypt.org/docs/integration-guide/"],
)
def tls_expiry(fact: CertificateFact) -> Verdict:
    """Warn under 21 days: that leaves two weekly renewal attempts and a human to notice."""
    leaf, now = fact.leaf, fact.observed_at
    until = leaf.not_after.date().isoformat()
    if leaf.not_before > now:
        return Verdict.fail(f"not valid before {leaf.not_before.isoformat()} (clock or issuance)")
    days = (leaf.not_after - now).total_seconds() / 86400
    if days < 0:
        return Verdict.fail(f"expired on {until} ({-days:.0f} days ago)")
    if days < EXPIRY_WARN_DAYS:
        return Verdict.warn(f"expires on {until}, in {days:.0f} days", severity=Severity.HIGH)
    return Verdict.ok(f"valid until {until} ({days:.0f} days left)")


@check(
    id="edge.tls-chain",
    stage=Stage.EDGE,
    title="The certificate chain is complete and trusted",
    severity=Severity.BLOCKER,
    harm=Harm.TRUST,
    reads=CERTIFICATE,
    impact="An untrusted certificate (self-signed, unknown CA) is a browser warning for "
    "everyone; a missing intermediate breaks curl, mobile apps and API clients while desktop "
    "browsers hide it.",
    remediation="Install the certificate with its full chain (the CA's 'fullchain' file: leaf "
    "then intermediates) from a publicly trusted CA.",
    references=[SSL_LABS, "https://www.rfc-editor.org/rfc/rfc8446#section-4.4.2"],
)
def tls_chain(fact: CertificateFact) -> Verdict:
    """OpenSSL decides trust (against --ca-bundle or the system store); the chain as sent
    (from a TLS 1.2 handshake) tells a missing intermediate from an unknown CA."""
    sent = _sent(fact)
    if fact.verified:
        return Verdict.ok(f"verifies against the {fact.trust_store}; sent: {sent}")
    if fact.verified is None:
        return Verdict.fail(f"{fact.verify_message}; sent: {sent}")
    code, why = fact.verify_code, fact.verify_message
    if code == EXPIRED and fact.leaf.not_after < fact.observed_at:
        return Verdict.ok(
            f"chain builds to the {fact.trust_store}; the certificate itself has expired "
            f"(see edge.tls-expiry); sent: {sent}"
        )
    if code == SELF_SIGNED:
        return Verdict.fail(f"self-signed certificate ({fact.leaf.subject})")
    if code == SELF_SIGNED_IN_CHAIN:
        return Verdict.fail(f"the chain ends in a root not in the {fact.trust_store}: {sent}")
    if code == NO_LOCAL_ISSUER and fact.presented is not None:
        last = fact.presented[-1]
        if len(fact.presented) == 1 and not last.self_issued:
            return Verdict.fail(
                f"incomplete chain: the server sends only its own certificate; its issuer "
                f"({last.issuer}) is neither sent nor in the {fact.trust_store}",
                severity=Severity.HIGH,
            )
        return Verdict.fail(f"issuer {last.issuer} is not in the {fact.trust_store}; sent: {sent}")
    return Verdict.fail(f"not trusted: {why} (OpenSSL error {code}); sent: {sent}")


def _sent(fact: CertificateFact) -> str:
    if fact.presented is None:
        return "(not observable: the server does not speak TLS 1.2)"
    return " ← ".join(c.subject for c in fact.presented) or "(nothing)"


@check(
    id="edge.tls-key",
    stage=Stage.EDGE,
    title="The certificate key is strong enough",
    severity=Severity.HIGH,
    harm=Harm.TRUST,
    reads=CERTIFICATE,
    impact="Browsers and current OpenSSL refuse RSA keys under 2048 bits; weak keys can be "
    "factored, so anyone could impersonate the site.",
    remediation="Issue a new certificate with an ECDSA P-256 key (or RSA 2048/3072).",
    references=[MOZILLA_TLS, SSL_LABS],
)
def tls_key(fact: CertificateFact) -> Verdict:
    """RSA ≥ 2048, EC ≥ 256, EdDSA fine; DSA is obsolete for TLS."""
    leaf = fact.leaf
    kind = f"{leaf.key_type} {leaf.key_bits} bits" + (f" ({leaf.curve})" if leaf.curve else "")
    weak = (
        (leaf.key_type == "RSA" and leaf.key_bits < 2048)
        or (leaf.key_type == "EC" and leaf.key_bits < 256)
        or leaf.key_type == "DSA"
    )
    return Verdict.fail(f"weak key: {kind}") if weak else Verdict.ok(kind)


@check(
    id="edge.tls-signature",
    stage=Stage.EDGE,
    title="Certificates are signed with SHA-2 or better",
    severity=Severity.HIGH,
    harm=Harm.TRUST,
    reads=CERTIFICATE,
    impact="Browsers reject SHA-1 and MD5 signed certificates: collisions for them can be "
    "bought, so the signature proves nothing.",
    remediation="Reissue the certificate (and use a CA chain) signed with SHA-256 or better.",
    references=[SSL_LABS, "https://shattered.io/"],
)
def tls_signature(fact: CertificateFact) -> Verdict:
    """The leaf and every intermediate sent; a root's self-signature is never checked."""
    certs = [c for c in (fact.presented or (fact.leaf,)) if not c.self_issued] or [fact.leaf]
    weak = [c for c in certs if (c.signature_hash or "") in ("sha1", "md5")]
    if weak:
        listed = "; ".join(f"{c.subject}: {c.signature_algorithm}" for c in weak)
        return Verdict.fail(f"weak signature: {listed}")
    return Verdict.ok(", ".join(sorted({c.signature_algorithm for c in certs})))


@check(
    id="edge.tls-lifetime",
    stage=Stage.EDGE,
    title="The certificate's lifetime is within what browsers accept",
    severity=Severity.MEDIUM,
    harm=Harm.TRUST,
    reads=CERTIFICATE,
    impact="Browsers reject publicly trusted certificates that live longer than the CA/Browser "
    "Forum allows (398 days, 200 from March 2026); long lives also mean manual renewals.",
    remediation="Use automated, short-lived certificates (ACME, 90 days or less).",
    references=[CABF, "https://cabforum.org/2025/04/11/ballot-sc081v3/"],
)
def tls_lifetime(fact: CertificateFact) -> Verdict:
    """The limit depends on the issue date (not_before); private CAs are exempt in browsers but
    the same rule keeps renewal automated."""
    leaf = fact.leaf
    limit = next((d for since, d in MAX_LIFETIME_DAYS if leaf.not_before >= since), None)
    days = leaf.lifetime_days
    text = f"{days:.0f} days ({leaf.not_before.date()} to {leaf.not_after.date()})"
    if limit is not None and days > limit + 1:
        return Verdict.fail(f"{text}; certificates issued then may live at most {limit} days")
    return Verdict.ok(text)


# --- protocols and suites --------------------------------------------------------------


def _untestable(fact: TlsConfigFact, versions: tuple[str, ...]) -> list[str]:
    return [p.detail for p in fact.protocols if p.version in versions and p.offered is None]


@check(
    id="edge.tls-legacy-protocols",
    stage=Stage.EDGE,
    title="TLS 1.0 and 1.1 are switched off",
    severity=Severity.MEDIUM,
    harm=Harm.TRUST,
    reads=TLS_CONFIG,
    impact="TLS 1.0/1.1 (RFC 8996) allow downgrade and padding attacks; browsers refuse them, "
    "and compliance scans (PCI DSS) fail the whole site.",
    remediation="Set the minimum protocol to TLS 1.2 at the server, load balancer or CDN.",
    references=["https://www.rfc-editor.org/rfc/rfc8996", MOZILLA_TLS],
)
def tls_legacy_protocols(fact: TlsConfigFact) -> Verdict:
    """Probed with a client pinned to each version at OpenSSL security level 0."""
    offered = [p.version for p in fact.protocols if p.version in ("TLSv1", "TLSv1.1") and p.offered]
    if offered:
        return Verdict.fail(f"offered: {', '.join(offered)}")
    unknown = _untestable(fact, ("TLSv1", "TLSv1.1"))
    if len(unknown) == 2:
        return Verdict(Status.SKIPPED, f"could not be tested here: {unknown[0]}")
    note = f" ({'; '.join(unknown)})" if unknown else ""
    return Verdict.ok(f"TLS 1.0 and 1.1 refused{note}")


@check(
    id="edge.tls-1-2",
    stage=Stage.EDGE,
    title="TLS 1.2 is offered",
    severity=Severity.HIGH,
    harm=Harm.LOGIN,
    reads=TLS_CONFIG,
    impact="Clients without TLS 1.3 — older phones, Java 8 and many API integrations — cannot "
    "connect at all.",
    remediation="Offer TLS 1.2 (with ECDHE and AES-GCM/ChaCha20 suites) alongside TLS 1.3.",
    references=[MOZILLA_TLS, SSL_LABS],
)
def tls_1_2(fact: TlsConfigFact) -> Verdict:
    """SSL Labs caps a server without TLS 1.2 at C; Mozilla's intermediate profile needs it."""
    probe = next(p for p in fact.protocols if p.version == "TLSv1.2")
    if probe.offered:
        return Verdict.ok(probe.detail)
    if probe.offered is None:  # this machine could not test it: no verdict, either way
        return Verdict(Status.SKIPPED, probe.detail)
    return Verdict.fail(f"TLS 1.2 {probe.detail}")


@check(
    id="edge.tls-1-3",
    stage=Stage.EDGE,
    title="TLS 1.3 is offered",
    severity=Severity.LOW,
    harm=Harm.SLOW,
    reads=TLS_CONFIG,
    impact="TLS 1.3 saves a round trip on every new connection and drops every weak suite.",
    remediation="Enable TLS 1.3 (OpenSSL 1.1.1+, every current CDN and load balancer).",
    references=["https://www.rfc-editor.org/rfc/rfc8446", MOZILLA_TLS],
)
def tls_1_3(fact: TlsConfigFact) -> Verdict:
    """Missing TLS 1.3 is noted, not failed: SSL Labs caps at A-."""
    probe = next(p for p in fact.protocols if p.version == "TLSv1.3")
    if probe.offered:
        return Verdict.ok(probe.detail)
    if probe.offered is None:
        return Verdict(Status.SKIPPED, probe.detail)
    return Verdict.warn(f"TLS 1.3 {probe.detail}")


@check(
    id="edge.tls-forward-secrecy",
    stage=Stage.EDGE,
    title="Every TLS suite has forward secrecy",
    severity=Severity.MEDIUM,
    harm=Harm.DATA_EXPOSURE,
    reads=TLS_CONFIG,
    impact="With RSA key exchange, anyone who records traffic today and obtains the key later "
    "(a leak, a seized server) decrypts every recorded session.",
    remediation="Offer only ECDHE (or DHE) suites for TLS 1.2; TLS 1.3 always has forward secrecy.",
    references=[MOZILLA_TLS, SSL_LABS],
)
def tls_forward_secrecy(fact: TlsConfigFact) -> Verdict:
    """Probed with a TLS 1.2 client offering only RSA key exchange suites."""
    if fact.offered("TLSv1.2") is False:
        return Verdict.ok("no TLS 1.2: every TLS 1.3 suite has forward secrecy")
    if fact.rsa_key_exchange:
        return Verdict.fail("TLS 1.2 accepts suites with RSA key exchange (no forward secrecy)")
    if fact.rsa_key_exchange is None:
        return Verdict(Status.SKIPPED, "could not be tested with this machine's OpenSSL")
    return Verdict.ok(
        f"RSA key exchange refused; a browser-like client gets {fact.negotiated_cipher}"
    )


def _aead(cipher: str | None, version: str | None) -> bool:
    return version == "TLSv1.3" or any(m in (cipher or "") for m in ("GCM", "CHACHA20", "CCM"))


@check(
    id="edge.tls-aead",
    stage=Stage.EDGE,
    title="Connections use AEAD suites (AES-GCM, ChaCha20)",
    severity=Severity.MEDIUM,
    harm=Harm.TRUST,
    reads=TLS_CONFIG,
    impact="CBC suites are the source of a decade of padding-oracle attacks (Lucky13, POODLE "
    "variants); AEAD suites are not.",
    remediation="Prefer ECDHE with AES-GCM or ChaCha20-Poly1305; drop CBC suites once old "
    "clients allow.",
    references=[MOZILLA_TLS, SSL_LABS],
)
def tls_aead(fact: TlsConfigFact) -> Iterator[Verdict]:
    """A modern client must get AEAD; CBC kept for old clients is a lesser, low note."""
    if fact.negotiated_cipher is None:
        yield Verdict(Status.SKIPPED, "a client with default settings got no handshake")
    elif not _aead(fact.negotiated_cipher, fact.negotiated_version):
        yield Verdict.fail(
            f"a browser-like client gets {fact.negotiated_cipher} ({fact.negotiated_version})"
        )
    elif fact.cbc_suites:
        yield Verdict.warn(
            f"a browser-like client gets {fact.negotiated_cipher}, but TLS 1.2 still accepts "
            "CBC suites",
            severity=Severity.LOW,
        )
    else:
        yield Verdict.ok(f"{fact.negotiated_cipher} ({fact.negotiated_version}); no CBC suites")
