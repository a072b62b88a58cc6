"""Edge checks on plain facts: each fails on its problem and passes when it is fixed."""

from launchready.checks.edge.basics import hsts, https_redirect
from launchready.checks.edge.cookies import cookie_httponly, cookie_samesite, cookie_secure
from launchready.core.findings import Severity, Status
from launchready.gatherers.edge.http import Hop, PageFact, RedirectChain, parse_set_cookie


def page(url: str = "https://app.test/login", headers=(), cookies=()) -> PageFact:
    return PageFact(url, 200, tuple(headers), tuple(parse_set_cookie(c) for c in cookies), 5.0, 100)


def statuses(check, fact) -> list[Status]:
    return [v.status for v in check.evaluate(fact)]


def test_hsts_missing_short_and_good() -> None:
    assert statuses(hsts, page()) == [Status.FAIL]
    short = hsts.evaluate(page(headers=[("Strict-Transport-Security", "max-age=3600")]))[0]
    assert short.status == Status.WARN and short.severity == Severity.MEDIUM
    good = page(headers=[("strict-transport-security", "max-age=63072000; includeSubDomains")])
    assert statuses(hsts, good) == [Status.PASS]
    assert statuses(hsts, page(headers=[("Strict-Transport-Security", "max-age=abc")])) == [
        Status.FAIL
    ]
    assert statuses(hsts, page(url="http://app.test/")) == [Status.FAIL]


def test_cookie_flags() -> None:
    bad = page(cookies=["session=abc; Path=/; HttpOnly; SameSite=lax"])
    assert statuses(cookie_secure, bad) == [Status.FAIL]
    assert statuses(cookie_httponly, bad) == [Status.PASS]
    assert statuses(cookie_samesite, bad) == [Status.PASS]
    verdict = cookie_secure.evaluate(bad)[0]
    assert verdict.target == "https://app.test/login (cookie session)"
    good = page(cookies=["session=abc; Path=/; Secure; HttpOnly; SameSite=Strict"])
    assert statuses(cookie_secure, good) == [Status.PASS]
    naked = page(cookies=["auth_token=x"])
    assert statuses(cookie_httponly, naked) == [Status.FAIL]
    assert statuses(cookie_samesite, naked) == [Status.FAIL]
    # Not session-like: a preference cookie is not judged.
    assert statuses(cookie_secure, page(cookies=["theme=dark"])) == [Status.SKIPPED]


def chain(*hops: Hop) -> RedirectChain:
    return RedirectChain(hops[0].url, hops)


def test_https_redirect_verdicts() -> None:
    good = chain(Hop("http://a.test/", 301, "https://a.test/"), Hop("https://a.test/", 200, None))
    assert statuses(https_redirect, good) == [Status.PASS]
    none = chain(Hop("http://a.test/", 200, None))
    assert statuses(https_redirect, none) == [Status.FAIL]
    refused = chain(Hop("http://a.test/", None, None, "cannot connect"))
    assert statuses(https_redirect, refused) == [Status.FAIL]
    temporary = chain(
        Hop("http://a.test/", 302, "https://a.test/"), Hop("https://a.test/", 200, None)
    )
    assert statuses(https_redirect, temporary) == [Status.WARN]
    to_http = chain(
        Hop("http://a.test/", 301, "http://www.a.test/"), Hop("http://www.a.test/", 200, None)
    )
    assert statuses(https_redirect, to_http) == [Status.FAIL]
    broken = chain(
        Hop("http://a.test/", 301, "https://a.test/"), Hop("https://a.test/", None, None, "TLS")
    )
    assert statuses(https_redirect, broken) == [Status.FAIL]


def test_parse_set_cookie_attributes() -> None:
    c = parse_set_cookie("sid=1; Secure; HttpOnly; SameSite=None; Max-Age=5")
    assert (c.name, c.secure, c.http_only, c.same_site) == ("sid", True, True, "None")
    assert "max-age" in c.attributes


