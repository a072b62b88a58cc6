"""Stage ``edge``, what the HTML loads: third-party scripts pinned by SRI, no mixed content.

Read from the page's markup (``PageFact.document``); scripts added at run time are out of
reach of a static reading, which is what CSP is for.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from launchready.checks.base import Verdict, check
from launchready.checks.edge.common import OBSERVATORY, not_html
from launchready.core.findings import Harm, Severity, Stage
from launchready.gatherers.edge.http import PAGE, PageFact
from launchready.gatherers.edge.markup import Reference

MDN_SRI = "https://developer.mozilla.org/en-US/docs/Web/Security/Subresource_Integrity"
MDN_MIXED = "https://developer.mozilla.org/en-US/docs/Web/Security/Mixed_content"
# What browsers block as active mixed content; the rest (images, media) is "upgradable".
ACTIVE_TAGS = ("script", "iframe", "frame", "object", "embed", "form")
ACTIVE_LINK_RELS = ("stylesheet", "preload", "modulepreload", "prefetch", "import", "manifest")


def _host(page: PageFact, url: str) -> str:
    return (urlsplit(urljoin(page.url, url)).hostname or "").lower()


@check(
    id="edge.sri",
    stage=Stage.EDGE,
    title="Scripts from other hosts are pinned with Subresource Integrity",
    severity=Severity.MEDIUM,
    harm=Harm.DATA_EXPOSURE,
    reads=PAGE,
    impact="A compromised CDN or analytics host can change the script and run code in every "
    "administrator's session.",
    remediation='Add `integrity="sha384-…" crossorigin="anonymous"` to each <script> from '
    "another host, or serve the file from the app's own origin.",
    references=[MDN_SRI, OBSERVATORY],
)
def sri(page: PageFact) -> Verdict:
    """Any other host counts as external, including sibling subdomains (the Observatory exempts
    the same registrable domain: we are stricter, a cdn.* name is often a vendor's CNAME)."""
    if (skip := not_html(page)) is not None:
        return skip
    own = _host(page, page.url)
    external = [s for s in page.document.scripts if _host(page, s.url) not in ("", own)]
    if not external:
        scripts = len(page.document.scripts)
        return Verdict.ok(f"no script from another host ({scripts} script tags)")
    missing = [s.url for s in external if not s.integrity]
    if missing:
        return Verdict.fail(f"no integrity attribute: {', '.join(missing)}")
    no_cors = [s.url for s in external if s.crossorigin is None]
    if no_cors:
        return Verdict.warn(
            f"integrity without crossorigin, so browsers refuse to load: {', '.join(no_cors)}"
        )
    return Verdict.ok(f"{len(external)} external script(s), all with integrity")


def _is_active(ref: Reference) -> bool:
    if ref.tag == "link":
        return any(rel in ACTIVE_LINK_RELS for rel in ref.rel.split())
    return ref.tag in ACTIVE_TAGS


@check(
    id="edge.mixed-content",
    stage=Stage.EDGE,
    title="HTTPS pages load nothing over plain http",
    severity=Severity.HIGH,
    harm=Harm.DATA_EXPOSURE,
    reads=PAGE,
    impact="A script, style or frame over http can be replaced by anyone on the network "
    "(browsers block it, so the page also breaks); http images leak what is viewed.",
    remediation="Load every resource over https (or relative to the page); add "
    "`Content-Security-Policy: upgrade-insecure-requests` as a safety net.",
    references=[MDN_MIXED, "https://www.w3.org/TR/mixed-content/"],
)
def mixed_content(page: PageFact) -> Verdict:
    """Active content (scripts, styles, frames, plugins, form targets) fails; passive content
    (images, media) is a low warning, as browsers upgrade or warn rather than block it."""
    if (skip := not_html(page)) is not None:
        return skip
    if not page.url.startswith("https://"):
        return Verdict.ok("the page itself is served over http (see edge.https-redirect)")
    insecure = [r for r in page.document.references if r.url.lower().startswith("http://")]
    active = [f"<{r.tag} {r.attribute}={r.url}>" for r in insecure if _is_active(r)]
    passive = [f"<{r.tag} {r.attribute}={r.url}>" for r in insecure if not _is_active(r)]
    if active:
        return Verdict.fail(f"active mixed content: {', '.join(active)}")
    if passive:
        return Verdict.warn(f"passive mixed content: {', '.join(passive)}", severity=Severity.LOW)
    return Verdict.ok(f"{len(page.document.references)} references, none over plain http")
