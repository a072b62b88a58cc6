"""`launchready audit --only email` against a sandbox DNS zone per scenario.

Each scenario domain is a good setup with one planted problem; the audit must flag
exactly that problem — and nothing on the good domain. Everything runs over real DNS on
loopback through ``--nameserver 127.0.0.1:PORT``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from launchready.cli.main import main
from launchready.config.model import AuditConfig, EmailConfig, NetworkConfig
from launchready.core.outcome import OutcomeStatus
from launchready.gatherers.base import GatherContext, NoProgress
from launchready.gatherers.email.dmarc import DMARC, DmarcFact
from launchready.gatherers.email.gatherer import EmailGatherer
from launchready.gatherers.email.spf import SPF, SpfTree
from launchready.gatherers.network import Network
from launchready.sandbox.dns_server import SandboxDNS
from launchready.sandbox.tls import TestCA

SOA = "@ IN SOA ns hostmaster 1 3600 600 86400 300\n"
PROBLEMS = ("fail", "warn")


def _prime(bits: int) -> int:
    while True:  # a Fermat probable prime is plenty for test key material
        n = secrets.randbits(bits) | (3 << (bits - 2)) | 1
        if all(pow(a, n - 1, n) == 1 for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)):
            return n


def dkim_txt(bits: int) -> str:
    """A DKIM key record, generated now (no key material is committed)."""
    if bits >= 1024:
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
    else:  # cryptography refuses to generate weak keys; build one from two primes
        key = rsa.RSAPublicNumbers(65537, _prime(bits // 2) * _prime(bits // 2)).public_key()
    p = base64.b64encode(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))
    text = p.decode()
    return '"v=DKIM1; k=rsa; p=" ' + " ".join(
        f'"{text[i : i + 200]}"' for i in range(0, len(text), 200)
    )


def scenario(name: str, key: str, **over: str) -> str:
    """Records of ``name``.mail.test: a good setup unless a record is overridden."""
    records = {
        "spf": f'{name} IN TXT "v=spf1 ip4:127.0.0.1 -all"',
        "dmarc": f'_dmarc.{name} IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@{name}.mail.test"',
        "dkim": f"s1._domainkey.{name} IN TXT {key}",
        "mx": f"{name} IN MX 10 mx.{name}\nmx.{name} IN A 127.0.0.1",
    }
    records.update(over)
    return "\n".join(r for r in records.values() if r) + "\n"


def zones(strong: str, weak: str) -> dict[str, str]:
    lookups = "\n".join(
        f'i{n}.lookups IN TXT "v=spf1 a:h.lookups.mail.test mx:lookups.mail.test -all"'
        for n in range(1, 5)
    )
    mail = SOA + "".join(
        [
            scenario(
                "good",
                strong,
                spf='good IN TXT "v=spf1 ip4:127.0.0.1 include:sendgrid.net -all"',
                dmarc='_dmarc.good IN TXT "v=DMARC1; p=reject; '
                'rua=mailto:dmarc@good.mail.test,mailto:agg@reports.test"',
                # s2 is delegated as SendGrid does it: a CNAME into the provider's zone.
                dkim=f"s1._domainkey.good IN TXT {strong}\n"
                "s2._domainkey.good IN CNAME s2.domainkey.u1.wl.sendgrid.net.",
                tlsrpt='_smtp._tls.good IN TXT "v=TLSRPTv1; rua=mailto:tls@good.mail.test"',
            ),
            scenario(
                "lookups",
                strong,
                spf='lookups IN TXT "v=spf1 include:i1.lookups.mail.test '
                "include:i2.lookups.mail.test include:i3.lookups.mail.test "
                'include:i4.lookups.mail.test -all"\n'
                f"{lookups}\nh.lookups IN A 127.0.0.2",
            ),
            scenario(
                "void",
                strong,
                spf='void IN TXT "v=spf1 a:gone1.void.mail.test a:gone2.void.mail.test '
                'a:gone3.void.mail.test ip4:127.0.0.1 -all"',
            ),
            scenario(
                "twospf",
                strong,
                spf='twospf IN TXT "v=spf1 ip4:127.0.0.1 -all"\n'
                'twospf IN TXT "v=spf1 include:sendgrid.net -all"',
            ),
            scenario("plusall", strong, spf='plusall IN TXT "v=spf1 +all"'),
            scenario("nodmarc", strong, dmarc=""),
            scenario(
                "pnone",
                strong,
                dmarc='_dmarc.pnone IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@pnone.mail.test"',
            ),
            scenario("weakdkim", strong, dkim=f"s1._domainkey.weakdkim IN TXT {weak}"),
            scenario("noselector", strong, dkim=f"s9._domainkey.noselector IN TXT {strong}"),
            scenario(
                "extrua",
                strong,
                dmarc='_dmarc.extrua IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@vendor.test"',
            ),
            scenario("nullmx", strong, mx="nullmx IN MX 0 ."),
            scenario(
                "provider",
                strong,
                spf='provider IN TXT "v=spf1 include:_spf.google.com -all"',
            ),
            # aspf=s with Mailchimp, which bounces through its own domain: its mail can
            # align only through DKIM — a warning with its key (k2), a failure without.
            scenario(
                "strictspf",
                strong,
                spf='strictspf IN TXT "v=spf1 ip4:127.0.0.1 include:servers.mcsv.net -all"',
                dmarc='_dmarc.strictspf IN TXT "v=DMARC1; p=reject; aspf=s; '
                'rua=mailto:dmarc@strictspf.mail.test"',
                dkim=f"s1._domainkey.strictspf IN TXT {strong}\n"
                f"k2._domainkey.strictspf IN TXT {strong}",
            ),
            scenario(
                "strictnokey",
                strong,
                spf='strictnokey IN TXT "v=spf1 ip4:127.0.0.1 include:servers.mcsv.net -all"',
                dmarc='_dmarc.strictnokey IN TXT "v=DMARC1; p=reject; aspf=s; '
                'rua=mailto:dmarc@strictnokey.mail.test"',
            ),
        ]
    )
    return {
        "mail.test": mail,
        "test": SOA,  # the parents the DMARC tree walk reaches
        "reports.test": SOA + 'good.mail.test._report._dmarc IN TXT "v=DMARC1"\n',
        "vendor.test": SOA,
        "sendgrid.net": SOA
        + '@ IN TXT "v=spf1 ip4:167.89.0.0/17 ~all"\n'
        + f"s2.domainkey.u1.wl IN TXT {strong}\n",
        "google.com": SOA + '_spf IN TXT "v=spf1 ip4:172.217.0.0/19 ~all"\n',
        "mcsv.net": SOA + 'servers IN TXT "v=spf1 ip4:205.201.128.0/20 -all"\n',
    }


# Scenario → the checks that must fail or warn (and no others).
PLANTED = {
    "good": set(),
    "lookups": {"email.spf-lookups"},
    "void": {"email.spf-void-lookups"},
    "twospf": {"email.spf-record"},
    "plusall": {"email.spf-all"},
    "nodmarc": {"email.dmarc-record"},
    "pnone": {"email.dmarc-policy"},
    "weakdkim": {"email.dkim-key-size"},
    "noselector": {"email.dkim-key"},
    "extrua": {"email.dmarc-reports"},
    "nullmx": {"email.mx"},
    "provider": {"email.provider-dkim"},
    "strictspf": {"email.dmarc-alignment"},
    "strictnokey": {"email.dmarc-alignment", "email.provider-dkim"},
}


@pytest.fixture(scope="module")
def dns() -> Iterator[SandboxDNS]:
    with SandboxDNS(zones(dkim_txt(2048), dkim_txt(512))) as server:
        yield server


def audit(tmp: Path, *flags: str) -> tuple[int, list[dict[str, Any]]]:
    out = tmp / "report.json"
    code = main(["audit", "--only", "email", "--format", "json", "--output", str(out), *flags])
    return code, json.loads(out.read_text())["findings"]


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_each_planted_problem_is_flagged_and_nothing_else(
    dns: SandboxDNS, tmp_path: Path, name: str
) -> None:
    domain = f"{name}.mail.test"
    code, findings = audit(
        tmp_path, "--domain", domain, "--nameserver", dns.address, "--dkim-selector", "s1"
    )
    flagged = {f["id"] for f in findings if f["status"] in PROBLEMS}
    assert flagged == PLANTED[name], [f["evidence"] for f in findings if f["status"] in PROBLEMS]
    # Every DNS-backed check evaluated: nothing "could not check".
    assert not [f for f in findings if f["status"] == "error"]
    must_fix = any(f["must_fix"] for f in findings)
    assert code == (1 if must_fix else 0)


def test_planted_evidence_says_what_is_wrong(dns: SandboxDNS, tmp_path: Path) -> None:
    wanted = {
        "lookups": ("email.spf-lookups", "12 DNS lookups"),
        "void": ("email.spf-void-lookups", "3 void lookups"),
        "twospf": ("email.spf-record", "2 SPF records"),
        "plusall": ("email.spf-all", "+all"),
        "pnone": ("email.dmarc-policy", "p=none"),
        "weakdkim": ("email.dkim-key-size", "RSA 512 bits"),
        "noselector": ("email.dkim-key", "no TXT record at s1._domainkey.noselector.mail.test"),
        "extrua": ("email.dmarc-reports", "vendor.test has not authorised"),
        "nullmx": ("email.mx", "null MX"),
        "provider": ("email.provider-dkim", "Google Workspace"),
        "strictspf": ("email.dmarc-alignment", "aspf=s: Mailchimp (include:servers.mcsv.net)"),
        "strictnokey": ("email.dmarc-alignment", "aspf=s and no DKIM key for Mailchimp"),
    }
    for name, (check_id, text) in wanted.items():
        _, findings = audit(
            tmp_path,
            "--domain",
            f"{name}.mail.test",
            "--nameserver",
            dns.address,
            "--dkim-selector",
            "s1",
        )
        (finding,) = [f for f in findings if f["id"] == check_id and f["status"] in PROBLEMS]
        assert text in finding["evidence"], (name, finding["evidence"])
    # Severity follows the harm: +all and a 512-bit key are blockers.
    _, findings = audit(tmp_path, "--domain", "plusall.mail.test", "--nameserver", dns.address)
    (plus,) = [f for f in findings if f["id"] == "email.spf-all"]
    assert plus["severity"] == "blocker" and plus["must_fix"]


def test_lookups_are_counted_and_shown_as_a_tree(dns: SandboxDNS, tmp_path: Path) -> None:
    _, findings = audit(tmp_path, "--domain", "lookups.mail.test", "--nameserver", dns.address)
    (f,) = [f for f in findings if f["id"] == "email.spf-lookups"]
    # Every DNS-querying term is numbered in evaluation order, nested under its include.
    first = (
        "12 DNS lookups (limit 10): #1 include:i1.lookups.mail.test → "
        "[#2 a:h.lookups.mail.test, #3 mx:lookups.mail.test (1 MX host(s))], "
        "#4 include:i2.lookups.mail.test → ["
    )
    assert f["evidence"].startswith(first)
    assert f["evidence"].endswith(
        "[#11 a:h.lookups.mail.test, #12 mx:lookups.mail.test (1 MX host(s))]"
    )


def test_selector_discovery_reports_what_was_probed(dns: SandboxDNS, tmp_path: Path) -> None:
    _, good = audit(tmp_path, "--domain", "good.mail.test", "--nameserver", dns.address)
    keys = [f for f in good if f["id"] == "email.dkim-key" and "_domainkey" in f["target"]]
    (probed,) = [f for f in good if f["id"] == "email.dkim-key" and f["target"] == "good.mail.test"]
    assert "probed 33 common selectors (default, dkim," in probed["evidence"]
    assert probed["evidence"].endswith("found s1, s2")
    assert {f["target"] for f in keys} == {
        "s1._domainkey.good.mail.test",
        "s2._domainkey.good.mail.test",
    }
    assert all(f["status"] == "pass" and "discovered" in f["evidence"] for f in keys)
    _, none = audit(tmp_path, "--domain", "noselector.mail.test", "--nameserver", dns.address)
    (missing,) = [f for f in none if f["id"] == "email.dkim-key"]
    # s9 is not a common selector: discovery says what it tried and how to give it.
    assert missing["status"] == "warn" and "selector1" in missing["evidence"]
    assert "--dkim-selector" in missing["evidence"]


def gather(cfg: AuditConfig) -> dict[str, list[Any]]:
    ctx = GatherContext(cfg, Network.from_config(cfg.network), NoProgress(), timeout_s=10)
    out: dict[str, list[Any]] = {}
    for o in asyncio.run(EmailGatherer().gather(ctx)):
        out.setdefault(o.fact, []).append(o)
    return out


def config(server: str, domain: str, **email: Any) -> AuditConfig:
    return AuditConfig(
        email=EmailConfig(domains=[domain], **email),
        network=NetworkConfig(nameservers=[server]),
    )


def test_sending_ips_go_through_check_host(dns: SandboxDNS) -> None:
    facts = gather(config(dns.address, "good.mail.test", sending_ips=["127.0.0.1", "192.0.2.9"]))
    results = {o.value.ip: o.value.result for o in facts["email.spf-senders"]}
    assert results == {"127.0.0.1": "pass", "192.0.2.9": "fail"}


def test_an_unreachable_zone_is_could_not_check_never_pass(dns: SandboxDNS) -> None:
    # The sandbox refuses names outside its zones, as a broken authoritative server does.
    facts = gather(config(dns.address, "elsewhere.example", sending_ips=["127.0.0.1"]))
    statuses = {fact: {o.status for o in outs} for fact, outs in facts.items()}
    for fact in ("email.spf", "email.dkim", "email.dmarc", "email.mx", "email.spf-senders"):
        assert statuses[fact] == {OutcomeStatus.ERROR}, fact
    (spf,) = facts[SPF]
    assert "REFUSED" in spf.reason


def test_each_resolver_gets_its_own_answers() -> None:
    """Two servers (two ports) disagree about one domain: no answer may leak between them."""
    zone = 'swap IN TXT "v=spf1 {0} -all"\n_dmarc.swap IN TXT "v=DMARC1; p={1}"\n'
    one = SOA + zone.format("ip4:127.0.0.1", "none")
    two = SOA + zone.format("ip4:127.0.0.2 ip4:127.0.0.3", "reject")
    with SandboxDNS({"swap.test": one}) as a, SandboxDNS({"swap.test": two}) as b:
        for server, record, policy in (
            (a, "v=spf1 ip4:127.0.0.1 -all", "none"),
            (b, "v=spf1 ip4:127.0.0.2 ip4:127.0.0.3 -all", "reject"),
            (a, "v=spf1 ip4:127.0.0.1 -all", "none"),
        ):
            facts = gather(config(server.address, "swap.swap.test"))
            tree: SpfTree = facts[SPF][0].value
            fact: DmarcFact = facts[DMARC][0].value
            assert tree.root.records and tree.root.records.spf == (record,)
            assert fact.policy == policy


def _policy_app(policy: str) -> Any:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def serve(request: Any) -> PlainTextResponse:
        return PlainTextResponse(policy)

    return Starlette(routes=[Route("/.well-known/mta-sts.txt", serve)])


@pytest.mark.parametrize(
    ("mx_line", "status"),
    [("mx: *.sts.sts.test", "pass"), ("mx: other.example", "fail")],
)
def test_mta_sts_policy_is_fetched_over_https(test_ca: TestCA, mx_line: str, status: str) -> None:
    from launchready.checks.email.mx import mta_sts_check
    from launchready.sandbox.web_server import WebServer

    zone = SOA + (
        'sts IN MX 10 mx.sts\nmx.sts IN A 127.0.0.1\n_mta-sts.sts IN TXT "v=STSv1; id=20261128"\n'
    )
    policy = f"version: STSv1\nmode: enforce\n{mx_line}\nmax_age: 604800\n"
    cert = test_ca.issue("mta-sts", "mta-sts.sts.sts.test")
    with SandboxDNS({"sts.test": zone}) as server, WebServer(_policy_app(policy), cert=cert) as web:
        cfg = AuditConfig(
            email=EmailConfig(domains=["sts.sts.test"]),
            network=NetworkConfig(
                nameservers=[server.address],
                ca_bundle=test_ca.bundle,
                connect_to=[f"mta-sts.sts.sts.test:443:127.0.0.1:{web.port}"],
            ),
        )
        (outcome,) = gather(cfg)["email.mta-sts"]
    fact = outcome.value
    assert fact.policy is not None and fact.policy.mode == "enforce", fact
    assert fact.mx_hosts == ("mx.sts.sts.test",)
    assert {v.status.value for v in mta_sts_check.evaluate(fact)} == {status}


def test_nothing_configured_is_skipped() -> None:
    facts = gather(AuditConfig())
    assert {o.status for outs in facts.values() for o in outs} == {OutcomeStatus.SKIPPED}
    assert set(facts) == set(EmailGatherer.provides)


def test_strict_alignment_without_the_services_key_is_a_must_fix(
    dns: SandboxDNS, tmp_path: Path
) -> None:
    code, findings = audit(
        tmp_path, "--domain", "strictnokey.mail.test", "--nameserver", dns.address
    )
    (f,) = [f for f in findings if f["id"] == "email.dmarc-alignment"]
    # p=reject: Mailchimp's mail would be rejected, so this blocks the launch.
    assert (f["status"], f["severity"], f["must_fix"]) == ("fail", "high", True)
    assert f["target"] == "strictnokey.mail.test (Mailchimp)"
    assert code == 1


def test_spf_records_are_told_apart_by_their_version() -> None:
    """One rule (RFC 7208 §4.5, ``is_spf_record``) for the gatherer and the parser: any
    case, "v=spf1" then a space or nothing; "v=spf10" and Sender ID records are not SPF."""
    zone = SOA + (
        'case IN TXT "V=SPF1 ip4:127.0.0.1 -ALL"\n'
        'case IN TXT "v=spf10 ip4:127.0.0.2 -all"\n'
        'case IN TXT "spf2.0/pra -all"\n'
        'case IN TXT "google-site-verification=abc"\n'
    )
    with SandboxDNS({"ver.test": zone}) as server:
        facts = gather(config(server.address, "case.ver.test"))
    tree: SpfTree = facts[SPF][0].value
    assert tree.root.records is not None
    assert tree.root.records.spf == ("V=SPF1 ip4:127.0.0.1 -ALL",)
    assert tree.root.records.legacy == ("spf2.0/pra -all",)
