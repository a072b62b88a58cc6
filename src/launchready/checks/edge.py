"""Stage ``edge``: what a browser meets before the app's own code runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from launchready.checks.base import Verdict, check
from launchready.core.findings import Harm, Severity, Stage
from launchready.gatherers.edge.http import (
    PAGE,
    REACH,
    REDIRECTS,
    Cookie,
    PageFact,
    Reach,
    RedirectChain,
)

SIX_MONTHS_S = 15_552_000
_SESSION_NAME = re.compile(r"sess|sid|auth|token|jwt|login|remember|connect\.sid|user", re.I)

MDN_HSTS = "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Strict-Transport-Security"
MDN_COOKIES = "https://developer.mozilla.org/en-US/docs/Web/HTTP/Cookies"
OBSERVATORY = "https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring"


@check(
    id="edge.reachable",
    stage=Stage.EDGE,
    title="Each configured page answers",
    severity=Severity.BLOCKER,
    harm=Harm.LOGIN,
    reads=REACH,
    impact="A page that does not answer (DNS, connection, TLS or server error) is down for "
    "every customer.",
    remediation="Fix the failure shown in the evidence: DNS records, the listener, the "
    "certificate, or the app behind it; then add an uptime check for the page.",
    references=["https://www.rfc-editor.org/rfc/rfc9110#section-15.6"],
)
def reachable(reach: Reach) -> Verdict:
    """Any HTTP answer below 500 counts as reached; 5xx means the app behind the edge failed."""
    if reach.status is None:
        return Verdict.fail(f"no answer: {reach.problem}")
    if reach.status >= 500:
        return Verdict.fail(f"answered {reach.status}")
    return Verdict.ok(f"answered {reach.status}")


@check(
    id="edge.https-redirect",
    stage=Stage.EDGE,
    title="Plain http:// redirects to https://",
    severity=Severity.HIGH,
    harm=Harm.LOGIN,
    reads=REDIRECTS,
    impact="Customers who type the bare address get an error page or an unencrypted login form.",
    remediation="Answer every http:// request with a 301 or 308 to the same path on https://.",
    references=[OBSERVATORY, "https://www.rfc-editor.org/rfc/rfc9110#section-15.4"],
)
def https_redirect(chain: RedirectChain) -> Verdict:
    """The first hop from plain http must go to https, permanently, on the same host."""
    first = chain.hops[0]
    path = " → ".join(
        f"{h.url} [{h.status if h.status is not None else h.error}]" for h in chain.hops
    )
    if first.status is None:
        return Verdict.fail(f"{first.url} did not answer: {first.error}")
    if not (300 <= first.status < 400 and first.location):
        return Verdict.fail(f"{first.url} answered {first.status} without redirecting to https")
    final = chain.final
    if final.error:
        return Verdict.fail(f"redirect chain broke: {path}")
    if not final.url.startswith("https://"):
        return Verdict.fail(f"chain ends on plain http: {path}")
    second = chain.hops[1].url if len(chain.hops) > 1 else ""
    if urlsplit(second).scheme != "https":
        return Verdict.warn(
            f"first hop stays on plain http before reaching https: {path}", severity=Severity.LOW
        )
    if urlsplit(second).hostname != urlsplit(first.url).hostname:
        # The browser only records HSTS for a host it reached over https; hopping straight
        # to another host leaves this one open to the next downgrade (Observatory agrees).
        return Verdict.warn(
            f"first hop leaves for another host before https on this one: {path}",
            severity=Severity.LOW,
        )
    if first.status not in (301, 308):
        return Verdict.warn(
            f"redirect is temporary ({first.status}); use 301 or 308: {path}",
            severity=Severity.LOW,
        )
    return Verdict.ok(path)


def _hsts_max_age(value: str) -> int | None:
    for directive in value.split(";"):
        key, _, arg = directive.strip().partition("=")
        if key.strip().lower() == "max-age":
            arg = arg.strip().strip('"')
            return int(arg) if arg.isdigit() else None
    return None


@check(
    id="edge.hsts",
    stage=Stage.EDGE,
    title="HTTPS is enforced with Strict-Transport-Security",
    severity=Severity.HIGH,
    harm=Harm.TRUST,
    reads=PAGE,
    impact="Without HSTS a hostile network can strip HTTPS and read sessions and passwords.",
    remediation=(
        "Send `Strict-Transport-Security: max-age=63072000; includeSubDomains` on every HTTPS "
        "response (at least six months)."
    ),
    references=[MDN_HSTS, "https://www.rfc-editor.org/rfc/rfc6797", OBSERVATORY],
)
def hsts(page: PageFact) -> Verdict:
    """Browsers only honour HSTS received over HTTPS; six months is Mozilla's minimum."""
    if not page.url.startswith("https://"):
        return Verdict.fail("page is served over plain http, where HSTS cannot apply")
    value = page.header("Strict-Transport-Security")
    if value is None:
        return Verdict.fail("no Strict-Transport-Security header")
    max_age = _hsts_max_age(value)
    if max_age is None:
        return Verdict.fail(f"Strict-Transport-Security has no valid max-age: {value!r}")
    if max_age < SIX_MONTHS_S:
        return Verdict.warn(
            f"max-age={max_age} is under six months ({SIX_MONTHS_S})", severity=Severity.MEDIUM
        )
    return Verdict.ok(f"Strict-Transport-Security: {value}")


