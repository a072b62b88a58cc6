"""DMARC per RFC 9989: policy discovery by DNS tree walk, the record's tags, and whether
report addresses on other domains agreed to receive reports (RFC 9990 §4).

RFC 9989 replaces the Public Suffix List with the tree walk: query _dmarc.<domain>, then
its parents (jumping to 7 labels for long names, at most 8 queries); ``psd`` tags mark
where the Organizational Domain begins. The walk runs on our resolver like every lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from launchready.gatherers.email.dnsio import DnsFailure, decode, txt
from launchready.gatherers.network import Network

DMARC = "email.dmarc"
POLICIES = ("none", "quarantine", "reject")
OBSOLETE = ("pct", "rf", "ri")  # removed by RFC 9989; older receivers may still read them
_IS_DMARC = re.compile(r"^\s*v\s*=\s*DMARC1\s*(;|$)", re.I)
_VALUES = {
    "p": POLICIES,
    "sp": POLICIES,
    "np": POLICIES,
    "adkim": ("r", "s"),
    "aspf": ("r", "s"),
    "psd": ("y", "n", "u"),
    "t": ("y", "n"),
}
KNOWN_TAGS = frozenset({"v", "rua", "ruf", "fo", *_VALUES, *OBSOLETE})


@dataclass(frozen=True)
class DmarcIssue:
    kind: str  # syntax | duplicate | invalid | unknown | obsolete | size-suffix
    tag: str
    detail: str


@dataclass(frozen=True)
class ReportUri:
    uri: str
    domain: str  # the mailbox's domain; "" when not a mailto: URI
    external: bool  # outside the policy's Organizational Domain
    authorized: bool | None  # None when not needed, or not known (see problem)
    problem: str = ""


@dataclass(frozen=True)
class DmarcFact:
    domain: str
    walked: tuple[str, ...]  # the _dmarc names queried, in order
    location: str | None  # the domain whose record applies; None when none does
    record: str | None
    ambiguous: tuple[str, ...]  # names holding several DMARC records (ignored by receivers)
    org_domain: str
    tags: tuple[tuple[str, str], ...] = ()
    issues: tuple[DmarcIssue, ...] = ()
    rua: tuple[ReportUri, ...] = ()
    ruf: tuple[ReportUri, ...] = ()
    walk_note: str = ""  # a parent lookup that failed while finding the org domain

    def tag(self, name: str) -> str | None:
        return dict(self.tags).get(name)

    @property
    def inherited(self) -> bool:
        return self.location is not None and self.location != self.domain

    @property
    def policy(self) -> str | None:
        """The policy applied to mail from ``domain`` itself (sp= when inherited)."""
        p = (self.tag("p") or "").lower()
        if self.inherited:
            p = (self.tag("sp") or p).lower()
        return p if p in POLICIES else None


def is_dmarc(text: str) -> bool:
    return bool(_IS_DMARC.match(text))


def walk_names(domain: str) -> list[str]:
    """RFC 9989 §4.10: the domain, then parents; names over 8 labels jump to 7."""
    labels = domain.split(".")
    start = 1 if len(labels) <= 8 else len(labels) - 7
    return [domain, *(".".join(labels[i:]) for i in range(start, len(labels)))]


def parse_dmarc(record: str) -> tuple[list[tuple[str, str]], list[DmarcIssue]]:
    tags: list[tuple[str, str]] = []
    issues: list[DmarcIssue] = []
    seen: set[str] = set()
    for part in record.split(";"):
        if not part.strip():
            continue
        name, eq, value = part.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not eq or not name:
            issues.append(DmarcIssue("syntax", part.strip(), "not a tag=value pair"))
            continue
        if name in seen:
            issues.append(DmarcIssue("duplicate", name, f"{name}= appears twice"))
            continue
        seen.add(name)
        tags.append((name, value))
        issues.extend(_value_issues(name, value))
    if tags and tags[0][0] != "v":
        issues.append(DmarcIssue("syntax", "v", "v=DMARC1 must be the first tag"))
    return tags, issues


def _value_issues(name: str, value: str) -> list[DmarcIssue]:
    if name in _VALUES and value.lower() not in _VALUES[name]:
        allowed = "|".join(_VALUES[name])
        return [DmarcIssue("invalid", name, f"{name}={value} (expected {allowed})")]
    if name == "fo" and not all(v.strip() in ("0", "1", "d", "s") for v in value.split(":")):
        return [DmarcIssue("invalid", name, f"fo={value} (expected 0, 1, d, s joined by ':')")]
    if name in ("rua", "ruf"):
        out = []
        for uri in _uris(value):
            if "!" in uri:
                out.append(DmarcIssue("size-suffix", name, f"{uri}: RFC 9989 dropped '!size'"))
            if not re.match(r"^[a-z][a-z0-9+.\-]*:", uri, re.I):
                out.append(DmarcIssue("invalid", name, f"{uri!r} is not a URI"))
        return out
    if name in OBSOLETE:
        return [DmarcIssue("obsolete", name, f"{name}={value} was removed by RFC 9989")]
    if name not in KNOWN_TAGS:
        return [DmarcIssue("unknown", name, f"unknown tag {name}= (receivers ignore it)")]
    return []


def _uris(value: str) -> list[str]:
    return [u.strip() for u in value.split(",") if u.strip()]


def _mailbox_domain(uri: str) -> str:
    if not uri.lower().startswith("mailto:"):
        return ""
    address = uri[7:].split("!", 1)[0].split("?", 1)[0]
    return address.rpartition("@")[2].rstrip(".").lower()


async def dmarc_records(network: Network, name: str) -> list[str]:
    answer = await txt(network, f"_dmarc.{name}")
    return [t for t in (decode(b) for b in answer.texts()) if is_dmarc(t)]


def _psd(record: str) -> str:
    tags, _ = parse_dmarc(record)
    return dict(tags).get("psd", "").lower()


def organizational_domain(domain: str, found: dict[str, list[str]]) -> str:
    """RFC 9989 §4.10.2 from the records seen walking up from ``domain``."""
    with_record = [n for n in walk_names(domain) if len(found.get(n, [])) == 1]
    if not with_record:
        return domain
    last = with_record[-1]
    psd = _psd(found[last][0])
    if psd == "y" and last != domain:
        # The Organizational Domain is one label below the public suffix domain.
        labels = domain.split(".")
        return ".".join(labels[len(labels) - len(last.split(".")) - 1 :])
    return last


async def walk(network: Network, domain: str) -> tuple[dict[str, list[str]], str, str]:
    """Records at every name walked from ``domain``, the name whose record applies (or ""),
    and a note when a parent lookup failed (the walk then stops there)."""
    found: dict[str, list[str]] = {}
    location = ""
    for name in walk_names(domain):
        try:
            records = await dmarc_records(network, name)
        except DnsFailure as exc:
            if not location:
                raise  # cannot tell whether a policy applies: could not check
            return found, location, f"stopped at _dmarc.{name}: {exc}"
        found[name] = records
        if len(records) == 1:
            if not location:
                location = name
            if _psd(records[0]) in ("y", "n"):
                break
    return found, location, ""


async def dmarc(network: Network, domain: str) -> DmarcFact:
    domain = domain.rstrip(".").lower()
    found, location, note = await walk(network, domain)
    org = organizational_domain(domain, found)
    walked = tuple(f"_dmarc.{n}" for n in found)
    ambiguous = tuple(f"_dmarc.{n}" for n, recs in found.items() if len(recs) > 1)
    if not location:
        return DmarcFact(domain, walked, None, None, ambiguous, org, walk_note=note)
    record = found[location][0]
    tags, issues = parse_dmarc(record)
    values = dict(tags)
    rua = [await report_uri(network, location, org, u) for u in _uris(values.get("rua", ""))]
    ruf = [await report_uri(network, location, org, u) for u in _uris(values.get("ruf", ""))]
    return DmarcFact(
        domain,
        walked,
        location,
        record,
        ambiguous,
        org,
        tuple(tags),
        tuple(issues),
        tuple(rua),
        tuple(ruf),
        note,
    )


async def report_uri(network: Network, policy_domain: str, org: str, uri: str) -> ReportUri:
    dest = _mailbox_domain(uri)
    if not dest:
        return ReportUri(uri, "", False, None, "not a mailto: address")
    if dest == org or dest.endswith("." + org):
        return ReportUri(uri, dest, False, None)
    # RFC 9990 §4: the destination publishes <policy domain>._report._dmarc.<dest>.
    name = f"{policy_domain}._report._dmarc.{dest}"
    try:
        answer = await txt(network, name)
    except DnsFailure as exc:
        return ReportUri(uri, dest, True, None, f"could not check {name}: {exc}")
    ok = any(is_dmarc(decode(t)) for t in answer.texts())
    return ReportUri(uri, dest, True, ok, "" if ok else f"no v=DMARC1 record at {name}")
