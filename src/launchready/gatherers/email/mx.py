"""Where mail to the domain goes: MX (or a null MX, RFC 7505), and when published the
MTA-STS policy (RFC 8461) and TLS reporting address (RFC 8460).

Bounces and replies to invites and resets come back through the MX of the sending
domain; MTA-STS and TLS-RPT protect and watch that inbound path.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
import dns.name

from launchready.gatherers.base import describe_error
from launchready.gatherers.email.dnsio import DnsFailure, Presence, decode, query, txt
from launchready.gatherers.network import Network

MX = "email.mx"
MTA_STS = "email.mta-sts"
TLS_RPT = "email.tls-rpt"
POLICY_LIMIT = 64 * 1024  # RFC 8461 §3.2: senders may refuse larger policies


@dataclass(frozen=True)
class MxHost:
    preference: int
    host: str  # "." for a null MX
    addresses: tuple[str, ...]
    problem: str = ""  # the address lookup failed


@dataclass(frozen=True)
class MxFact:
    domain: str
    presence: Presence
    hosts: tuple[MxHost, ...]

    @property
    def null_mx(self) -> bool:
        return any(h.host == "." for h in self.hosts)


@dataclass(frozen=True)
class MtaStsPolicy:
    version: str
    mode: str
    mx: tuple[str, ...]
    max_age: int | None
    problems: tuple[str, ...]  # malformed lines, missing keys


@dataclass(frozen=True)
class MtaStsFact:
    domain: str
    records: tuple[str, ...]  # v=STSv1 records at _mta-sts.<domain>
    policy_url: str
    policy: MtaStsPolicy | None
    fetch_problem: str  # why the policy could not be fetched, "" when it was
    mx_hosts: tuple[str, ...]  # the domain's MX hosts, to compare with the policy


@dataclass(frozen=True)
class TlsRptFact:
    domain: str
    records: tuple[str, ...]  # v=TLSRPTv1 records at _smtp._tls.<domain>


async def addresses(network: Network, host: str) -> tuple[tuple[str, ...], str]:
    found: list[str] = []
    try:
        for rdtype in ("A", "AAAA"):
            found.extend(r.address for r in (await query(network, host, rdtype)).rdata)
    except DnsFailure as exc:
        return tuple(found), str(exc)
    return tuple(found), ""


async def mx(network: Network, domain: str) -> MxFact:
    answer = await query(network, domain, "MX")
    records = sorted((r.preference, r.exchange) for r in answer.rdata)

    async def host(pref: int, name: dns.name.Name) -> MxHost:
        if name == dns.name.root:
            return MxHost(pref, ".", ())
        text = name.to_text(omit_final_dot=True)
        found, problem = await addresses(network, text)
        return MxHost(pref, text, found, problem)

    hosts = await asyncio.gather(*(host(p, n) for p, n in records))
    return MxFact(domain, answer.presence, tuple(hosts))


def parse_policy(text: str) -> MtaStsPolicy:
    """RFC 8461 §3.2: "key: value" lines; mx may repeat."""
    values: dict[str, str] = {}
    mxs: list[str] = []
    problems: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if not colon:
            problems.append(f"malformed line {line.strip()!r}")
        elif key == "mx":
            mxs.append(value.lower().rstrip("."))
        else:
            values[key] = value
    for key in ("version", "mode", "max_age"):
        if key not in values:
            problems.append(f"no {key}")
    if values.get("version", "STSv1") != "STSv1":
        problems.append(f"version {values['version']!r} is not STSv1")
    mode = values.get("mode", "").lower()
    if mode and mode not in ("enforce", "testing", "none"):
        problems.append(f"mode {mode!r} is not enforce, testing or none")
    if mode in ("enforce", "testing") and not mxs:
        problems.append("no mx: lines")
    age = values.get("max_age", "")
    max_age = int(age) if age.isdigit() else None
    if age and max_age is None:
        problems.append(f"max_age {age!r} is not a number")
    return MtaStsPolicy(values.get("version", ""), mode, tuple(mxs), max_age, tuple(problems))


async def fetch_policy(network: Network, url: str) -> tuple[MtaStsPolicy | None, str]:
    try:
        async with (
            network.http_session() as session,
            # RFC 8461 §3.3: redirects must not be followed.
            session.get(url, allow_redirects=False) as resp,
        ):
            if resp.status != 200:
                return None, f"{url} answered {resp.status}"
            ctype = resp.headers.get("Content-Type", "")
            body = await resp.content.read(POLICY_LIMIT + 1)
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return None, describe_error(exc)
    if len(body) > POLICY_LIMIT:
        return None, f"policy is larger than {POLICY_LIMIT} bytes"
    if not ctype.lower().startswith("text/plain"):
        return None, f"policy served as {ctype or 'no Content-Type'}, not text/plain"
    return parse_policy(body.decode("utf-8", errors="replace")), ""


async def mta_sts(network: Network, domain: str) -> MtaStsFact:
    answer = await txt(network, f"_mta-sts.{domain}")
    records = tuple(
        t for t in (decode(b) for b in answer.texts()) if t.replace(" ", "").startswith("v=STSv1")
    )
    url = f"https://mta-sts.{domain}/.well-known/mta-sts.txt"
    if not records:
        return MtaStsFact(domain, (), url, None, "", ())
    hosts = (await mx(network, domain)).hosts
    policy, problem = await fetch_policy(network, url)
    return MtaStsFact(domain, records, url, policy, problem, tuple(h.host for h in hosts))


async def tls_rpt(network: Network, domain: str) -> TlsRptFact:
    answer = await txt(network, f"_smtp._tls.{domain}")
    texts = (decode(b) for b in answer.texts())
    return TlsRptFact(domain, tuple(t for t in texts if t.startswith("v=TLSRPTv1")))
