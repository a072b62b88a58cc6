"""Edge checks on plain facts: headers, CSP, SRI, mixed content, caching, delivery.

The lab tests (test_edge_lab.py) show each against a real server; these pin the rules,
including cases no lab server plays (meta CSP, Expires, Vary, CDN address ranges).
"""

from __future__ import annotations

import pytest

from launchready.checks.base import Check
from launchready.checks.edge.cache import (
    cache_private,
    cache_set_cookie,
    cdn_cache_hit,
    shared_storable,
    static_cache,
)
from launchready.checks.edge.content import mixed_content, sri
from launchready.checks.edge.csp import csp, csp_strict, csp_unsafe_eval, parse_policy
from launchready.checks.edge.delivery import cdn, compression, page_speed
from launchready.checks.edge.headers import (
    cors,
    cross_origin_policies,
    frame_protection,
    hsts_preload,
    hsts_subdomains,
    nosniff,
    permissions_policy,
    referrer_policy,
)
from launchready.core.findings import Severity, Status
from launchready.core.outcome import Outcome
from launchready.engine import evaluate
from launchready.gatherers.edge.assets import Asset, AssetsFact
from launchready.gatherers.edge.cache import AUTH_RESPONSE, AuthResponseFact, Snapshot
from launchready.gatherers.edge.cors import PROBE_ORIGIN, CorsAnswer, CorsFact
from launchready.gatherers.edge.http import PageFact, parse_set_cookie
from launchready.ranking import rank_findings, score

HTML = (("Content-Type", "text/html; charset=utf-8"),)
STRICT = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def page(
    *headers: tuple[str, str],
    body: str = "",
    url: str = "https://app.test/",
    cookies: tuple[str, ...] = (),
    html: bool = True,
    **kw: object,
) -> PageFact:
    all_headers = (*HTML, *headers) if html else headers
    return PageFact(
        url,
        200,
        tuple(all_headers),
        tuple(parse_set_cookie(c) for c in cookies),
        kw.pop("elapsed_ms", 20.0),  # type: ignore[arg-type]
        kw.pop("body_bytes", len(body)),  # type: ignore[arg-type]
        body=body,
        **kw,  # type: ignore[arg-type]
    )


def status(check: Check, fact: object) -> list[Status]:
    return [v.status for v in check.evaluate(fact)]


def one(check: Check, fact: object) -> tuple[Status, str]:
    (verdict,) = check.evaluate(fact)
    return verdict.status, verdict.evidence


# --- CSP ---------------------------------------------------------------------------------


def test_csp_parser_keeps_the_first_directive_and_lowercases_keywords() -> None:
    policy = parse_policy("Script-Src 'SELF' https://CDN.test; script-src *; ; object-src 'none'")
    assert policy.directives == {
        "script-src": ("'self'", "https://CDN.test"),
        "object-src": ("'none'",),
    }
    assert policy.sources("img-src") is None  # no default-src: unrestricted


@pytest.mark.parametrize(
    ("policy", "expected", "why"),
    [
        (STRICT, Status.PASS, "scripts and plugins restricted"),
        ("default-src 'self'", Status.PASS, "restricted"),  # object-src falls back
        ("script-src 'self'", Status.FAIL, "no object-src and no default-src"),
        ("default-src 'self'; script-src 'self' 'unsafe-inline'", Status.FAIL, "unsafe-inline"),
        ("default-src 'self'; script-src 'nonce-abc' 'unsafe-inline'", Status.PASS, "restricted"),
        ("default-src 'self'; script-src 'sha256-x' 'strict-dynamic' https:", Status.PASS, ""),
        ("default-src 'self'; script-src 'self' https:", Status.FAIL, "any host (https:)"),
        ("default-src 'self'; script-src 'self' data:", Status.FAIL, "data: URLs"),
        ("default-src 'self'; script-src http://cdn.test", Status.FAIL, "plain http"),
        ("default-src 'self'; object-src *", Status.FAIL, "object-src allows any host"),
        ("default-src * 'unsafe-inline' 'unsafe-eval'", Status.FAIL, "any host (*)"),
    ],
)
def test_csp_grading(policy: str, expected: Status, why: str) -> None:
    got, evidence = one(csp, page(("Content-Security-Policy", policy)))
    assert got == expected and why in evidence