def test_reachable() -> None:
    from launchready.checks.edge.basics import reachable
    from launchready.gatherers.edge.http import Reach

    assert statuses(reachable, Reach("https://a.test/", 200, None)) == [Status.PASS]
    assert statuses(reachable, Reach("https://a.test/", 404, None)) == [Status.PASS]
    assert statuses(reachable, Reach("https://a.test/", 502, None)) == [Status.FAIL]
    down = reachable.evaluate(Reach("https://a.test/", None, "cannot connect"))[0]
    assert down.status == Status.FAIL and "cannot connect" in down.evidence


def test_https_redirect_to_another_host_first_is_a_low_warning() -> None:
    offhost = chain(
        Hop("http://a.test/", 301, "https://www.a.test/"), Hop("https://www.a.test/", 200, None)
    )
    (verdict,) = https_redirect.evaluate(offhost)
    assert verdict.status == Status.WARN and verdict.severity == Severity.LOW
    assert "another host" in verdict.evidence


def test_anti_csrf_cookies_may_be_read_by_script() -> None:
    """csrftoken / XSRF-TOKEN must stay readable for the double-submit pattern."""
    csrf = page(cookies=["csrftoken=x; Secure; SameSite=Lax", "XSRF-TOKEN=y; Secure; SameSite=Lax"])
    assert statuses(cookie_httponly, csrf) == [Status.SKIPPED]
    assert "anti-CSRF" in cookie_httponly.evaluate(csrf)[0].evidence
    # Still judged for what applies to them: Secure and SameSite.
    assert statuses(cookie_secure, csrf) == statuses(cookie_samesite, csrf) == [Status.PASS] * 2
    beside = page(cookies=["csrftoken=x; Secure", "sessionid=1; Secure; HttpOnly"])
    (verdict,) = cookie_httponly.evaluate(beside)
    assert (
        verdict.status == Status.PASS
        and verdict.target == "https://app.test/login (cookie sessionid)"
    )


def test_a_page_without_session_cookies_is_not_applicable_not_a_pass() -> None:
    from launchready.core.outcome import Outcome
    from launchready.engine import evaluate
    from launchready.gatherers.edge.http import PAGE
    from launchready.ranking import rank_findings, score

    # "user" in a name is no sign of a session: username_hint is a display preference.
    hint = page(cookies=["username_hint=avery", "theme=dark"])
    for check in (cookie_secure, cookie_httponly, cookie_samesite):
        (verdict,) = check.evaluate(hint)
        assert verdict.status == Status.SKIPPED, check.id
        assert verdict.evidence.startswith("not applicable: no session-like cookie")
        findings = rank_findings(evaluate(check, [Outcome.ok(PAGE, hint.url, hint)]))
        assert score(findings).overall is None  # counts for nothing either way


def test_a_fall_back_to_http_anywhere_in_a_chain_fails() -> None:
    from launchready.checks.edge.redirects import redirect_hops

    inside_https = chain(
        Hop("https://a.test/", 301, "http://b.test/"),
        Hop("http://b.test/", 301, "https://b.test/"),
        Hop("https://b.test/", 200, None),
    )
    (verdict,) = https_redirect.evaluate(inside_https)
    assert verdict.status == Status.FAIL and "http://b.test/" in verdict.evidence
    after_upgrade = chain(
        Hop("http://a.test/", 301, "https://a.test/"),
        Hop("https://a.test/", 301, "http://www.a.test/"),
        Hop("http://www.a.test/", 301, "https://www.a.test/"),
        Hop("https://www.a.test/", 200, None),
    )
    assert statuses(https_redirect, after_upgrade) == [Status.FAIL]
    stays = chain(
        Hop("https://a.test/", 301, "https://www.a.test/"), Hop("https://www.a.test/", 200, None)
    )
    assert statuses(https_redirect, stays) == [Status.PASS]
    broken = chain(Hop("https://a.test/", None, None, "cannot connect"))
    assert statuses(https_redirect, broken) == [Status.SKIPPED]
    # Two plain hops before https are a detour (a low warning), not a fall back.
    plain_first = chain(
        Hop("http://a.test/", 301, "http://a.test/x"),
        Hop("http://a.test/x", 301, "https://a.test/"),
        Hop("https://a.test/", 200, None),
    )
    assert statuses(https_redirect, plain_first) == [Status.WARN]
    # Hop counting stays about the way in from a typed http:// address.
    assert redirect_hops.evaluate(inside_https) == []
