"""Email checks as pure functions of plain facts; record parsers without I/O."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from launchready.checks.base import Check
from launchready.checks.email import dkim as dkim_checks
from launchready.checks.email import dmarc as dmarc_checks
from launchready.checks.email import mx as mx_checks
from launchready.checks.email import send as send_checks
from launchready.checks.email import spf as spf_checks
from launchready.checks.registry import load_registry
from launchready.core.findings import Severity, Stage, Status
from launchready.core.outcome import Outcome, OutcomeStatus
from launchready.gatherers.email.alignment import ALIGNMENT, alignment, alignment_outcome
from launchready.gatherers.email.check_host import SpfSender
from launchready.gatherers.email.delivery import Delivery, DkimResult, DmarcResult, Verification
from launchready.gatherers.email.dkim_keys import DkimKey, DkimSelectors, key_of
from launchready.gatherers.email.dmarc import (
    DmarcFact,
    ReportUri,
    organizational_domain,
    parse_dmarc,
    walk_names,
)
from launchready.gatherers.email.mx import MtaStsFact, MxFact, MxHost, TlsRptFact, parse_policy
from launchready.gatherers.email.providers import Providers, ProviderUse
from launchready.gatherers.email.spf import SpfLookup, SpfNode, SpfRecordSet, SpfTree
from launchready.gatherers.email.spf_syntax import parse_spf

# Check ids are stable; each lives in the module of its topic (checks/email/<topic>.py).
EMAIL_CHECKS = {
    "spf": {
        *("email.spf-record", "email.spf-syntax", "email.spf-lookups", "email.spf-void-lookups"),
        *("email.spf-all", "email.spf-ptr", "email.spf-legacy", "email.spf-size"),
        *("email.spf-includes", "email.spf-senders"),
    },
    "dkim": {"email.dkim-key", "email.dkim-key-size", "email.dkim-testing", "email.provider-dkim"},
    "dmarc": {
        *("email.dmarc-record", "email.dmarc-syntax", "email.dmarc-policy"),
        *("email.dmarc-reports", "email.dmarc-alignment", "email.dmarc-obsolete"),
    },
    "mx": {"email.mx", "email.mta-sts", "email.tls-rpt"},
    "send": {
        "email.send-accepted",
        "email.send-dkim",
        "email.send-spf",
        "email.send-dmarc",
        "email.send-inbox",
    },
}


def test_email_check_ids_by_topic_module() -> None:
    found: dict[str, set[str]] = {}
    for c in load_registry().for_stages([Stage.EMAIL]):
        package, _, module = c.func.__module__.rpartition(".")
        assert package == "launchready.checks.email", c.func.__module__
        found.setdefault(module, set()).add(c.id)
    assert found == EMAIL_CHECKS


def run(c: Check, fact: Any) -> list[tuple[Status, Severity]]:
    return [(v.status, v.severity or c.severity) for v in c.evaluate(fact)]


def statuses(c: Check, fact: Any) -> set[Status]:
    return {v.status for v in c.evaluate(fact)}


def node(
    domain: str,
    *records: str,
    lookups: tuple[SpfLookup, ...] = (),
    problem: str = "",
    legacy: tuple[str, ...] = (),
    txt_bytes: int | None = None,
) -> SpfNode:
    spf = tuple(records)
    lengths = (len(spf[0]),) if spf else ()
    size = txt_bytes if txt_bytes is not None else sum(len(r) + 1 for r in spf)
    rs = SpfRecordSet(domain, spf, legacy, lengths, size)
    return SpfNode(domain, rs, parse_spf(spf[0]) if spf else None, problem, lookups)


def tree(root: SpfNode) -> SpfTree:
    return SpfTree(root.domain, root, False)


def look(n: int, term: str, *, void: bool = False, child: SpfNode | None = None) -> SpfLookup:
    return SpfLookup(n, "x.test", term, term.partition(":")[2], void, "", child)


# --- SPF ---------------------------------------------------------------------------------


def test_spf_record_counts() -> None:
    assert statuses(spf_checks.spf_record, tree(node("x.test"))) == {Status.FAIL}
    two = tree(node("x.test", "v=spf1 -all", "v=spf1 a -all"))
    (v,) = spf_checks.spf_record.evaluate(two)
    assert v.status == Status.FAIL and "2 SPF records" in v.evidence
    assert statuses(spf_checks.spf_record, tree(node("x.test", "v=spf1 -all"))) == {Status.PASS}


def test_spf_syntax_error_names_the_position() -> None:
    (v,) = spf_checks.spf_syntax.evaluate(tree(node("x.test", "v=spf1 ip4:192.0.2.300 -all")))
    assert v.status == Status.FAIL and v.evidence.startswith("position 8 ('ip4:192.0.2.300')")
    assert statuses(spf_checks.spf_syntax, tree(node("x.test"))) == {Status.SKIPPED}


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ("v=spf1 +all", (Status.FAIL, Severity.BLOCKER)),
        ("v=spf1 all", (Status.FAIL, Severity.BLOCKER)),
        ("v=spf1 ?all", (Status.FAIL, Severity.HIGH)),
        ("v=spf1 ip4:192.0.2.1", (Status.WARN, Severity.MEDIUM)),
        ("v=spf1 ip4:192.0.2.1 ~all", (Status.WARN, Severity.LOW)),
        ("v=spf1 ip4:192.0.2.1 -all", (Status.PASS, Severity.HIGH)),
    ],
)
def test_spf_all_qualifiers(record: str, expected: tuple[Status, Severity]) -> None:
    assert run(spf_checks.spf_all, tree(node("x.test", record))) == [expected]


def test_spf_all_follows_redirect_and_sees_plus_all_in_includes() -> None:
    target = node("y.test", "v=spf1 +all")
    redirected = node(
        "x.test", "v=spf1 redirect=y.test", lookups=(look(1, "redirect=y.test", child=target),)
    )
    assert run(spf_checks.spf_all, tree(redirected)) == [(Status.FAIL, Severity.BLOCKER)]
    included = node(
        "x.test", "v=spf1 include:y.test -all", lookups=(look(1, "include:y.test", child=target),)
    )
    verdicts = spf_checks.spf_all.evaluate(tree(included))
    assert [(v.status, v.target) for v in verdicts] == [
        (Status.FAIL, "y.test"),
        (Status.PASS, None),
    ]


def test_spf_lookup_and_void_limits() -> None:
    many = tuple(look(n, f"a:h{n}.x.test", void=n <= 3) for n in range(1, 12))
    t = tree(node("x.test", "v=spf1 -all", lookups=many))
    (v,) = spf_checks.spf_lookups.evaluate(t)
    assert v.status == Status.FAIL and v.evidence.startswith("11 DNS lookups (limit 10): #1 a:h1")
    (v,) = spf_checks.spf_void_lookups.evaluate(t)
    assert v.status == Status.FAIL and v.evidence.startswith("3 void lookups (limit 2)")
    one = tree(node("x.test", "v=spf1 -all", lookups=(look(1, "a:gone.x.test", void=True),)))
    assert run(spf_checks.spf_void_lookups, one) == [(Status.WARN, Severity.LOW)]
    assert run(spf_checks.spf_lookups, one) == [(Status.PASS, Severity.HIGH)]


def test_spf_hygiene_checks() -> None:
    ptr = tree(node("x.test", "v=spf1 ptr -all"))
    assert statuses(spf_checks.spf_ptr, ptr) == {Status.WARN}
    legacy = tree(node("x.test", "v=spf1 -all", legacy=("spf2.0/pra -all",)))
    assert statuses(spf_checks.spf_legacy, legacy) == {Status.WARN}
    long = "v=spf1 " + " ".join(f"ip4:192.0.2.{i}" for i in range(40)) + " -all"
    assert statuses(spf_checks.spf_size, tree(node("x.test", long))) == {Status.WARN}
    crowded = tree(node("x.test", "v=spf1 -all", txt_bytes=600))
    assert statuses(spf_checks.spf_size, crowded) == {Status.WARN}
    assert statuses(spf_checks.spf_size, tree(node("x.test", "v=spf1 -all"))) == {Status.PASS}


def test_spf_include_targets() -> None:
    missing = SpfNode("gone.test", None, None, "gone.test has no SPF record")
    broken = SpfNode("dns.test", None, None, "could not check: DNS lookup failed")
    t = tree(
        node(
            "x.test",
            "v=spf1 include:gone.test include:dns.test -all",
            lookups=(
                look(1, "include:gone.test", child=missing),
                look(2, "include:dns.test", child=broken),
            ),
        )
    )
    assert [v.status for v in spf_checks.spf_includes.evaluate(t)] == [Status.FAIL, Status.ERROR]


@pytest.mark.parametrize(
    ("result", "status"),
    [
        ("pass", Status.PASS),
        ("softfail", Status.FAIL),
        ("none", Status.FAIL),
        ("permerror", Status.FAIL),
    ],
)
def test_spf_senders(result: str, status: Status) -> None:
    sender = SpfSender("x.test", "192.0.2.1", "postmaster@x.test", result, "", "why")
    assert statuses(spf_checks.spf_senders, sender) == {status}


def test_provider_dkim() -> None:
    uses = (
        ProviderUse("SendGrid", "sendgrid.net", ("s1", "s2"), ("s1",), "how"),
        ProviderUse("Google Workspace", "_spf.google.com", ("google",), (), "how"),
        ProviderUse("Amazon SES", "amazonses.com", (), (), "how"),
    )
    got = run(dkim_checks.provider_dkim, Providers("x.test", uses, ()))
    assert got == [
        (Status.PASS, Severity.MEDIUM),
        (Status.WARN, Severity.MEDIUM),
        (Status.WARN, Severity.LOW),
    ]
    assert statuses(dkim_checks.provider_dkim, Providers("x.test", uses[2:], ("k1",))) == {
        Status.PASS
    }


# --- DKIM --------------------------------------------------------------------------------


def rsa_p(bits: int) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
    return base64.b64encode(
        key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    ).decode()


def test_key_records_are_parsed() -> None:
    rsa_1024 = rsa_p(1024)
    key = key_of("s", "s._domainkey.x.test", (f"v=DKIM1; k=rsa; t=y; p={rsa_1024}",))
    assert (key.key_type, key.bits, key.testing, key.usable) == ("rsa", 1024, True, True)
    assert key_of("s", "n", ("v=DKIM1; p=",)).revoked
    assert key_of("s", "n", ()).found is False
    assert "base64" in key_of("s", "n", ("p=!!!",)).problem
    assert "first" in key_of("s", "n", (f"k=rsa; v=DKIM1; p={rsa_1024}",)).problem
    ed = key_of("s", "n", ("v=DKIM1; k=ed25519; p=" + "A" * 43 + "=",))
    assert (ed.key_type, ed.bits, ed.problem) == ("ed25519", 256, "")
    assert "2 TXT records" in key_of("s", "n", ("p=", "p=")).problem


def dkim(*keys: DkimKey, mode: str = "configured") -> DkimSelectors:
    return DkimSelectors("x.test", mode, tuple(k.selector for k in keys), keys)  # type: ignore[arg-type]


def k(sel: str, **kw: Any) -> DkimKey:
    base = dict(found=True, records=("…",), key_type="rsa", bits=2048)
    base.update(kw)
    return DkimKey(sel, f"{sel}._domainkey.x.test", **base)  # type: ignore[arg-type]


def test_dkim_key_presence() -> None:
    got = run(
        dkim_checks.dkim_key,
        dkim(
            k("a"),
            k("b", found=False),
            k("c", revoked=True),
            k("d", hashes=("sha1",)),
            k("e", problem="bad"),
        ),
    )
    assert [s for s, _ in got] == [Status.PASS, Status.FAIL, Status.FAIL, Status.FAIL, Status.FAIL]
    none = DkimSelectors("x.test", "discovery", ("default", "s1"), ())
    (v,) = dkim_checks.dkim_key.evaluate(none)
    assert v.status == Status.WARN and "default, s1" in v.evidence


def test_dkim_key_size_thresholds() -> None:
    got = run(
        dkim_checks.dkim_key_size,
        dkim(k("a", bits=512), k("b", bits=1024), k("c"), k("d", key_type="ed25519", bits=256)),
    )
    assert got == [
        (Status.FAIL, Severity.BLOCKER),
        (Status.WARN, Severity.MEDIUM),
        (Status.PASS, Severity.BLOCKER),
        (Status.PASS, Severity.BLOCKER),
    ]
    assert statuses(dkim_checks.dkim_key_size, dkim(k("a", found=False))) == {Status.SKIPPED}
    assert statuses(dkim_checks.dkim_testing, dkim(k("a", testing=True))) == {Status.WARN}


# --- DMARC -------------------------------------------------------------------------------


def dmarc(
    record: str | None, *, location: str = "x.test", rua: tuple[ReportUri, ...] = ()
) -> DmarcFact:
    if record is None:
        return DmarcFact("x.test", ("_dmarc.x.test",), None, None, (), "x.test")
    tags, issues = parse_dmarc(record)
    return DmarcFact("x.test", (), location, record, (), location, tuple(tags), tuple(issues), rua)


def test_dmarc_record_and_policy() -> None:
    assert statuses(dmarc_checks.dmarc_record, dmarc(None)) == {Status.FAIL}
    assert statuses(dmarc_checks.dmarc_policy, dmarc(None)) == {Status.SKIPPED}
    assert run(dmarc_checks.dmarc_policy, dmarc("v=DMARC1; p=none")) == [
        (Status.FAIL, Severity.HIGH)
    ]
    assert statuses(dmarc_checks.dmarc_policy, dmarc("v=DMARC1; p=reject")) == {Status.PASS}
    assert statuses(dmarc_checks.dmarc_policy, dmarc("v=DMARC1; rua=mailto:a@x.test")) == {
        Status.FAIL
    }
    weak = run(dmarc_checks.dmarc_policy, dmarc("v=DMARC1; p=reject; sp=none; np=none; t=y"))
    assert [s for s, _ in weak] == [Status.PASS, Status.WARN, Status.WARN, Status.WARN]
    # Inherited from the parent, the subdomain policy is what applies.
    inherited = dmarc("v=DMARC1; p=reject; sp=none", location="parent.test")
    (v,) = dmarc_checks.dmarc_policy.evaluate(inherited)
    assert v.status == Status.FAIL and v.evidence.startswith("sp=none")


def test_dmarc_syntax_and_obsolete_tags() -> None:
    tags, issues = parse_dmarc(
        "v=DMARC1; p=maybe; p=none; foo=bar; pct=50; rua=mailto:a@x.test!10m"
    )
    assert [i.kind for i in issues] == [
        "invalid",
        "duplicate",
        "unknown",
        "obsolete",
        "size-suffix",
    ]
    fact = dmarc("v=DMARC1; p=maybe; foo=bar; pct=50")
    assert [s for s, _ in run(dmarc_checks.dmarc_syntax, fact)] == [Status.FAIL, Status.WARN]
    assert run(dmarc_checks.dmarc_obsolete, fact) == [(Status.WARN, Severity.MEDIUM)]
    assert [i.detail for i in parse_dmarc("p=none; v=DMARC1")[1]] == [
        "v=DMARC1 must be the first tag"
    ]


def test_dmarc_report_destinations() -> None:
    uris = (
        ReportUri("mailto:a@x.test", "x.test", False, None),
        ReportUri("mailto:b@vendor.test", "vendor.test", True, False, "no v=DMARC1 record"),
        ReportUri("mailto:c@ok.test", "ok.test", True, True),
        ReportUri("mailto:d@dns.test", "dns.test", True, None, "could not check"),
    )
    got = [
        v.status for v in dmarc_checks.dmarc_reports.evaluate(dmarc("v=DMARC1; p=reject", rua=uris))
    ]
    assert got == [Status.PASS, Status.FAIL, Status.PASS, Status.ERROR]
    (v,) = dmarc_checks.dmarc_reports.evaluate(dmarc("v=DMARC1; p=reject"))
    assert v.status == Status.WARN


SENDGRID = ProviderUse("SendGrid", "sendgrid.net", ("s1", "s2"), ("s1",), "how")
SENDGRID_NO_KEY = ProviderUse("SendGrid", "sendgrid.net", ("s1", "s2"), (), "how")
GOOGLE = ProviderUse("Google Workspace", "_spf.google.com", ("google",), (), "how")
SES = ProviderUse("Amazon SES", "amazonses.com", (), (), "how")


def aligned(
    record: str, *uses: ProviderUse, own: tuple[str, ...] = (), configured: tuple[str, ...] = ()
) -> list[tuple[Status, Severity, str]]:
    fact = alignment(
        dmarc(record), Providers("x.test", uses, configured), dkim(*(k(s) for s in own))
    )
    c = dmarc_checks.dmarc_alignment
    return [(v.status, v.severity or c.severity, v.evidence) for v in c.evaluate(fact)]


def test_strict_spf_alignment_against_the_senders_found() -> None:
    # A service bouncing through its own domain never aligns SPF strictly: with its key
    # under the domain DMARC rests on DKIM alone (a warning) ...
    ((status, severity, evidence),) = aligned("v=DMARC1; p=reject; aspf=s", SENDGRID)
    assert (status, severity) == (Status.WARN, Severity.LOW)
    assert evidence.startswith("aspf=s: SendGrid (include:sendgrid.net)")
    assert "s1._domainkey" in evidence
    # ... and without one its mail cannot pass DMARC at all, rejected under p=reject.
    ((status, severity, evidence),) = aligned("v=DMARC1; p=reject; aspf=s", SENDGRID_NO_KEY)
    assert (status, severity) == (Status.FAIL, Severity.HIGH)
    assert "receivers reject it" in evidence
    ((status, severity, _),) = aligned("v=DMARC1; p=none; aspf=s", SENDGRID_NO_KEY)
    assert (status, severity) == (Status.FAIL, Severity.MEDIUM)
    # A mailbox host sends with the person's own address: strict SPF alignment holds.
    ((status, _, evidence),) = aligned("v=DMARC1; p=reject; aspf=s", GOOGLE)
    assert status == Status.PASS and "Google Workspace bounces as x.test" in evidence
    # Per-customer selectors: unknown unless configured selectors publish keys.
    ((status, severity, evidence),) = aligned("v=DMARC1; p=reject; aspf=s", SES)
    assert (status, severity) == (Status.WARN, Severity.MEDIUM)
    assert "--dkim-selector" in evidence
    ((status, severity, _),) = aligned("v=DMARC1; p=reject; aspf=s", SES, configured=("k1",))
    assert (status, severity) == (Status.WARN, Severity.LOW)


def test_relaxed_alignment_leaning_on_a_service_without_a_key() -> None:
    ((status, severity, evidence),) = aligned("v=DMARC1; p=reject", SENDGRID_NO_KEY)
    assert (status, severity) == (Status.WARN, Severity.MEDIUM)
    assert "only by relaxed SPF alignment" in evidence
    ((status, _, evidence),) = aligned("v=DMARC1; p=reject", SENDGRID, GOOGLE)
    assert status == Status.PASS
    assert evidence == (
        "adkim=r, aspf=r; SendGrid signs as x.test (s1); Google Workspace bounces as x.test"
    )
    ((status, _, evidence),) = aligned("v=DMARC1; p=reject")
    assert status == Status.PASS and "no sending service" in evidence


def test_strict_dkim_alignment_needs_a_key_under_the_domain() -> None:
    ((status, severity, _),) = aligned("v=DMARC1; p=reject; adkim=s")
    assert (status, severity) == (Status.WARN, Severity.LOW)
    ((status, _, evidence),) = aligned("v=DMARC1; p=reject; adkim=s", own=("mail",))
    assert status == Status.PASS and "keys under x.test (mail) align strictly" in evidence


def test_alignment_without_its_evidence_is_could_not_check() -> None:
    no_policy = alignment(dmarc(None), Providers("x.test", (), ()), dkim())
    assert statuses(dmarc_checks.dmarc_alignment, no_policy) == {Status.SKIPPED}
    broken = alignment_outcome(
        "x.test",
        Outcome.ok("email.dmarc", "x.test", dmarc("v=DMARC1; p=reject")),
        Outcome.error("email.providers", "x.test", "no SPF tree: timed out"),
        Outcome.ok("email.dkim", "x.test", dkim()),
    )
    assert (broken.fact, broken.status) == (ALIGNMENT, OutcomeStatus.ERROR)
    assert broken.reason == "email.providers: no SPF tree: timed out"


def test_dmarc_tree_walk_names_and_organizational_domain() -> None:
    assert walk_names("a.b.example.com") == [
        "a.b.example.com",
        "b.example.com",
        "example.com",
        "com",
    ]
    long = ".".join("abcdefghij") + ".test"  # 11 labels: jump to 7
    names = walk_names(long)
    assert len(names) == 8 and names[1] == "e.f.g.h.i.j.test"
    found = {"mail.acme.test": [], "acme.test": ["v=DMARC1; p=reject"], "test": []}
    assert organizational_domain("mail.acme.test", found) == "acme.test"
    psd = {"acme.test": [], "test": ["v=DMARC1; p=reject; psd=y"]}
    assert organizational_domain("mail.acme.test", psd) == "acme.test"
    assert organizational_domain("mail.acme.test", {}) == "mail.acme.test"


# --- MX, MTA-STS, TLS-RPT ----------------------------------------------------------------


def test_mx() -> None:
    good = MxFact("x.test", "ok", (MxHost(10, "mx.x.test", ("192.0.2.1",)),))
    assert statuses(mx_checks.mx_check, good) == {Status.PASS}
    null = MxFact("x.test", "ok", (MxHost(0, ".", ()),))
    assert statuses(mx_checks.mx_check, null) == {Status.FAIL}
    mixed = MxFact("x.test", "ok", (MxHost(0, ".", ()), MxHost(10, "mx.x.test", ("192.0.2.1",))))
    (v,) = mx_checks.mx_check.evaluate(mixed)
    assert "mixed" in v.evidence
    assert statuses(mx_checks.mx_check, MxFact("x.test", "nodata", ())) == {Status.WARN}
    dead = MxFact("x.test", "ok", (MxHost(10, "gone.x.test", ()),))
    assert statuses(mx_checks.mx_check, dead) == {Status.FAIL}


def test_mta_sts_policy() -> None:
    text = "version: STSv1\nmode: enforce\nmx: *.mx.x.test\nmax_age: 604800\n"
    policy = parse_policy(text)
    assert (policy.mode, policy.mx, policy.max_age, policy.problems) == (
        "enforce",
        ("*.mx.x.test",),
        604800,
        (),
    )
    url = "https://mta-sts.x.test/.well-known/mta-sts.txt"
    covered = MtaStsFact("x.test", ("v=STSv1; id=1",), url, policy, "", ("a.mx.x.test",))
    assert statuses(mx_checks.mta_sts_check, covered) == {Status.PASS}
    # The wildcard covers one label only: a.b.mx.x.test is outside the policy.
    outside = MtaStsFact("x.test", ("v=STSv1; id=1",), url, policy, "", ("a.b.mx.x.test",))
    assert run(mx_checks.mta_sts_check, outside) == [(Status.FAIL, Severity.HIGH)]
    unreachable = MtaStsFact("x.test", ("v=STSv1; id=1",), url, None, "answered 404", ())
    assert statuses(mx_checks.mta_sts_check, unreachable) == {Status.FAIL}
    absent = MtaStsFact("x.test", (), url, None, "", ())
    assert statuses(mx_checks.mta_sts_check, absent) == {Status.PASS}
    assert parse_policy("version: STSv1\nmode: enforce\n").problems == (
        "no max_age",
        "no mx: lines",
    )


def test_tls_rpt() -> None:
    ok = TlsRptFact("x.test", ("v=TLSRPTv1; rua=mailto:tls@x.test",))
    assert statuses(mx_checks.tls_rpt_check, ok) == {Status.PASS}
    assert statuses(mx_checks.tls_rpt_check, TlsRptFact("x.test", ("v=TLSRPTv1;",))) == {
        Status.WARN
    }
    assert statuses(mx_checks.tls_rpt_check, TlsRptFact("x.test", ())) == {Status.PASS}


# --- The test send -----------------------------------------------------------------------


def delivery(dkim_result: str = "pass", dmarc_result: str = "pass") -> Delivery:
    verification = Verification(
        "127.0.0.1",
        DkimResult(dkim_result, "x.test", "s1", 2048, "detail"),
        SpfSender("x.test", "127.0.0.1", "a@x.test", "pass", "ip4:127.0.0.1", "ok"),
        DmarcResult("x.test", dmarc_result, "reject", "x.test", dkim_result == "pass", True, ""),
    )
    return Delivery("<id@x.test>", "a@x.test", "b@y.test", "mx:25", False, True, "ok", verification)


def test_send_checks() -> None:
    assert statuses(send_checks.send_dkim, delivery()) == {Status.PASS}
    assert statuses(send_checks.send_dkim, delivery("fail")) == {Status.FAIL}
    assert statuses(send_checks.send_dkim, delivery("temperror")) == {Status.ERROR}
    assert statuses(send_checks.send_dmarc, delivery(dmarc_result="fail")) == {Status.FAIL}
    unfetched = Delivery("<id@x.test>", "a@x.test", "b@y.test", "mx:25", False, True, "ok")
    for c in (send_checks.send_dkim, send_checks.send_spf, send_checks.send_dmarc):
        assert statuses(c, unfetched) == {Status.SKIPPED}
    refused = Delivery("<id@x.test>", "a@x.test", "b@y.test", "mx:25", False, False, "550 no")
    assert statuses(send_checks.send_accepted, refused) == {Status.FAIL}