def _session_cookies(page: PageFact) -> Iterator[Cookie]:
    return (c for c in page.cookies if _SESSION_NAME.search(c.name))


def _cookie_target(page: PageFact, cookie: Cookie) -> str:
    return f"{page.url} (cookie {cookie.name})"


def _each_session_cookie(page: PageFact, ok: str, bad: str, test: str) -> Iterator[Verdict]:
    cookies = list(_session_cookies(page))
    if not cookies:
        yield Verdict.ok("no session-like cookie set on this page")
        return
    for cookie in cookies:
        target = _cookie_target(page, cookie)
        flags = "; ".join(cookie.attributes) or "no attributes"
        if getattr(cookie, test):
            yield Verdict.ok(f"{cookie.name}: {ok} ({flags})", target=target)
        else:
            yield Verdict.fail(f"{cookie.name}: {bad} ({flags})", target=target)


@check(
    id="edge.cookie-secure",
    stage=Stage.EDGE,
    title="Session cookies are marked Secure",
    severity=Severity.HIGH,
    harm=Harm.DATA_EXPOSURE,
    reads=PAGE,
    impact="A session cookie without Secure is sent over plain http, where anyone on the "
    "network can copy it and act as the customer.",
    remediation="Set the Secure attribute on every session and authentication cookie.",
    references=[MDN_COOKIES, "https://www.rfc-editor.org/rfc/rfc6265#section-4.1.2.5"],
)
def cookie_secure(page: PageFact) -> Iterator[Verdict]:
    """A cookie whose name looks like a session or token must carry Secure."""
    return _each_session_cookie(page, "Secure set", "Secure missing", "secure")


@check(
    id="edge.cookie-httponly",
    stage=Stage.EDGE,
    title="Session cookies are marked HttpOnly",
    severity=Severity.MEDIUM,
    harm=Harm.DATA_EXPOSURE,
    reads=PAGE,
    impact="Script injected into any page can read a session cookie without HttpOnly and send "
    "it away.",
    remediation="Set the HttpOnly attribute on session cookies (scripts never need them).",
    references=[MDN_COOKIES, "https://www.rfc-editor.org/rfc/rfc6265#section-4.1.2.6"],
)
def cookie_httponly(page: PageFact) -> Iterator[Verdict]:
    """Mozilla's Observatory takes 30 points off for a session cookie readable by script."""
    return _each_session_cookie(page, "HttpOnly set", "HttpOnly missing", "http_only")


@check(
    id="edge.cookie-samesite",
    stage=Stage.EDGE,
    title="Session cookies declare SameSite",
    severity=Severity.LOW,
    harm=Harm.DATA_EXPOSURE,
    reads=PAGE,
    impact="Without SameSite, other sites can make requests that carry the customer's session "
    "(cross-site request forgery).",
    remediation="Set `SameSite=Lax` (or `Strict` for admin-only apps) on session cookies.",
    references=[MDN_COOKIES, "https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis"],
)
def cookie_samesite(page: PageFact) -> Iterator[Verdict]:
    """Browsers default to Lax nowadays, but an explicit value survives old clients."""
    cookies = list(_session_cookies(page))
    if not cookies:
        yield Verdict.ok("no session-like cookie set on this page")
    for cookie in cookies:
        target = _cookie_target(page, cookie)
        value = (cookie.same_site or "").lower()
        if value in ("lax", "strict"):
            yield Verdict.ok(f"{cookie.name}: SameSite={cookie.same_site}", target=target)
        elif value == "none":
            yield Verdict.warn(f"{cookie.name}: SameSite=None allows cross-site use", target=target)
        else:
            yield Verdict.fail(f"{cookie.name}: no SameSite attribute", target=target)
