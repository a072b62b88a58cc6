"""The HTTP gatherer against real peers: sandbox DNS, HTTPS with a test CA, plain HTTP."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from launchready.config.model import AuditConfig, NetworkConfig, WebConfig
from launchready.config.netspec import parse_resolve
from launchready.core.outcome import OutcomeStatus
from launchready.gatherers.base import GatherContext, NoProgress
from launchready.gatherers.edge.http import PAGE, REDIRECTS, PageFact, RedirectChain
from launchready.gatherers.edge.web import HttpGatherer
from launchready.gatherers.network import Network
from launchready.sandbox.dns_server import SandboxDNS
from launchready.sandbox.environment import redirect_to_https
from launchready.sandbox.tls import TestCA
from launchready.sandbox.web_server import WebServer


def page(request):  # type: ignore[no-untyped-def]
    response = PlainTextResponse("Sign in")
    response.headers["Strict-Transport-Security"] = "max-age=600"
    response.set_cookie("session", "abc", httponly=True, samesite="lax", secure=False)
    return response


APP = Starlette(routes=[Route("/login", page)])
ZONE = "@ IN SOA ns hm 1 3600 600 86400 300\napp IN A 127.0.0.1\n"


@pytest.fixture(scope="module")
def peers(test_ca: TestCA) -> Iterator[dict[str, int]]:
    cert = test_ca.issue("edge-gatherer", "app.edge.test")
    with (
        SandboxDNS({"edge.test": ZONE}) as dns,
        WebServer(APP, cert=cert) as https,
        WebServer(redirect_to_https) as http,
    ):
        yield {"dns": dns.port, "https": https.port, "http": http.port}


def config(peers: dict[str, int], ca: str | None, **network: object) -> AuditConfig:
    net = NetworkConfig(
        nameservers=[f"127.0.0.1:{peers['dns']}"],
        ca_bundle=ca,
        connect_to=[
            f"app.edge.test:443:app.edge.test:{peers['https']}",
            f"app.edge.test:80:app.edge.test:{peers['http']}",
        ],
        **network,  # type: ignore[arg-type]
    )
    return AuditConfig(web=WebConfig(urls=["https://app.edge.test/login"]), network=net)


def gather(cfg: AuditConfig) -> dict[str, list]:
    ctx = GatherContext(cfg, Network.from_config(cfg.network), NoProgress(), timeout_s=10)
    out: dict[str, list] = {}
    for o in asyncio.run(HttpGatherer().gather(ctx)):
        out.setdefault(o.fact, []).append(o)
    return out


def test_page_and_redirects_through_our_dns_and_ca(peers: dict[str, int], test_ca: TestCA) -> None:
    facts = gather(config(peers, test_ca.bundle))
    (p,) = facts[PAGE]
    assert p.status == OutcomeStatus.OK, p.reason
    fact: PageFact = p.value
    assert fact.status == 200 and fact.header("strict-transport-security") == "max-age=600"
    (cookie,) = fact.cookies
    assert (cookie.name, cookie.secure, cookie.http_only) == ("session", False, True)
    chains: dict[str, RedirectChain] = {r.target: r.value for r in facts[REDIRECTS]}
    assert [(h.url, h.status) for h in chains["http://app.edge.test/"].hops] == [
        ("http://app.edge.test/", 301),
        ("https://app.edge.test/", 404),
    ]
    assert [(h.url, h.status) for h in chains["https://app.edge.test/"].hops] == [
        ("https://app.edge.test/", 404),
    ]


def test_untrusted_certificate_is_an_error_not_a_pass(peers: dict[str, int]) -> None:
    facts = gather(config(peers, None))
    (p,) = facts[PAGE]
    assert p.status == OutcomeStatus.ERROR
    assert "certificate" in p.reason.lower()


def test_unreachable_host_is_an_error_with_reason(test_ca: TestCA) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    cfg = AuditConfig(
        web=WebConfig(urls=[f"https://127.0.0.1:{closed}/"]),
        network=NetworkConfig(ca_bundle=test_ca.bundle),
    )
    facts = gather(cfg)
    (p,) = facts[PAGE]
    assert p.status == OutcomeStatus.ERROR and "cannot connect" in p.reason


def test_unknown_name_in_our_zone_is_an_error(peers: dict[str, int], test_ca: TestCA) -> None:
    cfg = AuditConfig(
        web=WebConfig(urls=["https://missing.edge.test/"]),
        network=NetworkConfig(nameservers=[f"127.0.0.1:{peers['dns']}"], ca_bundle=test_ca.bundle),
    )
    (p,) = gather(cfg)[PAGE]
    assert p.status == OutcomeStatus.ERROR and "does not resolve" in p.reason


def test_resolve_pins_an_address(peers: dict[str, int], test_ca: TestCA) -> None:
    cfg = AuditConfig(
        web=WebConfig(urls=[f"https://pinned.edge.test:{peers['https']}/login"]),
        network=NetworkConfig(
            ca_bundle=test_ca.bundle, resolve=[f"pinned.edge.test:{peers['https']}:127.0.0.1"]
        ),
    )
    (p,) = gather(cfg)[PAGE]
    # Reaches the server (so the pin worked); the certificate does not cover this name.
    assert p.status == OutcomeStatus.ERROR and "hostname" in p.reason.lower()


def test_resolve_takes_an_address_not_a_name() -> None:
    """curl's --resolve ADDR is an IP address; a name there was kept and broke edge.cdn."""
    assert parse_resolve("app.test:443:127.0.0.1") == (("app.test", 443), "127.0.0.1")
    assert parse_resolve("App.test:8443:[::1]") == (("app.test", 8443), "::1")
    with pytest.raises(ValueError, match=r"expected HOST:PORT:ADDR: 'localhost' is not an IP"):
        parse_resolve("app.test:443:localhost")
    with pytest.raises(ValidationError, match="'localhost' is not an IP address"):
        NetworkConfig(resolve=["app.test:443:localhost"])