def test_csp_missing_report_only_meta_and_non_html() -> None:
    assert one(csp, page())[0] == Status.FAIL
    report_only = page(("Content-Security-Policy-Report-Only", STRICT))
    assert "Report-Only" in one(csp, report_only)[1]
    meta = f'<html><head><meta http-equiv="Content-Security-Policy" content="{STRICT}">'
    assert one(csp, page(body=meta))[0] == Status.PASS
    # One of two enforced policies holding is enough: content must satisfy both.
    two = page(("Content-Security-Policy", "default-src *, " + STRICT))
    assert one(csp, two)[0] == Status.PASS
    json_api = page(("Content-Type", "application/json"), html=False)
    for check in (csp, csp_unsafe_eval, csp_strict):
        assert one(check, json_api)[0] == Status.SKIPPED


def test_csp_unsafe_eval_and_the_strict_profile() -> None:
    assert one(csp_unsafe_eval, page(("Content-Security-Policy", STRICT)))[0] == Status.PASS
    evil = page(("Content-Security-Policy", "default-src 'self' 'unsafe-eval'"))
    assert one(csp_unsafe_eval, evil)[0] == Status.FAIL
    assert one(csp_unsafe_eval, page())[0] == Status.SKIPPED  # edge.csp reports the absence
    assert one(csp_strict, page(("Content-Security-Policy", STRICT)))[0] == Status.PASS
    lax, evidence = one(csp_strict, page(("Content-Security-Policy", "default-src 'self'")))
    assert lax == Status.FAIL
    assert all(d in evidence for d in ("frame-ancestors", "base-uri", "form-action"))
    broad = STRICT.replace("form-action 'self'", "form-action https:")
    assert (
        "form-action is too broad" in one(csp_strict, page(("Content-Security-Policy", broad)))[1]
    )
    # frame-ancestors is ignored in <meta>: browsers only honour it in the header.
    meta = f'<meta http-equiv="content-security-policy" content="{STRICT}">'
    assert "frame-ancestors" in one(csp_strict, page(body=meta))[1]


# --- other headers -----------------------------------------------------------------------


def test_hsts_details() -> None:
    full = page(("Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload"))
    assert status(hsts_subdomains, full) == status(hsts_preload, full) == [Status.PASS]
    bare = page(("Strict-Transport-Security", "max-age=63072000"))
    assert status(hsts_subdomains, bare) == [Status.WARN]
    status_, evidence = one(hsts_preload, bare)
    assert status_ == Status.WARN and "includeSubDomains, preload" in evidence
    short = page(("Strict-Transport-Security", "max-age=600; includeSubDomains; preload"))
    assert "max-age ≥ 31536000" in one(hsts_preload, short)[1]
    assert status(hsts_subdomains, page()) == [Status.SKIPPED]  # edge.hsts judges absence


def test_nosniff_frames_referrer_permissions() -> None:
    assert status(nosniff, page(("X-Content-Type-Options", "nosniff"))) == [Status.PASS]
    assert status(nosniff, page(("X-Content-Type-Options", "sniff"))) == [Status.FAIL]
    assert status(nosniff, page()) == [Status.FAIL]
    ancestors = page(("Content-Security-Policy", "frame-ancestors 'self'"))
    assert status(frame_protection, ancestors) == [Status.PASS]
    star = page(("Content-Security-Policy", "frame-ancestors *"), ("X-Frame-Options", "DENY"))
    assert status(frame_protection, star) == [Status.FAIL]  # the CSP wins over XFO
    assert status(frame_protection, page(("X-Frame-Options", "SAMEORIGIN"))) == [Status.PASS]
    allow_from = page(("X-Frame-Options", "ALLOW-FROM https://x.test"))
    assert status(frame_protection, allow_from) == [Status.WARN]
    assert status(frame_protection, page(("X-Frame-Options", "yes"))) == [Status.FAIL]
    assert status(frame_protection, page()) == [Status.FAIL]
    last_wins = page(("Referrer-Policy", "unsafe-url, bogus, strict-origin-when-cross-origin"))
    assert status(referrer_policy, last_wins) == [Status.PASS]
    assert status(referrer_policy, page(("Referrer-Policy", "no-referrer-when-downgrade"))) == [
        Status.FAIL
    ]
    assert status(referrer_policy, page(("Referrer-Policy", "bogus"))) == [Status.FAIL]
    assert status(referrer_policy, page()) == [Status.WARN]
    meta = page(body='<meta name="x"><meta name="referrer" content="same-origin">')
    assert status(referrer_policy, meta) == [Status.PASS]
    assert status(permissions_policy, page(("Permissions-Policy", "camera=()"))) == [Status.PASS]
    assert status(permissions_policy, page()) == [Status.WARN]


