"""Stage ``edge``, Content-Security-Policy: parsed, then graded with a strict admin-app profile.

``edge.csp`` asks what Mozilla's Observatory asks (can injected script run?); the two others
go as far as internet.nl: no eval, and the directives that do not fall back to default-src
(frame-ancestors, base-uri, form-action) set explicitly. An admin app has no excuse for less.
"""

from __future__ import annotations

from dataclasses import dataclass

from launchready.checks.base import Verdict, check
from launchready.checks.edge.common import OBSERVATORY, not_html
from launchready.core.findings import Harm, Severity, Stage, Status
from launchready.gatherers.edge.http import PAGE, PageFact

MDN_CSP = "https://developer.mozilla.org/en-US/docs/Web/HTTP/CSP"
CSP3 = "https://www.w3.org/TR/CSP3/"
INTERNET_NL = "https://internet.nl/faqs/appsecpriv/"
STRICT_CSP = "https://web.dev/articles/strict-csp"

# Sources that allow (nearly) any host, as Mozilla's Observatory counts them.
BROAD = frozenset(
    {"*", "http:", "https:", "ftp:", "http://*", "https://*", "http://*.*", "https://*.*"}
)
NONCE_OR_HASH = ("'nonce-", "'sha256-", "'sha384-", "'sha512-")


@dataclass(frozen=True)
class Policy:
    directives: dict[str, tuple[str, ...]]
    source: str  # "header" or "meta"

    def sources(
        self, directive: str, fallback: str | None = "default-src"
    ) -> tuple[str, ...] | None:
        """The directive's source list, or its fallback's; None means "unrestricted"."""
        if directive in self.directives:
            return self.directives[directive]
        return self.directives.get(fallback) if fallback else None


def parse_policy(text: str, source: str = "header") -> Policy:
    """CSP3 §2.2: directives split on ';', names case-insensitive, the first of a name wins."""
    directives: dict[str, tuple[str, ...]] = {}
    for part in text.split(";"):
        tokens = part.split()
        if not tokens:
            continue
        name = tokens[0].lower()
        if name not in directives:
            directives[name] = tuple(
                t.lower() if t.startswith("'") or t.endswith(":") else t for t in tokens[1:]
            )
    return Policy(directives, source)


def policies(page: PageFact) -> list[Policy]:
    """Every enforced policy: each header value (a comma separates policies) and each <meta>."""
    found = [
        parse_policy(part)
        for value in page.header_values("Content-Security-Policy")
        for part in value.split(",")
        if part.strip()
    ]
    found += [parse_policy(v, "meta") for v in page.document.meta_value("content-security-policy")]
    return [p for p in found if p.directives]


def script_problems(policy: Policy, https: bool) -> list[str]:
    """Why injected script could run under this policy (empty: it cannot)."""
    problems = []
    script = policy.sources("script-src")
    if script is None:
        problems.append("no script-src and no default-src: any script may run")
    else:
        tokens = set(script)
        keyed = any(t.startswith(NONCE_OR_HASH) for t in tokens)
        if keyed:  # CSP2+: a nonce or hash makes browsers ignore 'unsafe-inline'
            tokens.discard("'unsafe-inline'")
        if keyed and "'strict-dynamic'" in tokens:  # CSP3: hosts and schemes are ignored too
            tokens = {t for t in tokens if t.startswith("'") and t != "'self'"}
        if "'unsafe-inline'" in tokens:
            problems.append("script-src allows 'unsafe-inline' without a nonce or hash")
        if "data:" in tokens:
            problems.append("script-src allows data: URLs")
        broad = sorted(tokens & BROAD)
        if broad:
            problems.append(f"script-src allows any host ({' '.join(broad)})")
        insecure = sorted(t for t in tokens - BROAD if t.startswith("http:") and https)
        if insecure:
            problems.append(f"script-src allows plain http ({' '.join(insecure)})")
    objects = policy.sources("object-src")
    if objects is None:
        problems.append("no object-src and no default-src: plugins may load from anywhere")
    elif set(objects) & BROAD:
        problems.append("object-src allows any host")
    return problems


