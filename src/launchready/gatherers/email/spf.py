"""The SPF tree of a domain: every record reached through include/redirect, every
DNS-querying term numbered in the order a receiver would spend its 10 lookups.

The walk is static — no sending IP — so it counts every term, which is what a receiver
spends on mail from an address that matches nothing (every forger). Void lookups
(NXDOMAIN or an empty answer, RFC 7208 §4.6.4) are counted per term the same way.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from launchready.gatherers.email.dnsio import DnsFailure, decode, query, txt
from launchready.gatherers.email.spf_syntax import (
    ParsedSpf,
    SyntaxIssue,
    Term,
    is_spf_record,
    parse_spf,
)
from launchready.gatherers.network import Network

SPF = "email.spf"
LOOKUP_LIMIT = 10
VOID_LIMIT = 2
MX_LIMIT = 10
# Stop walking well past the limit (pyspf gives up at 4×): enough to show the overrun.
WALK_LIMIT = 4 * LOOKUP_LIMIT
MAX_DEPTH = 20


@dataclass(frozen=True)
class SpfRecordSet:
    """What one name publishes: its v=spf1 records and any legacy Sender ID records."""

    name: str
    spf: tuple[str, ...]
    legacy: tuple[str, ...]  # "spf2.0/…" Sender ID records (RFC 4406, historic)
    chunk_lengths: tuple[int, ...]  # character-strings of the first v=spf1 record
    txt_bytes: int  # all TXT data at the name, as it travels in one answer

    @property
    def record_bytes(self) -> int:
        return sum(self.chunk_lengths)


@dataclass(frozen=True)
class SpfLookup:
    """One DNS-querying term, numbered toward the limit of 10."""

    number: int
    domain: str  # the record the term appears in
    term: str
    target: str  # the name queried
    void: bool
    note: str = ""
    child: SpfNode | None = None  # the record an include/redirect leads to


@dataclass(frozen=True)
class SpfNode:
    domain: str
    records: SpfRecordSet | None
    parsed: ParsedSpf | None
    problem: str = ""  # why this branch is broken: missing record, loop, DNS failure
    lookups: tuple[SpfLookup, ...] = ()

    @property
    def children(self) -> list[SpfNode]:
        return [lk.child for lk in self.lookups if lk.child is not None]

    def walk(self) -> list[SpfNode]:
        return [self, *(n for c in self.children for n in c.walk())]


@dataclass(frozen=True)
class SpfTree:
    domain: str
    root: SpfNode
    truncated: bool  # the walk stopped at WALK_LIMIT lookups or MAX_DEPTH

    @property
    def nodes(self) -> list[SpfNode]:
        return self.root.walk()

    @property
    def lookups(self) -> list[SpfLookup]:
        return sorted((lk for n in self.nodes for lk in n.lookups), key=lambda lk: lk.number)

    @property
    def void_lookups(self) -> list[SpfLookup]:
        return [lk for lk in self.lookups if lk.void]

    @property
    def syntax_errors(self) -> list[tuple[str, SyntaxIssue]]:
        return [(n.domain, e) for n in self.nodes if n.parsed for e in n.parsed.errors]

    def terms(self) -> list[tuple[SpfNode, Term]]:
        return [(n, t) for n in self.nodes if n.parsed for t in n.parsed.terms]


async def spf_records(network: Network, name: str) -> SpfRecordSet:
    answer = await txt(network, name)
    spf: list[str] = []
    legacy: list[str] = []
    lengths: tuple[int, ...] = ()
    for chunks in answer.chunks():
        text = decode(b"".join(chunks))
        if is_spf_record(text):
            if not spf:
                lengths = tuple(len(c) for c in chunks)
            spf.append(text)
        elif text.lower().startswith("spf2.0/"):
            legacy.append(text)
    size = sum(len(c) + 1 for chunks in answer.chunks() for c in chunks)
    return SpfRecordSet(name, tuple(spf), tuple(legacy), lengths, size)


@dataclass
class _Walk:
    network: Network
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    spent: int = 0
    truncated: bool = False

    def number(self) -> int:
        self.spent += 1
        return next(self.numbers)

    async def node(self, domain: str, path: tuple[str, ...], *, root: bool = False) -> SpfNode:
        try:
            records = await spf_records(self.network, domain)
        except DnsFailure as exc:
            if root:
                raise  # nothing about the domain can be said: "could not check"
            return SpfNode(domain, None, None, problem=f"could not check: {exc}")
        if not records.spf:
            return SpfNode(domain, records, None, problem=f"{domain} has no SPF record")
        parsed = parse_spf(records.spf[0])
        if len(records.spf) > 1:
            # check_host stops with permerror here (RFC 7208 §4.5); nothing below runs.
            problem = f"{domain} has {len(records.spf)} SPF records"
            return SpfNode(domain, records, parsed, problem=problem)
        if parsed.errors:
            return SpfNode(domain, records, parsed)  # permerror: the terms are not evaluated
        lookups: list[SpfLookup] = []
        for term in parsed.terms:
            if not term.is_modifier and term.counts_lookup:
                found = await self.term(domain, term, path)
                if found is not None:
                    lookups.append(found)
        redirect = parsed.modifier("redirect")
        # RFC 7208 §6.1: redirect is ignored when the record has an "all" mechanism.
        if redirect is not None and parsed.all_term is None:
            found = await self.term(domain, redirect, path)
            if found is not None:
                lookups.append(found)
        return SpfNode(domain, records, parsed, lookups=tuple(lookups))

    async def term(self, domain: str, term: Term, path: tuple[str, ...]) -> SpfLookup | None:
        if self.spent >= WALK_LIMIT or len(path) >= MAX_DEPTH:
            self.truncated = True
            return None
        number = self.number()
        spec = term.value.split("/", 1)[0] if term.name in ("a", "mx") else term.value
        target = spec.rstrip(".").lower() or domain
        if term.has_macro:
            return SpfLookup(number, domain, term.text, target, False, "macro: per message")
        if term.name == "ptr":
            return SpfLookup(number, domain, term.text, target, False, "per sending address")
        if term.name in ("include", "redirect"):
            return await self.follow(number, domain, term, target, path)
        if term.name == "mx":
            return await self.mx(number, domain, term, target)
        try:
            void = await self.no_address(target)
        except DnsFailure as exc:
            return SpfLookup(number, domain, term.text, target, False, f"could not check: {exc}")
        return SpfLookup(number, domain, term.text, target, void)

    async def follow(
        self, number: int, domain: str, term: Term, target: str, path: tuple[str, ...]
    ) -> SpfLookup:
        if target in path:
            loop = SpfNode(target, None, None, problem=f"loop: {' → '.join((*path, target))}")
            return SpfLookup(number, domain, term.text, target, False, "loop", loop)
        child = await self.node(target, (*path, target))
        void = child.records is not None and child.records.txt_bytes == 0
        note = "no SPF record" if child.records is not None and not child.records.spf else ""
        return SpfLookup(number, domain, term.text, target, void, note, child)

    async def mx(self, number: int, domain: str, term: Term, target: str) -> SpfLookup:
        try:
            answer = await query(self.network, target, "MX")
            hosts = [r.exchange.to_text(omit_final_dot=True) for r in answer.rdata]
            note = f"{len(hosts)} MX host(s)"
            if len(hosts) > MX_LIMIT:
                note += f"; more than {MX_LIMIT} is a permerror (RFC 7208 §4.6.4)"
            else:
                missing = [h for h in hosts if h != "." and await self.no_address(h)]
                if missing:
                    note += f"; without an address: {', '.join(missing)}"
        except DnsFailure as exc:
            return SpfLookup(number, domain, term.text, target, False, f"could not check: {exc}")
        return SpfLookup(number, domain, term.text, target, answer.void, note)

    async def no_address(self, name: str) -> bool:
        for rdtype in ("A", "AAAA"):
            if not (await query(self.network, name, rdtype)).void:
                return False
        return True


async def spf_tree(network: Network, domain: str) -> SpfTree:
    """Walk ``domain``'s SPF record and all it includes. A DNS failure at the domain itself
    raises ``DnsFailure``; deeper failures are recorded on their branch."""
    domain = domain.rstrip(".").lower()
    walk = _Walk(network)
    root = await walk.node(domain, (domain,), root=True)
    return SpfTree(domain, root, walk.truncated)


def render_lookups(node: SpfNode) -> str:
    """The numbered tree on one line, each include's own lookups in brackets."""
    parts: list[str] = []
    for lk in node.lookups:
        text = f"#{lk.number} {lk.term}"
        notes = [n for n in ("void" if lk.void else "", lk.note) if n]
        if notes:
            text += f" ({'; '.join(notes)})"
        if lk.child is not None and lk.child.lookups:
            text += f" → [{render_lookups(lk.child)}]"
        parts.append(text)
    return ", ".join(parts) or "no DNS-querying terms"