def test_referrer_policy_reads_the_standard_meta_form() -> None:
    """HTML defines ``<meta name="referrer">``; it comes after the header, so it wins."""
    document = page(body='<head><meta name="Referrer" content="strict-origin"></head>').document
    assert document.named_meta_value("referrer") == ["strict-origin"]
    assert document.meta_value("referrer") == []  # not an http-equiv
    overridden = page(
        ("Referrer-Policy", "no-referrer"), body='<meta name="referrer" content="unsafe-url">'
    )
    status_, evidence = one(referrer_policy, overridden)
    assert status_ == Status.FAIL and "unsafe-url" in evidence
    # Browsers ignore the http-equiv spelling: the page has no policy.
    legacy = page(body='<meta http-equiv="Referrer-Policy" content="no-referrer">')
    assert status(referrer_policy, legacy) == [Status.WARN]


def test_cross_origin_policies_name_each_header() -> None:
    verdicts = cross_origin_policies.evaluate(
        page(
            ("Cross-Origin-Opener-Policy", "same-origin"),
            ("Cross-Origin-Resource-Policy", "cross-origin"),
        )
    )
    assert [(v.status, v.target) for v in verdicts] == [
        (Status.PASS, "https://app.test/ (Cross-Origin-Opener-Policy)"),
        (Status.WARN, "https://app.test/ (Cross-Origin-Resource-Policy)"),
    ]


def cors_fact(*answers: tuple[str, ...]) -> CorsFact:
    return CorsFact(
        "https://app.test/",
        PROBE_ORIGIN,
        tuple(
            CorsAnswer(method, 200, tuple(zip(h[::2], h[1::2], strict=True)))
            for method, *h in answers
        ),
    )


def test_cors() -> None:
    assert status(cors, cors_fact(("GET",), ("OPTIONS",))) == [Status.PASS]
    public = cors_fact(("GET", "Access-Control-Allow-Origin", "*"))
    assert status(cors, public) == [Status.PASS]
    creds = (
        "Access-Control-Allow-Origin",
        PROBE_ORIGIN,
        "Access-Control-Allow-Credentials",
        "true",
    )
    assert status(cors, cors_fact(("GET",), ("OPTIONS", *creds))) == [Status.FAIL]
    null = ("Access-Control-Allow-Origin", "null", "Access-Control-Allow-Credentials", "true")
    assert status(cors, cors_fact(("GET", *null))) == [Status.FAIL]
    (echo,) = cors.evaluate(cors_fact(("GET", "Access-Control-Allow-Origin", PROBE_ORIGIN)))
    assert echo.status == Status.WARN and echo.severity == Severity.LOW


def test_cors_reads_every_answer_before_passing_a_public_one() -> None:
    creds = ("Access-Control-Allow-Origin", PROBE_ORIGIN, "Access-Control-Allow-Credentials")
    public_then_credentialed = cors_fact(
        ("GET", "Access-Control-Allow-Origin", "*"), ("OPTIONS", *creds, "true")
    )
    (verdict,) = cors.evaluate(public_then_credentialed)
    assert verdict.status == Status.FAIL and "OPTIONS answered" in verdict.evidence
    public_then_echo = cors_fact(
        ("GET", "Access-Control-Allow-Origin", "*"),
        ("OPTIONS", "Access-Control-Allow-Origin", PROBE_ORIGIN),
    )
    assert status(cors, public_then_echo) == [Status.WARN]


# --- markup ------------------------------------------------------------------------------


def test_sri_external_scripts() -> None:
    own = page(body='<script src="/app.js"></script><script src="https://app.test/x.js"></script>')
    assert status(sri, own) == [Status.PASS]
    bare = page(body='<script src="https://cdn.test/lib.js"></script>')
    assert status(sri, bare) == [Status.FAIL]
    pinned = '<script src="//cdn.test/lib.js" integrity="sha384-x" crossorigin="anonymous">'
    assert status(sri, page(body=pinned)) == [Status.PASS]
    no_cors = page(body='<script src="https://cdn.test/lib.js" integrity="sha384-x"></script>')
    assert status(sri, no_cors) == [Status.WARN]
    sibling = page(body='<script src="https://static.app.test/a.js"></script>')
    assert status(sri, sibling) == [Status.FAIL]  # stricter than the Observatory, on purpose


