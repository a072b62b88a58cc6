"""Stage ``edge``, delivery: pages load fast, text is compressed, and what sits in front.

Timings are measured from this machine, so they include its distance to the server: the
two-second budget is for the whole page, and a loopback or same-region audit should be far
below it.
"""

from __future__ import annotations

import ipaddress

from launchready.checks.base import Verdict, check
from launchready.core.findings import Harm, Severity, Stage, Status
from launchready.gatherers.edge.http import PAGE, PageFact

PAGE_BUDGET_MS = 2000
COMPRESS_MIN_BYTES = 1024  # below this, compression saves less than a packet
WEB_DEV_TTFB = "https://web.dev/articles/ttfb"
MDN_COMPRESSION = "https://developer.mozilla.org/en-US/docs/Web/HTTP/Compression"
TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml", "+json")

# (header, substring of its value or "" for presence, provider). Lower-case names.
EDGE_HEADERS = (
    ("cf-ray", "", "Cloudflare"),
    ("server", "cloudflare", "Cloudflare"),
    ("x-amz-cf-id", "", "Amazon CloudFront"),
    ("via", "cloudfront", "Amazon CloudFront"),
    ("x-fastly-request-id", "", "Fastly"),
    ("x-served-by", "cache-", "Fastly"),
    ("server", "akamaighost", "Akamai"),
    ("x-akamai-transformed", "", "Akamai"),
    ("akamai-grn", "", "Akamai"),
    ("x-sucuri-id", "", "Sucuri WAF"),
    ("x-iinfo", "", "Imperva (Incapsula)"),
    ("x-azure-ref", "", "Azure Front Door"),
    ("via", "google", "Google Cloud load balancer/CDN"),
    ("x-vercel-id", "", "Vercel"),
    ("x-nf-request-id", "", "Netlify"),
    ("server", "bunnycdn", "Bunny CDN"),
    ("fly-request-id", "", "Fly.io proxy"),
)
# Published ranges of the largest providers (Cloudflare's ips-v4/v6 lists, Fastly's core).
EDGE_NETWORKS = tuple(
    (ipaddress.ip_network(net), provider)
    for provider, nets in (
        (
            "Cloudflare",
            "173.245.48.0/20 103.21.244.0/22 103.22.200.0/22 103.31.4.0/22 141.101.64.0/18 "
            "108.162.192.0/18 190.93.240.0/20 188.114.96.0/20 197.234.240.0/22 198.41.128.0/17 "
            "162.158.0.0/15 104.16.0.0/13 104.24.0.0/14 172.64.0.0/13 131.0.72.0/22 "
            "2400:cb00::/32 2606:4700::/32 2803:f800::/32 2405:b500::/32 2405:8100::/32 "
            "2a06:98c0::/29 2c0f:f248::/32",
        ),
        ("Fastly", "151.101.0.0/16 199.232.0.0/16 2a04:4e40::/32"),
    )
    for net in nets.split()
)


@check(
    id="edge.page-speed",
    stage=Stage.EDGE,
    title="Pages answer and load within two seconds",
    severity=Severity.MEDIUM,
    harm=Harm.SLOW,
    reads=PAGE,
    impact="A page that takes seconds before it even starts loses people at the first "
    "sign-in and makes every workflow feel broken.",
    remediation="Find where the time goes (server timing, slow queries, synchronous calls to "
    "other services) and cache or precompute; put static content on a CDN.",
    references=[WEB_DEV_TTFB, "https://web.dev/articles/vitals"],
)
def page_speed(page: PageFact) -> Verdict:
    """Time to first byte and the whole HTML document, each within the 2 s page budget."""
    ttfb = page.ttfb_ms if page.ttfb_ms is not None else page.elapsed_ms
    text = f"first byte {ttfb:.0f} ms, whole response {page.elapsed_ms:.0f} ms"
    size = f" ({page.body_bytes / 1024:.0f} KiB)"
    if max(ttfb, page.elapsed_ms) > PAGE_BUDGET_MS:
        return Verdict.fail(f"{text}{size}: over {PAGE_BUDGET_MS} ms")
    return Verdict.ok(text + size)


@check(
    id="edge.compression",
    stage=Stage.EDGE,
    title="Text responses are compressed",
    severity=Severity.LOW,
    harm=Harm.SLOW,
    reads=PAGE,
    impact="Uncompressed HTML and JSON are 3-10 times larger: slower pages on every mobile or "
    "hotel connection.",
    remediation="Enable gzip or Brotli for text/html, text/css, JavaScript and JSON at the "
    "server or CDN.",
    references=[MDN_COMPRESSION, "https://www.rfc-editor.org/rfc/rfc9110#section-8.4"],
)
def compression(page: PageFact) -> Verdict:
    """We ask with Accept-Encoding (gzip, deflate and br when available) like a browser does."""
    kind = page.content_type
    if not any(t in kind for t in TEXT_TYPES):
        return Verdict(Status.SKIPPED, f"not applicable: {kind or 'no Content-Type'} is not text")
    encoding = (page.header("Content-Encoding") or "").strip().lower()
    if encoding and encoding != "identity":
        return Verdict.ok(f"{kind} sent with Content-Encoding: {encoding}")
    if page.body_bytes < COMPRESS_MIN_BYTES:
        return Verdict.ok(f"{kind}, {page.body_bytes} bytes: too small to gain from compression")
    return Verdict.fail(f"{kind}, {page.body_bytes / 1024:.1f} KiB sent uncompressed")


def edge_providers(page: PageFact) -> list[str]:
    found = []
    for name, needle, provider in EDGE_HEADERS:
        value = page.header(name)
        if value is not None and needle in value.lower():
            found.append(f"{provider} ({name})")
    if page.peer:
        try:
            address = ipaddress.ip_address(page.peer)
        except ValueError:  # a name (e.g. a pin to "localhost"): no range to look up
            pass
        else:
            found += [f"{p} (address {page.peer})" for net, p in EDGE_NETWORKS if address in net]
    return list(dict.fromkeys(found))


@check(
    id="edge.cdn",
    stage=Stage.EDGE,
    title="A CDN or WAF is in front of the app",
    severity=Severity.INFO,
    harm=Harm.TRUST,
    reads=PAGE,
    impact="Without one, a traffic flood or a burst of abusive requests reaches the app "
    "directly; with one, DDoS absorption and WAF rules are a setting away.",
    remediation="Consider a CDN/WAF (Cloudflare, CloudFront, Fastly…) in front of the app, with "
    "DDoS protection on and the origin reachable only through it.",
    references=["https://owasp.org/www-community/Web_Application_Firewall"],
)
def cdn(page: PageFact) -> Verdict:
    """Information for the handover list, from response headers and the provider's address
    ranges; absence is not a failure for a small admin app."""
    providers = edge_providers(page)
    if providers:
        return Verdict.ok(
            f"served through {', '.join(providers)}: check DDoS protection and WAF rules are on"
        )
    return Verdict.warn(f"no CDN or WAF detected in front of {page.url}")