@check(
    id="edge.csp",
    stage=Stage.EDGE,
    title="A Content-Security-Policy stops injected script",
    severity=Severity.HIGH,
    harm=Harm.DATA_EXPOSURE,
    reads=PAGE,
    impact="One injection bug (a client name rendered unescaped) becomes script running in an "
    "administrator's session, with access to every record they can see.",
    remediation="Send `Content-Security-Policy: default-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'` and "
    "move inline scripts to files (or give them a nonce).",
    references=[MDN_CSP, OBSERVATORY, STRICT_CSP],
)
def csp(page: PageFact) -> Verdict:
    """As the Observatory grades it: script-src and object-src fall back to default-src, then to
    '*'; 'unsafe-inline', data: and broad sources defeat it; a nonce or hash voids
    'unsafe-inline'. One enforced policy that holds is enough (all must be satisfied)."""
    if (skip := not_html(page)) is not None:
        return skip
    found = policies(page)
    if not found:
        report_only = page.header("Content-Security-Policy-Report-Only")
        extra = " (only Report-Only, which blocks nothing)" if report_only else ""
        return Verdict.fail(f"no Content-Security-Policy{extra}")
    https = page.url.startswith("https://")
    graded = [(script_problems(p, https), p) for p in found]
    problems, best = min(graded, key=lambda g: len(g[0]))
    shown = "; ".join(f"{k} {' '.join(v)}".strip() for k, v in best.directives.items())
    if problems:
        return Verdict.fail(f"{'; '.join(problems)} — policy: {shown}")
    return Verdict.ok(f"scripts and plugins restricted — policy: {shown}")


@check(
    id="edge.csp-unsafe-eval",
    stage=Stage.EDGE,
    title="The Content-Security-Policy forbids eval()",
    severity=Severity.MEDIUM,
    harm=Harm.DATA_EXPOSURE,
    reads=PAGE,
    impact="'unsafe-eval' turns any string an attacker controls into code (eval, new Function, "
    "string timers), a common path from injection to account takeover.",
    remediation="Remove 'unsafe-eval'; replace eval/new Function in the code or its libraries.",
    references=[MDN_CSP, OBSERVATORY],
)
def csp_unsafe_eval(page: PageFact) -> Verdict:
    """Eval is allowed only if every enforced policy allows it."""
    if (skip := not_html(page)) is not None:
        return skip
    found = policies(page)
    if not found:
        return Verdict(Status.SKIPPED, "no Content-Security-Policy (see edge.csp)")
    for policy in found:
        script = policy.sources("script-src")
        if script is not None and "'unsafe-eval'" not in script:
            return Verdict.ok(f"eval blocked ({policy.source} policy)")
    return Verdict.fail("every policy allows eval ('unsafe-eval' or no script-src/default-src)")


@check(
    id="edge.csp-strict",
    stage=Stage.EDGE,
    title="The Content-Security-Policy meets the strict admin-app profile",
    severity=Severity.MEDIUM,
    harm=Harm.DATA_EXPOSURE,
    reads=PAGE,
    impact="frame-ancestors, base-uri and form-action never fall back to default-src: without "
    "them the app can be framed (clickjacking), have its script base rewritten, or have forms "
    "posted elsewhere, even under a tight script-src.",
    remediation="Add `default-src 'self'` (or 'none'), `frame-ancestors 'none'`, "
    "`base-uri 'none'` and `form-action 'self'` to the policy header.",
    references=[INTERNET_NL, CSP3, MDN_CSP],
)
def csp_strict(page: PageFact) -> Verdict:
    """Stricter than the Observatory on purpose (internet.nl's profile): an admin app needs
    all four; frame-ancestors only counts in a header (browsers ignore it in <meta>)."""
    if (skip := not_html(page)) is not None:
        return skip
    found = policies(page)
    if not found:
        return Verdict(Status.SKIPPED, "no Content-Security-Policy (see edge.csp)")
    missing = []
    if not any("default-src" in p.directives for p in found):
        missing.append("default-src (the fallback for every fetch directive)")
    headers = [p for p in found if p.source == "header"]
    for name, pool in (("frame-ancestors", headers), ("base-uri", found), ("form-action", found)):
        lists = [p.sources(name, None) for p in pool]
        present = [set(s) for s in lists if s is not None]
        if not present:
            missing.append(f"{name} (no fallback to default-src)")
        elif all(s & (BROAD | {"'unsafe-inline'", "data:"}) for s in present):
            missing.append(f"{name} is too broad ({' '.join(sorted(present[0]))})")
    if missing:
        return Verdict.fail("missing or weak: " + "; ".join(missing))
    return Verdict.ok("default-src, frame-ancestors, base-uri and form-action all set")