def test_mixed_content_active_versus_passive() -> None:
    assert status(mixed_content, page(body='<img src="https://x.test/a.png">')) == [Status.PASS]
    (passive,) = mixed_content.evaluate(page(body='<img src="http://x.test/a.png">'))
    assert passive.status == Status.WARN and passive.severity == Severity.LOW
    for markup in (
        '<script src="http://x.test/a.js"></script>',
        '<link rel="stylesheet" href="HTTP://x.test/a.css">',
        '<iframe src="http://x.test/"></iframe>',
        '<form action="http://x.test/login"></form>',
    ):
        assert status(mixed_content, page(body=markup)) == [Status.FAIL], markup
    icon = page(body='<link rel="icon" href="http://x.test/favicon.ico">')
    assert status(mixed_content, icon) == [Status.WARN]
    plain = page(body='<script src="http://x.test/a.js"></script>', url="http://app.test/")
    assert status(mixed_content, plain) == [Status.PASS]  # not mixed: nothing is https


# --- caching -----------------------------------------------------------------------------


def test_shared_storability_follows_rfc_9111() -> None:
    def why(**h: str) -> str | None:
        return shared_storable({k.replace("_", "-"): v for k, v in h.items()})

    assert why(cache_control="private, max-age=600") is None
    assert why(cache_control="no-store, public") is None
    assert why(cache_control="public") == "Cache-Control: public"
    assert why(cache_control="s-maxage=60") == "s-maxage=60"
    assert why(cache_control="max-age=60") == "max-age=60 without private"
    assert why(cache_control="max-age=0") is None
    assert why(cache_control="no-cache, max-age=60") is None
    day = "Wed, 01 Jan 2031 00:00:00 GMT"
    assert why(expires=day, date="Tue, 01 Jan 2030 00:00:00 GMT") == f"Expires: {day}"
    assert why(expires="0", date="Tue, 01 Jan 2030 00:00:00 GMT") is None
    assert why() is None


def snap(status_: int = 200, body: str = "mine", *headers: tuple[str, str]) -> Snapshot:
    import hashlib

    return Snapshot(status_, headers, hashlib.sha256(body.encode()).hexdigest(), len(body))


def auth(
    *headers: tuple[str, str], anon: Snapshot | None = None, status_: int = 200
) -> AuthResponseFact:
    return AuthResponseFact(
        "https://app.test/admin",
        "--cookie session",
        anon or snap(302, ""),
        snap(status_, "mine", *headers),
    )


def test_cache_private() -> None:
    assert status(cache_private, auth(("Cache-Control", "private, no-store"))) == [Status.PASS]
    assert status(cache_private, auth(("Cache-Control", "public, max-age=60"))) == [Status.FAIL]
    (missing,) = cache_private.evaluate(auth())
    assert missing.status == Status.WARN and missing.severity == Severity.MEDIUM
    (no_cache,) = cache_private.evaluate(auth(("Cache-Control", "no-cache")))
    assert no_cache.status == Status.WARN and no_cache.severity == Severity.LOW
    cookie = auth(("Cache-Control", "max-age=60"), ("Set-Cookie", "a=b"))
    assert "sets a cookie" in one(cache_private, cookie)[1]
    same = auth(("Cache-Control", "public"), anon=snap(200, "mine"))
    assert status(cache_private, same) == [Status.PASS]  # not personalised: a public page
    assert status(cache_private, auth(status_=401)) == [Status.ERROR]


def test_a_session_that_did_not_sign_in_is_could_not_check() -> None:
    """A stale --cookie: both requests get the same redirect to the login page."""
    to_login = (("Location", "/login"), ("Cache-Control", "no-store"))
    stale = AuthResponseFact(
        "https://app.test/admin",
        "--header/--cookie: cookie session",
        snap(302, "", *to_login),
        snap(302, "", *to_login),
    )
    for check in (cache_private, cdn_cache_hit):
        (verdict,) = check.evaluate(stale)
        assert verdict.status == Status.ERROR, check.id
        assert "session did not sign in" in verdict.evidence and "302 to /login" in verdict.evidence
    refused = AuthResponseFact("https://app.test/admin", "s", snap(401, "no"), snap(401, "no"))
    assert status(cdn_cache_hit, refused) == [Status.ERROR]
    # The engine keeps it out of the score and the must-fix list: not evaluated, not passed.
    findings = rank_findings(evaluate(cache_private, [Outcome.ok(AUTH_RESPONSE, "u", stale)]))
    assert [(f.status, f.must_fix) for f in findings] == [(Status.ERROR, False)]
    assert score(findings).overall is None
    # Identical signed-in and anonymous 200s still mean a public page, as before.
    same = auth(("Cache-Control", "public"), anon=snap(200, "mine"))
    assert status(cdn_cache_hit, same) == [Status.PASS]


