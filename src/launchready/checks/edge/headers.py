"""Stage ``edge``, response headers beyond CSP: HSTS details, framing, sniffing, referrers,
permissions, cross-origin isolation and CORS.

Headers that only matter for documents (framing, permissions, COOP) are judged on HTML
pages and marked not applicable elsewhere; the others apply to every response.
"""

from __future__ import annotations

from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.checks.edge.common import OBSERVATORY, hsts_directives, hsts_max_age, not_html
from launchready.checks.edge.csp import BROAD, policies
from launchready.core.findings import Harm, Severity, Stage, Status
from launchready.gatherers.edge.cors import CORS, CorsFact
from launchready.gatherers.edge.http import PAGE, PageFact

MDN = "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/"
HSTS_PRELOAD = "https://hstspreload.org/#submission-requirements"
ONE_YEAR_S = 31_536_000
SAFE_REFERRERS = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")
UNSAFE_REFERRERS = (
    "origin",
    "origin-when-cross-origin",
    "unsafe-url",
    "no-referrer-when-downgrade",
)


def _hsts(page: PageFact) -> dict[str, str] | Verdict:
    """The page's HSTS directives, or a not-applicable verdict (edge.hsts judges absence)."""
    value = page.header("Strict-Transport-Security")
    if not page.url.startswith("https://") or value is None:
        return Verdict(Status.SKIPPED, "no Strict-Transport-Security on https (see edge.hsts)")
    directives = hsts_directives(value)
    if hsts_max_age(directives) is None:
        return Verdict(Status.SKIPPED, "Strict-Transport-Security has no valid max-age")
    return directives


@check(
    id="edge.hsts-subdomains",
    stage=Stage.EDGE,
    title="HSTS covers subdomains (includeSubDomains)",
    severity=Severity.LOW,
    harm=Harm.TRUST,
    reads=PAGE,
    impact="Without includeSubDomains an attacker on the network can plant cookies for the "
    "domain through a plain-http subdomain, and new subdomains start unprotected.",
    remediation="Add includeSubDomains once every subdomain serves HTTPS.",
    references=[
        MDN + "Strict-Transport-Security",
        "https://www.rfc-editor.org/rfc/rfc6797#section-6.1.2",
    ],
)
def hsts_subdomains(page: PageFact) -> Verdict:
    """Checked on each page; on the apex it is what protects every name below it."""
    directives = _hsts(page)
    if isinstance(directives, Verdict):
        return directives
    if "includesubdomains" in directives:
        return Verdict.ok("includeSubDomains set")
    return Verdict.warn("Strict-Transport-Security lacks includeSubDomains")


@check(
    id="edge.hsts-preload",
    stage=Stage.EDGE,
    title="HSTS is ready for the browsers' preload list",
    severity=Severity.INFO,
    harm=Harm.TRUST,
    reads=PAGE,
    impact="Until a domain is preloaded, a customer's very first visit can still be downgraded "
    "to plain http.",
    remediation="Send `max-age=63072000; includeSubDomains; preload` on the apex, then submit it "
    "at hstspreload.org (hard to undo: every subdomain must serve HTTPS).",
    references=[HSTS_PRELOAD],
)
def hsts_preload(page: PageFact) -> Verdict:
    """hstspreload.org's header requirements: max-age ≥ 1 year, includeSubDomains, preload."""
    directives = _hsts(page)
    if isinstance(directives, Verdict):
        return directives
    missing = []
    if (hsts_max_age(directives) or 0) < ONE_YEAR_S:
        missing.append(f"max-age ≥ {ONE_YEAR_S}")
    missing += [
        shown
        for d, shown in (("includesubdomains", "includeSubDomains"), ("preload", "preload"))
        if d not in directives
    ]
    if missing:
        return Verdict.warn(f"not preload-ready, missing: {', '.join(missing)}")
    return Verdict.ok("preload-ready (submit the apex at hstspreload.org)")


