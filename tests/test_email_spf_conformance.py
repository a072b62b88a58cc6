"""The RFC 7208 test suite (openspf.org, via pyspf) through the product's own DNS path.

Each scenario's zone data is served by the sandbox DNS server on loopback; every case runs
``check_host`` exactly as the email gatherer does — pyspf evaluating, every query going
through ``Network.dns`` (dnspython, our nameserver and port) — never through a fake
lookup function. The suite's ``TIMEOUT`` entries become SERVFAIL answers: a failed
lookup, which RFC 7208 §2.6.6 maps to temperror just as it does a timeout, without
making the suite wait out real timeouts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from dnslib import QTYPE, RCODE, DNSRecord

from launchready.gatherers.email.check_host import check_host
from launchready.gatherers.email.dnsio import BlockingDns
from launchready.gatherers.network import Network
from launchready.sandbox.dns_server import SandboxDNS, ZoneSet

# The suite as shared beside the repository (where CI lays it), else the copy vendored with
# its BSD licence in tests/data/spf, so a lone clone runs the same 203 cases.
_SHARED = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "spf"
_VENDORED = Path(__file__).resolve().parent / "data" / "spf"
SUITE = (_SHARED if _SHARED.is_dir() else _VENDORED) / "rfc7208-tests.yml"

# Cases whose expectation cannot hold over a real DNS wire, with the reason.
EXCEPTIONS: dict[str, str] = {}


class SuiteZones(ZoneSet):
    """The sandbox zones plus the suite's simulated failures."""

    def __init__(self) -> None:
        super().__init__({})
        self.names: set[str] = set()
        self.answered: dict[str, set[int]] = {}  # name → types answered before a TIMEOUT

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        name = str(request.q.qname).rstrip(".").lower()
        fails = name in self.answered and request.q.qtype not in self.answered[name]
        # The suite's convention: absent names under "error." time out.
        fails = fails or (name.startswith("error.") and name not in self.names)
        if fails:
            reply = request.reply()
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        reply = super().resolve(request, handler)
        if reply.header.rcode == RCODE.REFUSED:
            # The suite's zone data is the whole DNS: a name outside it (a domain literal
            # such as "[1.2.3.5]") does not exist, as the root would answer.
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class SuiteDNS(SandboxDNS):
    def __init__(self) -> None:
        super().__init__({})
        self.zones = SuiteZones()
        for server in self._servers:  # both transports answer from the suite's zones
            server.server.resolver = self.zones
        self.loaded: str | None = None

    def load(self, scenario: Scenario) -> None:
        if self.loaded != scenario.key:
            # One zone per top-level domain, so names the scenario lacks are NXDOMAIN.
            for tld in TLDS:
                self.zones.set_zone(tld, scenario.zone_text(tld))
            self.zones.names = scenario.names
            self.zones.answered = scenario.answered
            self.loaded = scenario.key


def _quote(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):03o}")  # dnslib's zone parser reads octal escapes
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _character_strings(value: Any) -> list[str]:
    strings = [value] if isinstance(value, str) else [str(v) for v in value]
    out: list[str] = []
    for s in strings:  # a character-string holds at most 255 octets (RFC 1035 §3.3)
        while len(s.encode()) > 255:
            cut = 255
            while len(s[:cut].encode()) > 255:
                cut -= 1
            out.append(s[:cut])
            s = s[cut:]
        out.append(s)
    return out


def _wire_txt(strings: list[str]) -> bytes:
    return b"".join(bytes([len(s.encode())]) + s.encode() for s in strings)


def _absolute(host: str) -> str:
    # Names may hold spaces (the macro scenario); dnslib reads \DDD in names as decimal.
    escaped = "".join(c if c.isalnum() or c in ".-_:/%" else f"\\{ord(c):03d}" for c in host)
    return escaped if escaped.endswith(".") else escaped + "."


def _rr(name: str, rtype: str, value: Any) -> str | None:
    owner = _absolute(name)
    if rtype in ("A", "AAAA"):
        return f"{owner} IN {rtype} {value}"
    if rtype == "MX":
        pref, host = value
        return f"{owner} IN MX {pref} {_absolute(host) if host else '.'}"
    if rtype in ("PTR", "CNAME"):
        return f"{owner} IN {rtype} {_absolute(value)}"
    strings = _character_strings(value)
    if not strings:
        return None  # zero character-strings: see NULL_TXT below
    if rtype == "TXT":
        return f"{owner} IN TXT " + " ".join(_quote(s) for s in strings)
    if rtype == "SPF":  # type 99, in RFC 3597 generic form (dnslib has no SPF parser)
        wire = _wire_txt(strings)
        return f"{owner} IN SPF \\# {len(wire)} {wire.hex()}"
    raise ValueError(f"unknown record type {rtype}")


