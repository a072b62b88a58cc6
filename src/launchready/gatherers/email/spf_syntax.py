"""The SPF record grammar (RFC 7208 §4.6.1 and §12), parsed with positions.

This parser describes a record for the report — every term, where a syntax error sits —
and drives the include/redirect tree walk. Evaluating a sending IP is pyspf's job
(``check_host.py``): RFC 7208's reference implementation decides pass or fail, this
module says *why a record is malformed and where*.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
# Terms that cost a DNS query and count toward the limit of 10 (RFC 7208 §4.6.4).
LOOKUP_TERMS = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})
QUALIFIERS = "+-?~"

_VERSION = re.compile(r"v=spf1(?= |$)", re.I)
_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9_.\-]*)=(.*)", re.S)
_MECH_NAME = re.compile(r"([A-Za-z0-9]+)(.*)", re.S)
_MACRO = re.compile(r"%(?:\{([A-Za-z])(\d*)(r?)([.\-+,/_=]*)\}|[%_\-])")
_DOMAIN_LETTERS = set("slodiphv")  # c, r and t are only for exp= text (RFC 7208 §7.2)
_TOPLABEL = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9]+(?:-[A-Za-z0-9\-]*[A-Za-z0-9])?$")
_DUAL = re.compile(
    r"(?::(?P<spec>[^/]*(?:/[^/\d][^/]*)*))?(?:/(?P<v4>\d+))?(?://(?P<v6>\d+))?", re.S
)


@dataclass(frozen=True)
class Term:
    text: str
    position: int  # 1-based offset of the term in the record
    qualifier: str  # "+", "-", "~", "?"; "" for modifiers
    name: str  # lower-case mechanism or modifier name
    is_modifier: bool
    value: str  # domain-spec or network after ":" / "="; "" when absent

    @property
    def counts_lookup(self) -> bool:
        return self.name in LOOKUP_TERMS

    @property
    def has_macro(self) -> bool:
        return "%" in self.value


@dataclass(frozen=True)
class SyntaxIssue:
    position: int
    term: str
    message: str

    def describe(self) -> str:
        return f"position {self.position} ({self.term!r}): {self.message}"


@dataclass(frozen=True)
class ParsedSpf:
    record: str
    terms: tuple[Term, ...]
    errors: tuple[SyntaxIssue, ...]

    def mechanisms(self, name: str) -> list[Term]:
        return [t for t in self.terms if t.name == name and not t.is_modifier]

    def modifier(self, name: str) -> Term | None:
        return next((t for t in self.terms if t.is_modifier and t.name == name), None)

    @property
    def all_term(self) -> Term | None:
        found = self.mechanisms("all")
        return found[0] if found else None


def is_spf_record(text: str) -> bool:
    """RFC 7208 §4.5: an SPF record is a TXT record starting "v=spf1" (any case), followed
    by a space or nothing — "v=spf10" is not one. The gatherer selects records with this."""
    return bool(_VERSION.match(text))


def parse_spf(record: str) -> ParsedSpf:
    errors: list[SyntaxIssue] = []
    for i, ch in enumerate(record):
        if ord(ch) > 0x7E or (ord(ch) < 0x20):
            what = "a non-ASCII character" if ord(ch) > 0x7E else f"control character {ch!r}"
            # RFC 7208 §3.1 (7-bit ASCII) and §4.6.1 (terms separated by spaces only).
            errors.append(SyntaxIssue(i + 1, record[max(0, i - 8) : i + 8], f"{what}"))
            return ParsedSpf(record, (), tuple(errors))
    if not _VERSION.match(record):
        errors.append(SyntaxIssue(1, record[:8], "record does not start with 'v=spf1'"))
        return ParsedSpf(record, (), tuple(errors))
    terms: list[Term] = []
    seen_modifiers: set[str] = set()
    for match in re.finditer(r"[^ ]+", record):
        if match.start() == 0:
            continue  # the version
        text, position = match.group(), match.start() + 1
        term, problem = _parse_term(text, position)
        if problem:
            errors.append(SyntaxIssue(position, text, problem))
            continue
        assert term is not None
        if term.is_modifier and term.name in ("redirect", "exp"):
            if term.name in seen_modifiers:
                errors.append(SyntaxIssue(position, text, f"{term.name}= appears twice"))
                continue
            seen_modifiers.add(term.name)
        terms.append(term)
    return ParsedSpf(record, tuple(terms), tuple(errors))


def _parse_term(text: str, position: int) -> tuple[Term | None, str | None]:
    modifier = _MODIFIER.fullmatch(text)
    if modifier:
        name, value = modifier.group(1).lower(), modifier.group(2)
        if name in ("redirect", "exp"):
            problem = _domain_spec_problem(value, allow_exp_letters=False)
        else:
            problem = _macro_string_problem(value, allow_exp_letters=True)
        return Term(text, position, "", name, True, value), problem
    qualifier = text[0] if text[0] in QUALIFIERS else ""
    body = text[len(qualifier) :]
    named = _MECH_NAME.fullmatch(body)
    if not named or named.group(1).lower() not in MECHANISMS:
        word = named.group(1) if named else body
        return None, f"unknown mechanism {word!r}"
    name, rest = named.group(1).lower(), named.group(2)
    value = rest[1:] if rest.startswith(":") else ""
    term = Term(text, position, qualifier or "+", name, False, value)
    return term, _mechanism_problem(name, rest)


def _mechanism_problem(name: str, rest: str) -> str | None:
    if name == "all":
        return None if not rest else f"'all' takes no argument (found {rest!r})"
    if name in ("include", "exists"):
        if not rest.startswith(":") or len(rest) == 1:
            return f"'{name}' needs ':domain'"
        return _domain_spec_problem(rest[1:], allow_exp_letters=False)
    if name in ("a", "mx"):
        m = _DUAL.fullmatch(rest)
        if not m:
            return f"expected ':domain' or '/prefix' after '{name}', found {rest!r}"
        if not _cidr_ok(m.group("v4"), 32) or not _cidr_ok(m.group("v6"), 128):
            return f"invalid prefix length in {rest!r}"
        spec = m.group("spec")
        if spec is None:
            return None
        return _domain_spec_problem(spec, allow_exp_letters=False) if spec else "empty domain"
    if name == "ptr":
        if not rest:
            return None
        if not rest.startswith(":") or len(rest) == 1:
            return "expected ':domain' after 'ptr'"
        return _domain_spec_problem(rest[1:], allow_exp_letters=False)
    if name == "ip4":
        return _network_problem(rest, 4)
    return _network_problem(rest, 6)


def _cidr_ok(digits: str | None, limit: int) -> bool:
    # ABNF: no leading zeros ("/0" or "/[1-9]…"), and within the address width.
    return digits is None or (
        re.fullmatch(r"0|[1-9]\d*", digits) is not None and int(digits) <= limit
    )


def _network_problem(rest: str, family: int) -> str | None:
    if not rest.startswith(":") or len(rest) == 1:
        return f"'ip{family}' needs ':address'"
    address, _, prefix = rest[1:].partition("/")
    limit = 32 if family == 4 else 128
    if prefix and not (re.fullmatch(r"0|[1-9]\d*", prefix) and int(prefix) <= limit):
        return f"invalid prefix length /{prefix} (0–{limit})"
    if family == 4 and not re.fullmatch(
        r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
        r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)",
        address,
    ):
        return f"invalid IPv4 address {address!r}"
    if family == 6:
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            return f"invalid IPv6 address {address!r}"
    return None


def _macro_string_problem(value: str, *, allow_exp_letters: bool) -> str | None:
    pos = 0
    while True:
        idx = value.find("%", pos)
        if idx < 0:
            return None
        m = _MACRO.match(value, idx)
        if not m:
            return f"invalid macro at {value[idx : idx + 4]!r} ('%' must be escaped as '%%')"
        letter = (m.group(1) or "").lower()
        if letter and letter not in _DOMAIN_LETTERS and not (allow_exp_letters and letter in "crt"):
            return f"macro letter {m.group(1)!r} is not allowed here"
        pos = m.end()


def _domain_spec_problem(spec: str, *, allow_exp_letters: bool) -> str | None:
    problem = _macro_string_problem(spec, allow_exp_letters=allow_exp_letters)
    if problem:
        return problem
    body = spec[:-1] if spec.endswith(".") else spec
    if body.endswith("}"):
        return None  # the domain-end is itself a macro, expanded per message
    if body.startswith(".") or ".." in body:
        return f"empty label in {spec!r}"
    labels = body.split(".")
    if any(len(label) > 63 and "%" not in label for label in labels):
        return f"a label of {spec!r} is longer than 63 characters"
    if len(labels) < 2 or not _TOPLABEL.match(labels[-1]):
        return f"{spec!r} does not end in '.toplabel' (a fully qualified domain)"
    return None
