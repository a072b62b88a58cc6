"""Edge gatherers against the lab: what the facts hold, and "could not check" kept apart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from launchready.checks.registry import Registry, load_registry
from launchready.config.model import (
    AuditConfig,
    LoginConfig,
    NetworkConfig,
    PerformanceConfig,
    WebConfig,
)
from launchready.core.findings import Stage, Status
from launchready.core.outcome import Outcome, OutcomeStatus
from launchready.engine import run_audit
from launchready.gatherers.base import GatherContext, Gatherer, NoProgress
from launchready.gatherers.edge.cache import AUTH_RESPONSE, CacheGatherer
from launchready.gatherers.edge.dns import CAA, DNS, DnsGatherer
from launchready.gatherers.edge.http import PAGE, REDIRECTS, PageFact, RedirectChain
from launchready.gatherers.edge.tls import CERTIFICATE, TLS_CONFIG, TlsGatherer
from launchready.gatherers.edge.web import HttpGatherer
from launchready.gatherers.network import Network
from launchready.renderers import renderer
from launchready.sandbox.edge_servers import SESSION, EdgeLab


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeLab]:
    with EdgeLab(tmp_path_factory.mktemp("edge-gatherers")) as lab:
        yield lab


def config(lab: EdgeLab, **web: Any) -> AuditConfig:
    perf = web.pop("performance", PerformanceConfig())
    return AuditConfig(
        web=WebConfig(**web), network=NetworkConfig(**lab.network()), performance=perf
    )


def gather(
    gatherer: Gatherer, cfg: AuditConfig, timeout_s: float = 10
) -> dict[str, list[Outcome[Any]]]:
    ctx = GatherContext(cfg, Network.from_config(cfg.network), NoProgress(), timeout_s=timeout_s)
    out: dict[str, list[Outcome[Any]]] = {}
    for o in asyncio.run(gatherer.gather(ctx)):
        out.setdefault(o.fact, []).append(o)
    return out


def test_page_keeps_markup_timing_and_peer(lab: EdgeLab) -> None:
    (page,) = gather(HttpGatherer(), config(lab, urls=[lab.url("sri-missing")]))[PAGE]
    fact: PageFact = page.value
    assert fact.is_html and "<main>" in fact.body and not fact.body_truncated
    assert fact.header("Content-Encoding") == "gzip" and fact.peer == "127.0.0.1"
    assert fact.ttfb_ms is not None and fact.ttfb_ms <= fact.elapsed_ms
    scripts = [s.url for s in fact.document.scripts]
    assert scripts == ["/static/app.js", "https://cdn.lab-vendor.test/lib.js"]


def test_tls_facts_show_the_chain_as_sent(lab: EdgeLab) -> None:
    cfg = config(lab, urls=[lab.url(p) for p in ("clean", "nochain", "tls13only")])
    facts = gather(TlsGatherer(), cfg)
    certs = {o.target: o.value for o in facts[CERTIFICATE]}
    assert [len(certs[h].presented) for h in ("clean.lab.test", "nochain.lab.test")] == [2, 1]
    assert certs["clean.lab.test"].presented[1].is_ca  # leaf then its intermediate
    assert certs["tls13only.lab.test"].presented is None  # TLS 1.3 encrypts the chain
    assert certs["nochain.lab.test"].verify_code == 20
    configs = {o.target: o.value for o in facts[TLS_CONFIG]}
    clean = configs["clean.lab.test"]
    assert (clean.offered("TLSv1.2"), clean.offered("TLSv1.3")) == (True, True)
    assert (clean.rsa_key_exchange, clean.cbc_suites) == (False, False)


def test_dns_facts_follow_cnames_and_climb_for_caa(lab: EdgeLab) -> None:
    facts = gather(
        DnsGatherer(), config(lab, urls=["https://dangling.lab.test/", "https://clean.lab.test/"])
    )
    names = {o.target: o.value for o in facts[DNS]}
    dangling = names["dangling.lab.test"]
    assert dangling.cnames == ("gone.lab.test",) and "NXDOMAIN" in (dangling.dangling or "")
    clean = names["clean.lab.test"]
    assert clean.ipv4 == ("127.0.0.1",) and clean.authoritative
    assert clean.server == lab.nameserver
    caas = {o.target: o.value for o in facts[CAA]}  # no [web] domain: each host climbs
    assert caas["clean.lab.test"].found_at == "lab.test"


def test_signed_in_responses_with_login_or_cookie(lab: EdgeLab) -> None:
    urls = [lab.url("clean", "/admin/ok"), lab.url("clean", "/admin/public")]
    login = PerformanceConfig(
        base_url=lab.url("clean"),
        login=LoginConfig(path="/login", form={"email": "admin@lab.test"}),
    )
    by_login = gather(
        CacheGatherer(), config(lab, urls=urls[:1], authenticated_urls=urls, performance=login)
    )
    by_cookie = gather(
        CacheGatherer(), config(lab, authenticated_urls=urls, cookies=[f"session={SESSION}"])
    )
    for facts, how in ((by_login, "[performance.login] POST"), (by_cookie, "cookie session")):
        ok, public = (o.value for o in facts[AUTH_RESPONSE])
        assert (ok.anonymous.status, ok.authenticated.status) == (302, 200)
        assert public.authenticated.header("Cache-Control") == "public, max-age=600"
        assert how in ok.session and SESSION not in ok.session  # names, never values


def test_a_login_that_fails_is_could_not_check(lab: EdgeLab) -> None:
    bad = PerformanceConfig(
        base_url=lab.url("clean"), login=LoginConfig(path="/login", form={"email": "wrong"})
    )
    facts = gather(
        CacheGatherer(), config(lab, urls=[lab.url("clean", "/admin/ok")], performance=bad)
    )
    (o,) = facts[AUTH_RESPONSE]
    assert o.status is OutcomeStatus.ERROR and "could not sign in" in o.reason
    (skipped,) = gather(CacheGatherer(), config(lab, urls=[lab.url("clean")]))[AUTH_RESPONSE]
    assert skipped.status is OutcomeStatus.SKIPPED and "--cookie" in skipped.reason


def test_a_host_that_never_answers_is_an_error_with_its_timeout(lab: EdgeLab) -> None:
    """The lab's blackhole accepts connections and never speaks."""
    port = lab.ports["blackhole"]
    cfg = AuditConfig(
        web=WebConfig(urls=[f"https://silent.lab.test:{port}/"]),
        network=NetworkConfig(
            resolve=[f"silent.lab.test:{port}:127.0.0.1"], ca_bundle=lab.ca_bundle
        ),
    )
    (page,) = gather(HttpGatherer(), cfg, timeout_s=1)[PAGE]
    assert page.status is OutcomeStatus.ERROR and "no answer within 1 s" in page.reason
    tls = gather(TlsGatherer(), cfg, timeout_s=1)
    assert {o.status for os_ in tls.values() for o in os_} == {OutcomeStatus.ERROR}


