"""Stage ``edge``, the basics: the page answers, http goes to https and stays there, HSTS."""

from __future__ import annotations

from urllib.parse import urlsplit

from launchready.checks.base import Verdict, check
from launchready.checks.edge.common import (
    OBSERVATORY,
    hsts_directives,
    hsts_max_age,
    not_applicable,
)
from launchready.checks.edge.redirects import describe
from launchready.core.findings import Harm, Severity, Stage
from launchready.gatherers.edge.http import PAGE, REACH, REDIRECTS, PageFact, Reach, RedirectChain

SIX_MONTHS_S = 15_552_000
MDN_HSTS = "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Strict-Transport-Security"


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


def downgrades(chain: RedirectChain) -> list[str]:
    """Hops that go back to plain http after the chain has reached https.

    The browser sends that request — with every cookie not marked Secure — in clear text,
    and an attacker on the network can answer it instead, even if a later hop returns to
    https. A hop counts even when it failed: the browser was sent there all the same.
    """
    reached_https = False
    found = []
    for hop in chain.hops:
        scheme = urlsplit(hop.url).scheme
        if scheme == "https":
            reached_https = True
        elif scheme == "http" and reached_https:
            found.append(hop.url)
    return found


@check(
    id="edge.https-redirect",
    stage=Stage.EDGE,
    title="Plain http:// redirects to https://, and no redirect falls back to http://",
    severity=Severity.HIGH,
    harm=Harm.LOGIN,
    reads=REDIRECTS,
    impact="Customers who type the bare address get an error page or an unencrypted login "
    "form; a redirect back to http:// hands the request, and cookies not marked Secure, to "
    "anyone on the network.",
    remediation="Answer every http:// request with a 301 or 308 to the same path on https://, "
    "and point every redirect's Location at an https:// URL.",
    references=[OBSERVATORY, "https://www.rfc-editor.org/rfc/rfc9110#section-15.4"],
)
def https_redirect(chain: RedirectChain) -> Verdict:
    """From http://, the first hop must go to https, permanently, on the same host; from
    http:// and https:// alike, no hop may fall back to plain http once on https."""
    path = describe(chain)
    back = downgrades(chain)
    if urlsplit(chain.start).scheme == "https":
        if back:
            return Verdict.fail(f"falls back to plain http ({', '.join(back)}): {path}")
        if chain.final.error:
            # What was seen stayed on https, but not the whole chain: no verdict on the rest.
            return not_applicable(f"the chain did not complete: {path}")
        return Verdict.ok(f"stays on https: {path}")
    first = chain.hops[0]
    if first.status is None:
        return Verdict.fail(f"{first.url} did not answer: {first.error}")
    if not (300 <= first.status < 400 and first.location):
        return Verdict.fail(f"{first.url} answered {first.status} without redirecting to https")
    final = chain.final
    if final.error:
        return Verdict.fail(f"redirect chain broke: {path}")
    if not final.url.startswith("https://"):
        return Verdict.fail(f"chain ends on plain http: {path}")
    if back:
        return Verdict.fail(f"falls back to plain http after https ({', '.join(back)}): {path}")
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
    max_age = hsts_max_age(hsts_directives(value))
    if max_age is None:
        return Verdict.fail(f"Strict-Transport-Security has no valid max-age: {value!r}")
    if max_age < SIX_MONTHS_S:
        return Verdict.warn(
            f"max-age={max_age} is under six months ({SIX_MONTHS_S})", severity=Severity.MEDIUM
        )
    return Verdict.ok(f"Strict-Transport-Security: {value}")
