"""Edge checks on plain facts: certificates, TLS configuration, DNS and the redirect map."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from launchready.checks.base import Check
from launchready.checks.edge.dns import caa, dns_authoritative, dns_dangling, dns_resolves
from launchready.checks.edge.redirects import canonical_origin, redirect_hops, redirect_loop
from launchready.checks.edge.tls import (
    matches_hostname,
    tls_1_2,
    tls_1_3,
    tls_aead,
    tls_chain,
    tls_expiry,
    tls_forward_secrecy,
    tls_hostname,
    tls_key,
    tls_legacy_protocols,
    tls_lifetime,
    tls_signature,
)
from launchready.core.artifacts import published
from launchready.core.findings import Severity, Status
from launchready.core.outcome import Outcome
from launchready.gatherers.edge.dns import CaaFact, CaaRecord, NameRecords
from launchready.gatherers.edge.http import MAX_HOPS, TOO_MANY, Hop, RedirectChain
from launchready.gatherers.edge.redirects import REDIRECT_MAP, RedirectMap
from launchready.gatherers.edge.tls import CertificateFact, ProtocolProbe, TlsConfigFact
from launchready.gatherers.edge.x509 import CertInfo

NOW = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)


def status(check: Check, fact: object) -> list[Status]:
    return [v.status for v in check.evaluate(fact)]


def cert(**over: object) -> CertInfo:
    base = CertInfo(
        subject="CN=app.test",
        issuer="CN=Test CA",
        common_name="app.test",
        dns_names=("app.test", "*.app.test"),
        ip_addresses=(),
        not_before=NOW - dt.timedelta(days=10),
        not_after=NOW + dt.timedelta(days=80),
        key_type="EC",
        key_bits=256,
        curve="secp256r1",
        signature_algorithm="ecdsa-with-SHA256",
        signature_hash="sha256",
        is_ca=False,
        self_issued=False,
    )
    return replace(base, **over)  # type: ignore[arg-type]


def certificate(leaf: CertInfo | None = None, **over: object) -> CertificateFact:
    leaf = leaf or cert()
    base = CertificateFact(
        host="app.test",
        port=443,
        address="127.0.0.1",
        observed_at=NOW,
        leaf=leaf,
        presented=(leaf, cert(subject="CN=Test CA", issuer="CN=Root", is_ca=True)),
        trust_store="CA bundle ca.pem",
        verified=True,
        verify_code=None,
        verify_message=None,
    )
    return replace(base, **over)  # type: ignore[arg-type]


def test_hostname_matching_follows_rfc_6125() -> None:
    c = cert(dns_names=("app.test", "*.api.test"), ip_addresses=("127.0.0.1",))
    assert matches_hostname("APP.test.", c)
    assert matches_hostname("v1.api.test", c)
    assert not matches_hostname("api.test", c)  # a wildcard needs a label
    assert not matches_hostname("a.v1.api.test", c)  # and covers exactly one
    assert matches_hostname("127.0.0.1", c) and not matches_hostname("127.0.0.2", c)
    assert status(tls_hostname, certificate()) == [Status.PASS]
    assert status(tls_hostname, replace(certificate(), host="www.test")) == [Status.FAIL]


def test_expiry_boundaries() -> None:
    assert status(tls_expiry, certificate()) == [Status.PASS]
    (soon,) = tls_expiry.evaluate(certificate(cert(not_after=NOW + dt.timedelta(days=20))))
    assert (
        soon.status == Status.WARN and soon.severity == Severity.HIGH and "20 days" in soon.evidence
    )
    later = certificate(cert(not_after=NOW + dt.timedelta(days=22)))
    assert status(tls_expiry, later) == [Status.PASS]
    gone = certificate(cert(not_after=NOW - dt.timedelta(days=3)))
    assert status(tls_expiry, gone) == [Status.FAIL]
    early = certificate(cert(not_before=NOW + dt.timedelta(days=1)))
    assert status(tls_expiry, early) == [Status.FAIL]


@pytest.mark.parametrize(
    ("over", "expected", "severity", "words"),
    [
        ({}, Status.PASS, None, "verifies against"),
        ({"verified": False, "verify_code": 18}, Status.FAIL, None, "self-signed"),
        ({"verified": False, "verify_code": 19}, Status.FAIL, None, "root not in"),
        ({"verified": None, "verify_message": "handshake failed"}, Status.FAIL, None, "handshake"),
        (
            {"verified": False, "verify_code": 66, "verify_message": "EE key too small"},
            Status.FAIL,
            None,
            "66",
        ),
    ],
)
def test_chain_verdicts(
    over: dict, expected: Status, severity: Severity | None, words: str
) -> None:
    (v,) = tls_chain.evaluate(certificate(**over))
    assert v.status == expected and v.severity == severity and words in v.evidence


def test_chain_tells_a_missing_intermediate_from_an_unknown_issuer() -> None:
    leaf = cert()
    missing = certificate(leaf, verified=False, verify_code=20, presented=(leaf,))
    (v,) = tls_chain.evaluate(missing)
    assert (
        v.status == Status.FAIL and v.severity == Severity.HIGH and "incomplete chain" in v.evidence
    )
    unknown = certificate(leaf, verified=False, verify_code=20)
    (v,) = tls_chain.evaluate(unknown)
    assert v.status == Status.FAIL and v.severity is None and "is not in the" in v.evidence
    unseen = certificate(leaf, verified=False, verify_code=20, presented=None)
    assert "not observable" in tls_chain.evaluate(unseen)[0].evidence
    # An expired leaf still chains: edge.tls-expiry owns that problem, not this check.
    expired = cert(not_after=NOW - dt.timedelta(days=1))
    assert status(tls_chain, certificate(expired, verified=False, verify_code=10)) == [Status.PASS]
    assert status(tls_chain, certificate(verified=False, verify_code=10)) == [Status.FAIL]


def test_key_signature_and_lifetime() -> None:
    assert status(tls_key, certificate()) == [Status.PASS]
    assert status(tls_key, certificate(cert(key_type="RSA", key_bits=2048, curve=None))) == [
        Status.PASS
    ]
    assert status(tls_key, certificate(cert(key_type="RSA", key_bits=1024, curve=None))) == [
        Status.FAIL
    ]
    assert status(tls_signature, certificate()) == [Status.PASS]
    sha1_leaf = cert(signature_hash="sha1", signature_algorithm="sha1WithRSAEncryption")
    assert status(tls_signature, certificate(sha1_leaf, presented=None)) == [Status.FAIL]
    sha1_root = cert(subject="CN=Root", issuer="CN=Root", self_issued=True, signature_hash="sha1")
    root_only = certificate(presented=(cert(), sha1_root))
    assert status(tls_signature, root_only) == [Status.PASS]  # a root's self-signature is moot
    assert status(tls_lifetime, certificate()) == [Status.PASS]
    year = cert(not_before=NOW - dt.timedelta(days=10), not_after=NOW + dt.timedelta(days=355))
    assert "at most 200 days" in tls_lifetime.evaluate(certificate(year))[0].evidence
    old = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    before_sc081 = cert(not_before=old, not_after=old + dt.timedelta(days=397))
    assert status(tls_lifetime, certificate(before_sc081)) == [Status.PASS]


def config(offered: dict[str, bool | None], **over: object) -> TlsConfigFact:
    base = TlsConfigFact(
        host="app.test",
        port=443,
        protocols=tuple(
            ProtocolProbe(v, o, "accepted" if o else "refused") for v, o in offered.items()
        ),
        negotiated_version="TLSv1.3",
        negotiated_cipher="TLS_AES_128_GCM_SHA256",
        rsa_key_exchange=False,
        cbc_suites=False,
    )
    return replace(base, **over)  # type: ignore[arg-type]


MODERN = {"TLSv1": False, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": True}


def test_protocol_versions() -> None:
    good = config(MODERN)
    for check in (tls_legacy_protocols, tls_1_2, tls_1_3, tls_forward_secrecy, tls_aead):
        assert status(check, good) == [Status.PASS], check.id
    assert status(tls_legacy_protocols, config({**MODERN, "TLSv1": True})) == [Status.FAIL]
    untestable = config({**MODERN, "TLSv1": None, "TLSv1.1": None})
    assert status(tls_legacy_protocols, untestable) == [Status.SKIPPED]
    only13 = config({**MODERN, "TLSv1.2": False}, rsa_key_exchange=None, cbc_suites=None)
    assert status(tls_1_2, only13) == [Status.FAIL]
    # This machine could not test TLS 1.2: no verdict, like TLS 1.3 in the same case.
    no_probe = config({**MODERN, "TLSv1.2": None})
    assert status(tls_1_2, no_probe) == status(tls_1_3, config({**MODERN, "TLSv1.3": None}))
    assert status(tls_1_2, no_probe) == [Status.SKIPPED]
    assert status(tls_forward_secrecy, only13) == [Status.PASS]
    assert status(tls_1_3, config({**MODERN, "TLSv1.3": False})) == [Status.WARN]


def test_forward_secrecy_and_aead() -> None:
    assert status(tls_forward_secrecy, config(MODERN, rsa_key_exchange=True)) == [Status.FAIL]
    (cbc,) = tls_aead.evaluate(config(MODERN, cbc_suites=True))
    assert cbc.status == Status.WARN and cbc.severity == Severity.LOW
    cbc_only = config(
        MODERN, negotiated_version="TLSv1.2", negotiated_cipher="ECDHE-RSA-AES128-SHA"
    )
    assert status(tls_aead, cbc_only) == [Status.FAIL]
    gcm = config(
        MODERN, negotiated_version="TLSv1.2", negotiated_cipher="ECDHE-RSA-AES128-GCM-SHA256"
    )
    assert status(tls_aead, gcm) == [Status.PASS]
    assert status(tls_aead, config(MODERN, negotiated_cipher=None, negotiated_version=None)) == [
        Status.SKIPPED
    ]


# --- DNS -----------------------------------------------------------------------------------


def records(**over: object) -> NameRecords:
    base = NameRecords(
        name="app.test",
        exists=True,
        ipv4=("192.0.2.1",),
        ipv6=(),
        cnames=(),
        dangling=None,
        server="127.0.0.1:5353",
        authoritative=True,
        nameservers_configured=True,
        pinned=False,
    )
    return replace(base, **over)  # type: ignore[arg-type]


def test_dns_checks() -> None:
    ok = records()
    assert status(dns_resolves, ok) == status(dns_dangling, ok) == [Status.PASS]
    assert "no AAAA" in dns_resolves.evaluate(ok)[0].evidence
    assert status(dns_resolves, records(exists=False, ipv4=())) == [Status.FAIL]
    dangling = records(
        ipv4=(), cnames=("old.host.test",), dangling="CNAME target old.host.test does not exist"
    )
    assert status(dns_resolves, dangling) == status(dns_dangling, dangling) == [Status.FAIL]
    chained = records(cnames=("lb.host.test",))
    assert "lb.host.test resolves" in dns_dangling.evaluate(chained)[0].evidence
    assert status(dns_authoritative, ok) == [Status.PASS]
    assert status(dns_authoritative, records(authoritative=False)) == [Status.WARN]
    assert status(dns_authoritative, records(nameservers_configured=False)) == [Status.SKIPPED]
    assert "pinned" in dns_resolves.evaluate(records(pinned=True))[0].evidence


def test_caa() -> None:
    issue = CaaFact(
        "app.test", "test", (CaaRecord(0, "issue", "letsencrypt.org"),), ("app.test", "test")
    )
    assert status(caa, issue) == [Status.PASS]
    iodef = replace(issue, records=(CaaRecord(0, "iodef", "mailto:x@test"),))
    assert status(caa, iodef) == [Status.WARN]
    assert status(caa, CaaFact("app.test", None, (), ("app.test",))) == [Status.FAIL]


# --- redirect map --------------------------------------------------------------------------


def chain(*hops: tuple[str, int | None, str | None] | tuple[str, None, None, str]) -> RedirectChain:
    built = tuple(Hop(*h) for h in hops)
    return RedirectChain(built[0].url, built)


def test_redirect_hops_count_origins_not_app_paths() -> None:
    app_hop = chain(
        ("http://a.test/", 301, "https://a.test/"),
        ("https://a.test/", 303, "/login"),
        ("https://a.test/login", 200, None),
    )
    assert status(redirect_hops, app_hop) == [Status.PASS]
    long = chain(
        ("http://a.test/", 301, "https://a.test/"),
        ("https://a.test/", 301, "https://www.a.test/"),
        ("https://www.a.test/", 301, "https://app.a.test/"),
        ("https://app.a.test/", 200, None),
    )
    assert status(redirect_hops, long) == [Status.WARN]
    broken = chain(("http://a.test/", None, None, "refused"))
    assert status(redirect_hops, broken) == [Status.SKIPPED]


def rmap(*chains: RedirectChain, domain: str | None = "a.test") -> RedirectMap:
    return RedirectMap(domain, ("a.test", "www.a.test"), chains)


def test_canonical_origin_and_loops() -> None:
    apex = chain(
        ("https://a.test/", 301, "https://www.a.test/"), ("https://www.a.test/", 200, None)
    )
    www = chain(("https://www.a.test/", 200, None))
    assert status(canonical_origin, rmap(apex, www)) == [Status.PASS]
    split = chain(("https://a.test/", 200, None))
    verdict = canonical_origin.evaluate(rmap(split, www))[0]
    assert verdict.status == Status.FAIL and "two origins" in verdict.evidence
    assert "https://www.a.test/ →" in verdict.evidence  # the map is documented in evidence
    down = chain(("https://www.a.test/", None, None, "does not resolve"))
    (one_down,) = canonical_origin.evaluate(rmap(apex, down))
    assert one_down.status == Status.WARN and one_down.severity == Severity.LOW
    assert status(canonical_origin, rmap(split, domain=None)) == [Status.SKIPPED]
    loop = chain(
        ("https://a.test/", 302, "/x"),
        ("https://a.test/x", 302, "/"),
        ("https://a.test/", None, None, "redirect loop"),
    )
    assert [(v.status, v.target) for v in redirect_loop.evaluate(rmap(apex, loop))] == [
        (Status.FAIL, "https://a.test/")
    ]
    assert status(redirect_loop, rmap(apex, www)) == [Status.PASS]


def test_a_chain_cut_at_the_hop_limit_is_a_loop() -> None:
    endless = chain(
        *((f"https://a.test/{i}", 302, f"/{i + 1}") for i in range(MAX_HOPS)),
        (f"https://a.test/{MAX_HOPS}", None, None, TOO_MANY),  # as the gatherer ends it
    )
    assert [(v.status, v.target) for v in redirect_loop.evaluate(rmap(endless))] == [
        (Status.FAIL, "https://a.test/0")
    ]


def test_the_redirect_map_is_published_whole() -> None:
    apex = chain(("http://a.test/", 301, "https://a.test/"), ("https://a.test/", 200, None))
    outcome: Outcome[RedirectMap] = Outcome.ok(REDIRECT_MAP, "a.test", rmap(apex))
    extras = published([outcome, Outcome.error(REDIRECT_MAP, "b.test", "down")])
    assert extras == {
        "redirect_map": [
            {
                "start": "http://a.test/",
                "hops": [
                    {
                        "url": "http://a.test/",
                        "status": 301,
                        "location": "https://a.test/",
                        "error": None,
                    },
                    {"url": "https://a.test/", "status": 200, "location": None, "error": None},
                ],
                "redirects": 1,
                "ends_at": "https://a.test/",
                "final_status": 200,
                "error": None,
            }
        ]
    }


def test_later_temporary_hops_between_origins_are_noted() -> None:
    temporary = chain(
        ("http://a.test/", 301, "https://a.test/"),
        ("https://a.test/", 302, "https://www.a.test/"),
        ("https://www.a.test/", 302, "/login"),
        ("https://www.a.test/login", 200, None),
    )
    (v,) = redirect_hops.evaluate(temporary)
    # Only the move between origins is listed, not the app's own /→/login inside one.
    assert v.status == Status.WARN and "origins (https://a.test/ [302]):" in v.evidence