@check(
    id="edge.nosniff",
    stage=Stage.EDGE,
    title="X-Content-Type-Options: nosniff",
    severity=Severity.LOW,
    harm=Harm.DATA_EXPOSURE,
    reads=PAGE,
    impact="Without nosniff a browser may run an uploaded file or a JSON answer as script or "
    "style because it looks like one.",
    remediation="Send `X-Content-Type-Options: nosniff` on every response.",
    references=[MDN + "X-Content-Type-Options", OBSERVATORY],
)
def nosniff(page: PageFact) -> Verdict:
    """The only valid value is nosniff (the Observatory fails anything else)."""
    value = page.header("X-Content-Type-Options")
    if value is None:
        return Verdict.fail("no X-Content-Type-Options header")
    if value.strip().lower() != "nosniff":
        return Verdict.fail(f"X-Content-Type-Options: {value!r} is not 'nosniff'")
    return Verdict.ok("X-Content-Type-Options: nosniff")


@check(
    id="edge.frame-protection",
    stage=Stage.EDGE,
    title="Other sites cannot frame the app (clickjacking)",
    severity=Severity.MEDIUM,
    harm=Harm.DATA_EXPOSURE,
    reads=PAGE,
    impact="A hostile page can show the admin app in an invisible frame and trick a signed-in "
    "user into clicking 'delete' or 'invite' for it.",
    remediation="Send `Content-Security-Policy: frame-ancestors 'none'` (or 'self') and, for old "
    "browsers, `X-Frame-Options: DENY`.",
    references=[
        MDN + "X-Frame-Options",
        MDN + "Content-Security-Policy/frame-ancestors",
        OBSERVATORY,
    ],
)
def frame_protection(page: PageFact) -> Verdict:
    """frame-ancestors in a header policy wins over X-Frame-Options; ALLOW-FROM is ignored by
    every current browser, so we warn where the Observatory passes."""
    if (skip := not_html(page)) is not None:
        return skip
    for policy in policies(page):
        ancestors = policy.sources("frame-ancestors", None)
        if policy.source == "header" and ancestors is not None:
            value = " ".join(ancestors)
            if set(ancestors) & BROAD:
                return Verdict.fail(f"frame-ancestors allows any site ({value})")
            return Verdict.ok(f"CSP frame-ancestors {value}")
    xfo = page.header("X-Frame-Options")
    if xfo is None:
        return Verdict.fail("neither CSP frame-ancestors nor X-Frame-Options")
    value = xfo.strip().lower()
    if value in ("deny", "sameorigin"):
        return Verdict.ok(f"X-Frame-Options: {xfo}")
    if value.startswith("allow-from"):
        return Verdict.warn(f"X-Frame-Options: {xfo} is ignored by current browsers")
    return Verdict.fail(f"X-Frame-Options: {xfo!r} is not valid")


@check(
    id="edge.referrer-policy",
    stage=Stage.EDGE,
    title="A Referrer-Policy keeps URLs from leaking to other sites",
    severity=Severity.LOW,
    harm=Harm.DATA_EXPOSURE,
    reads=PAGE,
    impact="Admin URLs carry record ids, search terms and reset tokens; a lax policy hands them "
    "to every external site a page links to or loads from.",
    remediation="Send `Referrer-Policy: strict-origin-when-cross-origin` (or no-referrer).",
    references=[MDN + "Referrer-Policy", OBSERVATORY],
)
def referrer_policy(page: PageFact) -> Verdict:
    """The last value browsers understand wins, and ``<meta name="referrer">`` (HTML's form;
    browsers ignore an http-equiv one) comes after the header. Missing is a warning here (the
    Observatory passes it, trusting the browser default): stricter on purpose for an admin
    app."""
    meta = page.document.named_meta_value("referrer")
    values = [*page.header_values("Referrer-Policy"), *meta]
    tokens = [t.strip().lower() for v in values for t in v.split(",")]
    known = [t for t in tokens if t in SAFE_REFERRERS + UNSAFE_REFERRERS]
    if not values:
        return Verdict.warn("no Referrer-Policy (relies on the browser's default)")
    if not known:
        return Verdict.fail(f"Referrer-Policy {', '.join(values)!r} is not a valid policy")
    if known[-1] in UNSAFE_REFERRERS:
        return Verdict.fail(f"Referrer-Policy: {known[-1]} sends full URLs or origins cross-site")
    return Verdict.ok(f"Referrer-Policy: {known[-1]}")