def test_cdn_cache_hit() -> None:
    assert status(cdn_cache_hit, auth(("CF-Cache-Status", "HIT"))) == [Status.FAIL]
    assert status(cdn_cache_hit, auth(("Age", "12"))) == [Status.FAIL]
    assert status(cdn_cache_hit, auth(("Cache-Status", "edge; hit"))) == [Status.FAIL]
    miss = auth(("CF-Cache-Status", "DYNAMIC"), ("Age", "0"))
    assert one(cdn_cache_hit, miss) == (
        Status.PASS,
        "not served from a cache (CF-Cache-Status: DYNAMIC)",
    )
    public = auth(("X-Cache", "Hit from cloudfront"), anon=snap(200, "mine"))
    assert status(cdn_cache_hit, public) == [Status.PASS]


def test_set_cookie_on_cacheable_pages() -> None:
    assert status(cache_set_cookie, page()) == [Status.PASS]
    ok = page(("Cache-Control", "no-store"), cookies=("sid=1; Secure",))
    assert status(cache_set_cookie, ok) == [Status.PASS]
    bad = page(("Cache-Control", "public, max-age=300"), cookies=("sid=1; Secure",))
    assert status(cache_set_cookie, bad) == [Status.FAIL]


def test_static_cache_per_asset() -> None:
    def asset(url: str, cc: str | None, code: int = 200) -> Asset:
        return Asset(url, "stylesheet", code, (("Cache-Control", cc),) if cc else (), 10)

    fact = AssetsFact(
        "https://app.test/",
        (
            asset("https://app.test/a.css", "public, max-age=31536000"),
            asset("https://app.test/b.css", "max-age=60, immutable"),
            asset("https://app.test/c.css", "max-age=3600"),
            asset("https://app.test/d.css", None),
            asset("https://app.test/e.css", "no-cache"),
            asset("https://app.test/f.css", "max-age=31536000", 404),
        ),
    )
    got = [(v.target, v.status) for v in static_cache.evaluate(fact)]
    assert got == [
        ("https://app.test/a.css", Status.PASS),
        ("https://app.test/b.css", Status.PASS),
        ("https://app.test/c.css", Status.WARN),
        ("https://app.test/d.css", Status.WARN),
        ("https://app.test/e.css", Status.WARN),
        ("https://app.test/f.css", Status.FAIL),
    ]
    assert status(static_cache, AssetsFact("https://app.test/", ())) == [Status.PASS]


# --- delivery ----------------------------------------------------------------------------


def test_page_speed_budget() -> None:
    assert status(page_speed, page(elapsed_ms=1900.0, ttfb_ms=300.0)) == [Status.PASS]
    assert status(page_speed, page(elapsed_ms=2100.0, ttfb_ms=300.0)) == [Status.FAIL]
    assert status(page_speed, page(elapsed_ms=2500.0, ttfb_ms=2400.0)) == [Status.FAIL]


def test_compression() -> None:
    big = page(body_bytes=50_000)
    assert status(compression, big) == [Status.FAIL]
    assert status(compression, page(("Content-Encoding", "br"), body_bytes=50_000)) == [Status.PASS]
    assert status(compression, page(body_bytes=500)) == [Status.PASS]
    image = page(("Content-Type", "image/png"), html=False, body_bytes=50_000)
    assert status(compression, image) == [Status.SKIPPED]
    json_api = page(("Content-Type", "application/json"), html=False, body_bytes=50_000)
    assert status(compression, json_api) == [Status.FAIL]


def test_cdn_from_headers_and_address_ranges() -> None:
    assert status(cdn, page()) == [Status.WARN]
    assert "Cloudflare (cf-ray)" in one(cdn, page(("CF-Ray", "abc-AMS")))[1]
    assert "Amazon CloudFront" in one(cdn, page(("Via", "1.1 abc.cloudfront.net (CloudFront)")))[1]
    by_address = one(cdn, page(peer="104.16.1.1"))
    assert by_address[0] == Status.PASS and "address 104.16.1.1" in by_address[1]
    assert status(cdn, page(peer="2606:4700::1")) == [Status.PASS]
    assert status(cdn, page(peer="192.0.2.1")) == [Status.WARN]


def test_cdn_with_a_peer_that_is_not_an_address() -> None:
    """A peer given as a name (a pin to "localhost") has no range to look up: no crash."""
    assert status(cdn, page(peer="localhost")) == [Status.WARN]
    by_header = one(cdn, page(("CF-Ray", "abc-AMS"), peer="localhost"))
    assert by_header[0] == Status.PASS and "Cloudflare (cf-ray)" in by_header[1]