def test_the_report_carries_the_redirect_map(lab: EdgeLab) -> None:
    cfg = config(lab, urls=[lab.url("clean")], domain="lab.test")
    checks = Registry(
        c for c in load_registry() if c.id in ("edge.https-redirect", "edge.canonical-origin")
    )
    report = asyncio.run(run_audit(cfg, [Stage.EDGE], registry=checks, timeout_s=10))
    assert {f.status for f in report.findings} == {Status.PASS}
    data = json.loads(renderer("json")(report))
    starts = {row["start"]: row for row in data["redirect_map"]}
    assert set(starts) >= {"http://lab.test/", "https://lab.test/", "https://www.lab.test/"}
    apex = starts["http://lab.test/"]
    assert [h["status"] for h in apex["hops"]] == [301, 301, 200]
    assert apex["ends_at"] == "https://www.lab.test/" and apex["redirects"] == 2


def test_credentials_never_reach_plain_http_or_another_host(lab: EdgeLab) -> None:
    """The offhost name's http:// chain goes to another host: neither hop may see the session."""
    secret = "session-value-only-this-test-sends"
    cfg = config(
        lab,
        urls=[lab.url("offhost")],
        cookies=[f"session={secret}"],
        headers=[f"Authorization: Bearer {secret}"],
    )
    gather(HttpGatherer(), cfg)
    carried = [
        (scheme, request.host, request.path)
        for scheme, request in list(lab.site.seen)
        if secret in request.headers.get("cookie", "") + request.headers.get("authorization", "")
    ]
    assert ("https", "offhost.lab.test", "/") in carried  # the page itself is audited signed in
    assert {(scheme, host) for scheme, host, _ in carried} == {("https", "offhost.lab.test")}
    plain = [
        r for scheme, r in list(lab.site.seen) if scheme == "http" and r.host == "offhost.lab.test"
    ]
    assert plain  # the plain-http hop was requested, only without the session


def test_https_chains_are_redirect_facts_too(lab: EdgeLab) -> None:
    facts = gather(HttpGatherer(), config(lab, urls=[lab.url("downgrade")]))
    chains: dict[str, RedirectChain] = {o.target: o.value for o in facts[REDIRECTS]}
    assert set(chains) == {"http://downgrade.lab.test/", "https://downgrade.lab.test/"}
    hops = [(h.url, h.status) for h in chains["https://downgrade.lab.test/"].hops]
    assert hops == [
        ("https://downgrade.lab.test/", 301),
        ("http://downgrade.lab.test/step", 301),
        ("https://downgrade.lab.test/step", 200),
    ]


class _EndlessRedirects:
    """A session stand-in whose every answer redirects to a new path."""

    def __init__(self) -> None:
        self.calls = 0

    def get(self, url: str, allow_redirects: bool) -> Any:
        self.calls += 1
        session = self

        class Answer:
            status = 302
            headers = {"Location": f"/{session.calls}"}

            async def __aenter__(self) -> Any:
                return self

            async def __aexit__(self, *exc: object) -> None:
                return None

        return Answer()


def test_a_chain_that_never_settles_ends_with_the_loop_checks_text() -> None:
    from launchready.checks.edge.redirects import redirect_loop
    from launchready.gatherers.edge.http import MAX_HOPS, TOO_MANY, follow_redirects
    from launchready.gatherers.edge.redirects import RedirectMap

    session = _EndlessRedirects()
    chain = asyncio.run(follow_redirects(session, "https://a.test/"))  # type: ignore[arg-type]
    assert session.calls == MAX_HOPS
    assert chain.final.error == TOO_MANY == f"more than {MAX_HOPS} redirects"
    (verdict,) = redirect_loop.evaluate(RedirectMap("a.test", ("a.test",), (chain,)))
    assert verdict.status == Status.FAIL and verdict.target == "https://a.test/"