@check(
    id="edge.permissions-policy",
    stage=Stage.EDGE,
    title="A Permissions-Policy switches off unused browser features",
    severity=Severity.LOW,
    harm=Harm.DATA_EXPOSURE,
    reads=PAGE,
    impact="Injected or third-party script could ask for the camera, microphone or location "
    "in the app's name.",
    remediation="Send e.g. `Permissions-Policy: camera=(), microphone=(), geolocation=(), "
    "payment=()` for the features the app does not use.",
    references=[MDN + "Permissions-Policy", "https://www.w3.org/TR/permissions-policy/"],
)
def permissions_policy(page: PageFact) -> Verdict:
    """Not graded by the Observatory; cheap defence in depth for an admin app."""
    if (skip := not_html(page)) is not None:
        return skip
    value = page.header("Permissions-Policy")
    if value is None or not value.strip():
        return Verdict.warn("no Permissions-Policy header")
    return Verdict.ok(f"Permissions-Policy: {value}")


@check(
    id="edge.cross-origin-policies",
    stage=Stage.EDGE,
    title="Cross-Origin-Opener-Policy and Cross-Origin-Resource-Policy are set",
    severity=Severity.LOW,
    harm=Harm.DATA_EXPOSURE,
    reads=PAGE,
    impact="Without them other sites can keep a handle on the app's window, or embed its "
    "responses, and probe them through side channels (XS-Leaks, Spectre).",
    remediation="Send `Cross-Origin-Opener-Policy: same-origin` and "
    "`Cross-Origin-Resource-Policy: same-origin` (same-site if subdomains share resources).",
    references=[MDN + "Cross-Origin-Opener-Policy", MDN + "Cross-Origin-Resource-Policy"],
)
def cross_origin_policies(page: PageFact) -> Iterator[Verdict]:
    """One verdict per header, each with its own target, so the fix list names the header."""
    if (skip := not_html(page)) is not None:
        yield skip
        return
    wanted = (
        ("Cross-Origin-Opener-Policy", ("same-origin", "same-origin-allow-popups")),
        ("Cross-Origin-Resource-Policy", ("same-origin", "same-site")),
    )
    for name, good in wanted:
        value = (page.header(name) or "").strip()
        target = f"{page.url} ({name})"
        if value.split(";")[0].strip().lower() in good:
            yield Verdict.ok(f"{name}: {value}", target=target)
        else:
            yield Verdict.warn(f"{name}: {value or 'not set'}", target=target)


@check(
    id="edge.cors",
    stage=Stage.EDGE,
    title="CORS does not hand signed-in data to any site",
    severity=Severity.HIGH,
    harm=Harm.DATA_EXPOSURE,
    reads=CORS,
    impact="A server that echoes any Origin with Access-Control-Allow-Credentials lets every "
    "website a customer visits read their data through their session.",
    remediation="Allow only your own origins (an explicit list), and credentials only for them.",
    references=[MDN + "Access-Control-Allow-Origin", OBSERVATORY],
)
def cors(fact: CorsFact) -> Verdict:
    """We send a foreign Origin on a GET (what a credentialed fetch does) and a preflight
    (what the Observatory sends); either echoing it with credentials fails. Every answer is
    read before judging: a public ``*`` on one does not excuse a credentialed echo on another."""
    credentialed, echoed, public = [], [], []
    for answer in fact.answers:
        allow = (answer.header("Access-Control-Allow-Origin") or "").strip()
        creds = (answer.header("Access-Control-Allow-Credentials") or "").strip().lower()
        if allow in (fact.origin, "null") and creds == "true":
            credentialed.append(f"{answer.method} answered Access-Control-Allow-Origin: {allow}")
        elif allow == fact.origin:
            echoed.append(answer.method)
        elif allow == "*":
            public.append(answer.method)
    if credentialed:
        return Verdict.fail(
            f"from Origin {fact.origin}: {'; '.join(credentialed)} with credentials"
        )
    if echoed:
        return Verdict.warn(
            f"echoes any Origin ({', '.join(echoed)}), without credentials", severity=Severity.LOW
        )
    if public:
        return Verdict.ok("Access-Control-Allow-Origin: * (public; browsers send no cookies)")
    return Verdict.ok(f"Origin {fact.origin} is not allowed")