def test_nothing_configured_is_skipped() -> None:
    facts = gather(AuditConfig())
    assert {o.status for os_ in facts.values() for o in os_} == {OutcomeStatus.SKIPPED}


def test_a_failed_caa_lookup_is_an_error_and_a_failed_parent_ends_the_climb() -> None:
    """The sandbox DNS refuses names outside its zones, as a SERVFAIL/REFUSED server would."""
    from launchready.checks.edge.dns import caa
    from launchready.gatherers.edge.dns import CAA, CaaFact, DnsGatherer

    zone = "@ IN SOA ns hm 1 3600 600 86400 300\n@ IN A 127.0.0.1\n"
    with SandboxDNS({"app.corp.test": zone}) as dns:
        network = NetworkConfig(nameservers=[f"127.0.0.1:{dns.port}"])

        def caa_of(domain: str) -> Any:
            cfg = AuditConfig(web=WebConfig(domain=domain), network=network)
            ctx = GatherContext(cfg, Network.from_config(network), NoProgress(), timeout_s=10)
            return next(o for o in asyncio.run(DnsGatherer().gather(ctx)) if o.fact == CAA)

        refused = caa_of("elsewhere.test")
        climbed = caa_of("www.app.corp.test")
    # The domain itself could not be asked: unknown, not "no CAA".
    assert refused.status is OutcomeStatus.ERROR and "REFUSED" in refused.reason
    # Its own zone answered (no CAA); the parent above it refused: the climb stops there.
    assert climbed.status is OutcomeStatus.OK
    fact: CaaFact = climbed.value
    assert fact.found_at is None
    assert fact.looked_at == ("www.app.corp.test", "app.corp.test", "corp.test")
    assert (fact.stopped or "").startswith("corp.test: ")
    (verdict,) = caa.evaluate(fact)
    assert "could not ask further up: corp.test" in verdict.evidence
