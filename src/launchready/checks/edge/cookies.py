"""Stage ``edge``, cookies: session cookies are Secure, HttpOnly and declare SameSite.

Which cookies are "session-like" is read from their names, as Mozilla's Observatory does;
a page that sets none gets "not applicable" from each check, never a scored pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.checks.edge.common import not_applicable
from launchready.core.findings import Harm, Severity, Stage
from launchready.gatherers.edge.http import PAGE, Cookie, PageFact

# Names of cookies that carry a session or a credential. "user" is not one of them: it
# matches preference and display cookies (username_hint) that hold no secret.
_SESSION_NAME = re.compile(r"sess|sid|auth|token|jwt|login|remember|connect\.sid", re.I)
# Anti-CSRF cookies (csrftoken, XSRF-TOKEN, _csrf): the double-submit pattern needs page
# script to read them, so HttpOnly would break the app. The Observatory asks HttpOnly only of
# session and login cookies, never of these.
_ANTI_CSRF_NAME = re.compile(r"csrf|xsrf", re.I)
NO_SESSION_COOKIE = "no session-like cookie set on this page"
MDN_COOKIES = "https://developer.mozilla.org/en-US/docs/Web/HTTP/Cookies"


def _session_cookies(page: PageFact) -> Iterator[Cookie]:
    return (c for c in page.cookies if _SESSION_NAME.search(c.name))


def _cookie_target(page: PageFact, cookie: Cookie) -> str:
    return f"{page.url} (cookie {cookie.name})"


def _each_session_cookie(
    page: PageFact, ok: str, bad: str, test: str, cookies: list[Cookie] | None = None
) -> Iterator[Verdict]:
    cookies = list(_session_cookies(page)) if cookies is None else cookies
    if not cookies:
        yield not_applicable(NO_SESSION_COOKIE)
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
    """Mozilla's Observatory takes 30 points off for a session cookie readable by script.
    Anti-CSRF cookies are left out: script must read them to send them back."""
    session = list(_session_cookies(page))
    cookies = [c for c in session if not _ANTI_CSRF_NAME.search(c.name)]
    if session and not cookies:
        yield not_applicable("only anti-CSRF cookies, which script must be able to read")
        return
    yield from _each_session_cookie(page, "HttpOnly set", "HttpOnly missing", "http_only", cookies)


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
        yield not_applicable(NO_SESSION_COOKIE)
    for cookie in cookies:
        target = _cookie_target(page, cookie)
        value = (cookie.same_site or "").lower()
        if value in ("lax", "strict"):
            yield Verdict.ok(f"{cookie.name}: SameSite={cookie.same_site}", target=target)
        elif value == "none":
            yield Verdict.warn(f"{cookie.name}: SameSite=None allows cross-site use", target=target)
        else:
            yield Verdict.fail(f"{cookie.name}: no SameSite attribute", target=target)
