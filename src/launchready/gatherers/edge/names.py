"""Which hostnames and origins the edge stage looks at.

The configured URLs' hosts, and for a configured domain its apex, ``www`` and each
subdomain: what a customer might type, so what DNS, TLS and the redirect map must cover.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from launchready.config.model import WebConfig
from launchready.gatherers.network import is_ip as is_ip  # re-exported for the checks


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return (parts.hostname or "").lower(), parts.port or default


def domain_names(web: WebConfig) -> list[str]:
    """Apex, www and each configured subdomain of ``[web] domain`` (none without one)."""
    if not web.domain:
        return []
    apex = web.domain.lower().strip(".")
    labels = ["", "www", *(s.strip(".").lower() for s in web.subdomains)]
    return list(dict.fromkeys(f"{label}.{apex}" if label else apex for label in labels))


def dns_names(web: WebConfig) -> list[str]:
    """Every hostname to resolve: URL hosts (not literal addresses) and the domain's names."""
    hosts = [host_port(u)[0] for u in web.urls]
    return list(dict.fromkeys(h for h in [*hosts, *domain_names(web)] if h and not is_ip(h)))


def web_names(web: WebConfig) -> list[str]:
    """Names a person reaches on the default ports (80 and 443): redirect map and TLS.

    A URL on a custom port has no plain-http twin anybody types, so only its own origin
    is probed (see ``tls_targets``).
    """
    hosts = [h for h, p in map(host_port, web.urls) if p in (80, 443)]
    return list(dict.fromkeys(h for h in [*hosts, *domain_names(web)] if h))


def tls_targets(web: WebConfig) -> list[tuple[str, int]]:
    """``(host, port)`` of every HTTPS origin: the https URLs and each name on port 443."""
    from_urls = [host_port(u) for u in web.urls if u.startswith("https://")]
    return list(dict.fromkeys([*from_urls, *((n, 443) for n in web_names(web))]))
