"""Every edge check against real servers: it fails on its planted problem, passes on clean.

The lab (launchready.sandbox.edge_servers) serves each problem on its own name, listener
or signed-in page; four small audits run at once, each with only the checks it needs, so
the TLS probes of one do not slow the page timings of another.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from launchready.checks.registry import Registry, load_registry
from launchready.config.model import (
    AuditConfig,
    LoginConfig,
    NetworkConfig,
    PerformanceConfig,
    WebConfig,
)
from launchready.core.findings import Finding, Report, Severity, Stage, Status
from launchready.engine import run_audit
from launchready.gatherers.edge.assets import ASSETS
from launchready.gatherers.edge.cache import AUTH_RESPONSE
from launchready.gatherers.edge.cors import CORS
from launchready.gatherers.edge.dns import CAA, DNS
from launchready.gatherers.edge.http import PAGE, REACH, REDIRECTS
from launchready.gatherers.edge.redirects import REDIRECT_MAP
from launchready.gatherers.edge.tls import CERTIFICATE, TLS_CONFIG
from launchready.sandbox.edge_servers import ADMIN_PAGES, PROFILES, TLS_PROFILES, TWIN, EdgeLab

FAIL, WARN, PASS = Status.FAIL, Status.WARN, Status.PASS
WEB_FACTS = {PAGE, REACH, REDIRECTS, REDIRECT_MAP, CORS, ASSETS, AUTH_RESPONSE}
Findings = dict[tuple[str, str], list[Finding]]


def registry(facts: set[str]) -> Registry:
    return Registry(c for c in load_registry() if c.stage is Stage.EDGE and c.reads in facts)


def index(report: Report) -> Findings:
    out: Findings = {}
    for f in report.findings:
        out.setdefault((f.id, f.target), []).append(f)
    return out


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeLab]:
    with EdgeLab(tmp_path_factory.mktemp("edge-lab")) as lab:
        yield lab


@pytest.fixture(scope="module")
def audits(lab: EdgeLab) -> dict[str, Findings]:
    network = NetworkConfig(**lab.network())
    pages = [lab.url(p) for p in PROFILES]
    web = AuditConfig(
        web=WebConfig(
            urls=pages,
            domain="lab.test",
            authenticated_urls=[lab.url("clean", f"/admin/{v}") for v in ADMIN_PAGES],
        ),
        network=network,
        performance=PerformanceConfig(
            base_url=lab.url("clean"),
            login=LoginConfig(path="/login", form={"email": "admin@lab.test", "password": "x"}),
        ),
    )
    tls = AuditConfig(
        web=WebConfig(urls=[lab.url(p) for p in ("clean", *TLS_PROFILES)]), network=network
    )
    dns = AuditConfig(
        web=WebConfig(domain="lab.test", subdomains=["clean", "dangling", "missing"]),
        network=network,
    )
    twin = AuditConfig(web=WebConfig(urls=[f"https://{TWIN}/"], domain=TWIN), network=network)
    plan: dict[str, tuple[AuditConfig, set[str]]] = {
        "web": (web, WEB_FACTS),
        "tls": (tls, {CERTIFICATE, TLS_CONFIG}),
        "dns": (dns, {DNS, CAA}),
        "twin": (twin, {REDIRECT_MAP, CAA}),
    }

    async def run_all() -> list[Report]:
        return await asyncio.gather(
            *(
                run_audit(cfg, [Stage.EDGE], registry=registry(facts), timeout_s=15)
                for cfg, facts in plan.values()
            )
        )

    return {name: index(r) for name, r in zip(plan, asyncio.run(run_all()), strict=True)}


def statuses(found: Findings, check_id: str, target: str) -> set[Status]:
    assert (check_id, target) in found, f"no {check_id} finding for {target}"
    return {f.status for f in found[check_id, target]}


def page(profile: str, path: str = "/") -> str:
    return EdgeLab.url(EdgeLab, profile, path)  # type: ignore[arg-type]


COOKIE = " (cookie session)"
# (audit, check, planted problem's target, expected status, target on the clean server)
PLANTED: list[tuple[str, str, str, Status, str]] = [
    ("web", "edge.reachable", page("no-headers"), PASS, page("clean")),
    ("web", "edge.hsts", page("no-headers"), FAIL, page("clean")),
    ("web", "edge.hsts", page("hsts-short"), WARN, page("clean")),
    ("web", "edge.hsts-subdomains", page("hsts-nosub"), WARN, page("clean")),
    ("web", "edge.hsts-preload", page("hsts-nosub"), WARN, page("clean")),
    ("web", "edge.csp", page("csp-unsafe-inline"), FAIL, page("clean")),
    ("web", "edge.csp", page("csp-broad"), FAIL, page("csp-nonce")),
    ("web", "edge.csp", page("csp-no-fallback"), FAIL, page("csp-lax-profile")),
    ("web", "edge.csp", page("csp-report-only"), FAIL, page("clean")),
    ("web", "edge.csp-unsafe-eval", page("csp-unsafe-eval"), FAIL, page("clean")),
    ("web", "edge.csp-strict", page("csp-lax-profile"), FAIL, page("clean")),
    ("web", "edge.csp-strict", page("csp-no-fallback"), FAIL, page("csp-nonce")),
    ("web", "edge.frame-protection", page("xfo-missing"), FAIL, page("clean")),
    ("web", "edge.frame-protection", page("xfo-allow-from"), WARN, page("clean")),
    ("web", "edge.nosniff", page("nosniff-missing"), FAIL, page("clean")),
    ("web", "edge.referrer-policy", page("referrer-unsafe"), FAIL, page("clean")),
    ("web", "edge.referrer-policy", page("referrer-missing"), WARN, page("clean")),
    ("web", "edge.permissions-policy", page("permissions-missing"), WARN, page("clean")),
    (
        "web",
        "edge.cross-origin-policies",
        page("coop-missing") + " (Cross-Origin-Opener-Policy)",
        WARN,
        page("clean") + " (Cross-Origin-Opener-Policy)",
    ),
    ("web", "edge.cors", page("cors-credentials"), FAIL, page("clean")),
    ("web", "edge.cors", page("cors-reflect"), WARN, page("clean")),
    ("web", "edge.sri", page("sri-missing"), FAIL, page("clean")),
    ("web", "edge.sri", page("sri-sibling"), FAIL, page("clean")),
    ("web", "edge.mixed-content", page("mixed-active"), FAIL, page("clean")),
    ("web", "edge.mixed-content", page("mixed-passive"), WARN, page("clean")),
    ("web", "edge.cookie-secure", page("cookie-insecure") + COOKIE, FAIL, page("clean") + COOKIE),
    (
        "web",
        "edge.cookie-httponly",
        page("cookie-no-httponly") + COOKIE,
        FAIL,
        page("clean") + COOKIE,
    ),
    (
        "web",
        "edge.cookie-samesite",
        page("cookie-no-samesite") + COOKIE,
        FAIL,
        page("clean") + COOKIE,
    ),
    ("web", "edge.cache-set-cookie", page("cookie-cacheable"), FAIL, page("clean")),
    ("web", "edge.compression", page("uncompressed"), FAIL, page("clean")),
    ("web", "edge.page-speed", page("slow"), FAIL, page("clean")),
    (
        "web",
        "edge.static-cache",
        page("static-short", "/static/short.css"),
        WARN,
        page("clean", "/static/app.css"),
    ),
    ("web", "edge.cdn", page("clean"), WARN, page("behind-cdn")),
    ("web", "edge.https-redirect", "http://no-redirect.lab.test/", FAIL, "http://clean.lab.test/"),
    (
        "web",
        "edge.https-redirect",
        "http://temp-redirect.lab.test/",
        WARN,
        "http://clean.lab.test/",
    ),
    ("web", "edge.https-redirect", "http://plainhop.lab.test/", WARN, "http://clean.lab.test/"),
    ("web", "edge.https-redirect", "http://offhost.lab.test/", WARN, "http://clean.lab.test/"),
    ("web", "edge.https-redirect", "https://downgrade.lab.test/", FAIL, "https://clean.lab.test/"),
    ("web", "edge.https-redirect", "http://downgrade.lab.test/", FAIL, "http://clean.lab.test/"),
    ("web", "edge.redirect-hops", "http://hops.lab.test/", WARN, "http://clean.lab.test/"),
    ("web", "edge.redirect-loop", "https://loop.lab.test/", FAIL, TWIN),
    ("web", "edge.redirect-loop", "http://loop.lab.test/", FAIL, TWIN),
    ("twin", "edge.canonical-origin", TWIN, FAIL, "lab.test"),
    ("web", "edge.cache-private", page("clean", "/admin/public"), FAIL, page("clean", "/admin/ok")),
    (
        "web",
        "edge.cache-private",
        page("clean", "/admin/s-maxage"),
        FAIL,
        page("clean", "/admin/ok"),
    ),
    (
        "web",
        "edge.cache-private",
        page("clean", "/admin/set-cookie"),
        FAIL,
        page("clean", "/admin/ok"),
    ),
    (
        "web",
        "edge.cache-private",
        page("clean", "/admin/no-cache-control"),
        WARN,
        page("clean", "/admin/ok"),
    ),
    (
        "web",
        "edge.cdn-cache-hit",
        page("clean", "/admin/cdn-hit"),
        FAIL,
        page("clean", "/admin/ok"),
    ),
    ("tls", "edge.tls-expiry", "expired.lab.test", FAIL, "clean.lab.test"),
    ("tls", "edge.tls-expiry", "expiring.lab.test", WARN, "clean.lab.test"),
    ("tls", "edge.tls-hostname", "wronghost.lab.test", FAIL, "clean.lab.test"),
    ("tls", "edge.tls-chain", "nochain.lab.test", FAIL, "clean.lab.test"),
    ("tls", "edge.tls-chain", "selfsigned.lab.test", FAIL, "clean.lab.test"),
    ("tls", "edge.tls-key", "legacy.lab.test", FAIL, "clean.lab.test"),
    ("tls", "edge.tls-signature", "legacy.lab.test", FAIL, "clean.lab.test"),
    ("tls", "edge.tls-lifetime", "legacy.lab.test", FAIL, "clean.lab.test"),
    ("tls", "edge.tls-forward-secrecy", "legacy.lab.test", FAIL, "clean.lab.test"),
    ("tls", "edge.tls-aead", "cbc.lab.test", FAIL, "clean.lab.test"),
    ("tls", "edge.tls-1-3", "cbc.lab.test", WARN, "clean.lab.test"),
    ("tls", "edge.tls-1-2", "tls13only.lab.test", FAIL, "clean.lab.test"),
    ("tls", "edge.tls-legacy-protocols", "tls10.lab.test", FAIL, "clean.lab.test"),
    ("dns", "edge.dns-resolves", "missing.lab.test", FAIL, "clean.lab.test"),
    ("dns", "edge.dns-resolves", "dangling.lab.test", FAIL, "clean.lab.test"),
    ("dns", "edge.dns-dangling", "dangling.lab.test", FAIL, "clean.lab.test"),
    ("twin", "edge.caa", TWIN, FAIL, "lab.test"),
]


@pytest.mark.parametrize(
    ("audit", "check_id", "bad", "expected", "clean"),
    PLANTED,
    ids=[f"{c}@{b.split('//')[-1]}" for _, c, b, _, _ in PLANTED],
)
def test_each_check_fails_on_its_server_and_passes_on_clean(
    lab: EdgeLab,
    audits: dict[str, Findings],
    audit: str,
    check_id: str,
    bad: str,
    expected: Status,
    clean: str,
) -> None:
    if bad.startswith("tls10.") and lab.tls10_reason:
        pytest.skip(lab.tls10_reason)
    assert statuses(audits[audit], check_id, bad) == {expected}
    # The clean counterpart may come from another audit (lab.test's map for twin.test's).
    found = next((a for a in audits.values() if (check_id, clean) in a), audits[audit])
    assert statuses(found, check_id, clean) == {PASS}


def test_the_clean_server_has_no_problem_at_all(audits: dict[str, Findings]) -> None:
    clean_targets = ("clean.lab.test", "https://clean.lab.test/", "http://clean.lab.test/")
    problems = [
        (f.id, f.target, f.status.value, f.evidence)
        for found in audits.values()
        for (check_id, target), fs in found.items()
        for f in fs
        if target.startswith(clean_targets)
        and "/admin/" not in target
        and f.status is not PASS
        and check_id != "edge.cdn"  # information: the lab has no CDN in front
    ]
    assert problems == []


def test_grades_of_lesser_forms(audits: dict[str, Findings]) -> None:
    (nochain,) = audits["tls"]["edge.tls-chain", "nochain.lab.test"]
    assert nochain.severity is Severity.HIGH and "incomplete chain" in nochain.evidence
    (expiring,) = audits["tls"]["edge.tls-expiry", "expiring.lab.test"]
    assert expiring.severity is Severity.HIGH and expiring.must_fix
    (hit,) = audits["web"]["edge.cdn-cache-hit", page("clean", "/admin/cdn-hit")]
    assert hit.severity is Severity.BLOCKER and "CF-Cache-Status: HIT" in hit.evidence