# A TXT record with no character-strings is malformed on the wire (RFC 1035 §3.3.14);
# the zone parser cannot express it and dnspython would reject the whole answer. The
# suite includes one only to show an implementation does not crash; it is left out.
NULL_TXT = "zero-string TXT records are omitted"


class Scenario:
    def __init__(self, index: int, doc: dict[str, Any]) -> None:
        self.key = f"{index}:{doc['description']}"
        self.description = doc["description"]
        self.tests: dict[str, dict[str, Any]] = doc["tests"]
        self.names: set[str] = set()
        self.answered: dict[str, set[int]] = {}
        self.lines: dict[str, list[str]] = {}
        for raw_name, entries in (doc.get("zonedata") or {}).items():
            name = str(raw_name).rstrip(".").lower()
            self.names.add(name)
            records, answered = _records(entries)
            if answered is not None:
                self.answered[name] = {getattr(QTYPE, t) for t in answered}
            for rtype, value in records:
                rr = _rr(name, rtype, value)
                if rr:
                    self.lines.setdefault(_tld(name), []).append(rr)

    def zone_text(self, tld: str) -> str:
        soa = "@ IN SOA ns.suite. hostmaster.suite. 1 3600 600 86400 300"
        return "\n".join([soa, *self.lines.get(tld, [])]) + "\n"


def _tld(name: str) -> str:
    return name.rpartition(".")[2]


def _records(entries: list[Any]) -> tuple[list[tuple[str, Any]], set[str] | None]:
    """The suite's record list → records served, and the types answered before a TIMEOUT.

    As pyspf's own driver: SPF records are copied to TXT when a name lists no TXT at all;
    ``NONE`` means no record; a TIMEOUT entry fails every type not listed before it.
    """
    records: list[tuple[str, Any]] = []
    synthesised: list[tuple[str, Any]] = []
    has_txt = False
    answered: set[str] | None = None
    for entry in entries:
        if entry == "TIMEOUT":
            answered = {t for t, _ in records}
            break
        ((rtype, value),) = entry.items()
        if rtype == "TXT":
            has_txt = True
        elif rtype == "SPF":
            synthesised.append(("TXT", value))
        if value != "NONE":
            records.append((rtype, value))
    if not has_txt and answered is None:
        records.extend((t, v) for t, v in synthesised if v != "NONE")
    return records, answered


def _scenarios() -> list[Scenario]:
    with SUITE.open(encoding="utf-8") as f:
        return [Scenario(i, doc) for i, doc in enumerate(yaml.safe_load_all(f)) if doc]


SCENARIOS = _scenarios()
# Every top-level domain the suite names (zone data, senders, HELO names) and the reverse tree.
TLDS = sorted(
    {"arpa"}
    | {_tld(n) for s in SCENARIOS for n in s.names}
    | {
        _tld(str(c[k]).rpartition("@")[2].lower())
        for s in SCENARIOS
        for c in s.tests.values()
        for k in ("mailfrom", "helo")
    }
)
TLDS = [t for t in TLDS if t.replace("-", "").isalnum()]  # not "[1.2.3.5]" literals
CASES = [
    pytest.param(
        s,
        test_id,
        marks=[pytest.mark.xfail(strict=True, reason=EXCEPTIONS[test_id])]
        if test_id in EXCEPTIONS
        else [],
        id=test_id,
    )
    for s in SCENARIOS
    for test_id in s.tests
]


@pytest.fixture(scope="module")
def suite_dns() -> Iterator[SuiteDNS]:
    with SuiteDNS() as server:
        yield server


async def _evaluate(port: int, case: dict[str, Any]) -> tuple[str, str]:
    network = Network(nameservers=(("127.0.0.1", port),), timeout_s=5.0)
    blocking = BlockingDns(network, asyncio.get_running_loop())
    verdict = await check_host(
        blocking,
        str(case["host"]),
        str(case["mailfrom"]),
        str(case["helo"]),
        default_explanation="DEFAULT",
    )
    return verdict.result, verdict.explanation


def test_suite_is_complete() -> None:
    # 16 scenarios, 203 cases in release 2014.04 + 2019.08 additions (README of the data).
    assert len(SCENARIOS) == 16 and len(CASES) == 203


@pytest.mark.parametrize(("scenario", "test_id"), CASES)
def test_rfc7208(suite_dns: SuiteDNS, scenario: Scenario, test_id: str) -> None:
    case = scenario.tests[test_id]
    suite_dns.load(scenario)
    result, explanation = asyncio.run(_evaluate(suite_dns.port, case))
    expected = case["result"] if isinstance(case["result"], list) else [case["result"]]
    assert result in expected, f"{scenario.description}: {case.get('description', '')}"
    if "explanation" in case:
        assert explanation == case["explanation"]
