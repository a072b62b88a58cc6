"""The matching engine: a gate over whole buffers, then ``re`` confirming on one line.

The gate is hyperscan (every rule's gate in one database, one pass over the buffer) or,
when hyperscan cannot load, a keyword search with ``bytes.find``. Either gate only has to
fire on every line a rule's regex could match; the confirming step decides, so both paths
report the same hits. What leaves this module never holds a secret: only a fingerprint
(rule id + a hash of the secret), at most four leading characters, and where it sits on its
line (so text quoting that line can be masked).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from launchready.gatherers.secrets import filters
from launchready.gatherers.secrets.rules import RULES, Rule

# Built by concatenation so the scanner's own source does not carry its markers verbatim.
ALLOW_MARK = "launchready:" + "allow"
FIXTURE_MARK = ("launchready:" + "test-fixture").encode()
FIXTURE_LINES = 20  # the fixture marker counts in a file's first lines only
LONG_LINE = 20_000  # longer lines (minified bundles) are confirmed around each gate hit
_WINDOW = (4096, 8192)  # bytes before/after a gate hit confirmed on a long line
_PEM_MAX = 16_384
_FP_DOMAIN = b"launchready/secret/v1\0"
_B64_LINE = re.compile(r"[A-Za-z0-9+/=_-]+")
_QUOTE_OPEN = re.compile(r"""^\+?[ \t]*["'`]""")
_QUOTE_CLOSE = re.compile(r"""["'`][ \t]*\+?[ \t]*[,;)]?$""")

MoreLines = Callable[[], Iterable[str]]


def digest(secret: str) -> str:
    """The hash part of a fingerprint: stable for one secret, whatever rule or place."""
    return hashlib.sha256(_FP_DOMAIN + secret.encode()).hexdigest()[:20]


def fingerprint(rule_id: str, secret: str) -> str:
    return f"{rule_id}:{digest(secret)}"


def preview(secret: str) -> str:
    """At most four leading characters, fewer for short secrets (a password's first half
    would be too much)."""
    return secret[: min(4, len(secret) // 4)] + "…"


@dataclass(frozen=True)
class Hit:
    rule_id: str
    title: str
    line: int
    fingerprint: str
    preview: str
    # Where the secret sits in its line (character offsets), so a caller that quotes the
    # line can mask it; None on a very long line, of which only windows were confirmed.
    span: tuple[int, int] | None = None


@dataclass(frozen=True)
class _Found:
    rule: Rule
    secret: str
    span: tuple[int, int]


def is_fixture(data: bytes) -> bool:
    """A file whose first lines say ``launchready:test-fixture`` holds fake secrets on purpose."""
    end = 0
    for _ in range(FIXTURE_LINES):
        nl = data.find(b"\n", end)
        if nl < 0:
            end = len(data)
            break
        end = nl + 1
    return FIXTURE_MARK in data[:end]


def _pem_line(raw: str) -> str:
    """One line of key material, as it sits in a PEM file, a string literal or JSON."""
    s = _QUOTE_CLOSE.sub("", _QUOTE_OPEN.sub("", raw.strip()))
    return s.replace("\\n", "").replace("\\r", "").strip()


def pem_body(rest: str, more: MoreLines | None) -> str:
    """The base64 body after a BEGIN line: inline (``\\n`` escapes) and on the next lines."""
    parts: list[str] = []
    size = 0
    inline = rest.replace("\\n", "\n").split("\n")
    following = more() if more is not None else ()
    for raw in _chain(inline, following):
        s = _pem_line(raw)
        if "-----END" in s or "-----END" in raw:
            break
        if not s or ":" in s:  # blank lines and armour headers ("Version: …", "Proc-Type: …")
            continue
        if not _B64_LINE.fullmatch(s):
            break
        parts.append(s)
        size += len(s)
        if size > _PEM_MAX:
            break
    return "".join(parts)


def _chain(first: Iterable[str], second: Iterable[str]) -> Iterator[str]:
    yield from first
    yield from second


def _squash(value: str) -> str:
    return re.sub(r"\\n|[ \t\r\n]", "", value)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _accept(rule: Rule, m: re.Match[str], text: str, more: MoreLines | None) -> _Found | None:
    if rule.pem:
        secret = body = pem_body(text[m.end() :], more)
        span = (m.start(), len(text))
    else:
        secret = m["secret"]
        span = m.span("secret")
        body = m.groupdict().get("body") or secret
        if rule.squash:
            secret = body = _squash(secret)
    if len(secret) < rule.min_len or filters.after_hash_prefix(text, span[0]):
        return None
    if filters.is_documented_example(secret):
        return None
    if not rule.pem and filters.is_placeholder(body, generic=rule.placeholder_words):
        return None
    # Rules without a fixed bar (free-form values) apply the length-aware one in `validate`.
    if rule.entropy is not None and filters.shannon(body) < rule.entropy:
        return None
    if rule.validate is not None and not rule.validate(m):
        return None
    return _Found(rule, secret, span)


class _HyperscanGate:
    def __init__(self, rules: tuple[Rule, ...]) -> None:
        import hyperscan

        expressions, ids, flags = [], [], []
        for index, rule in enumerate(rules):
            flag = hyperscan.HS_FLAG_MULTILINE if rule.gate_multiline else 0
            for gate in rule.gates:
                expressions.append(gate.encode())
                ids.append(index)
                flags.append(flag)
        self.db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self.db.compile(expressions=expressions, ids=ids, elements=len(ids), flags=flags)
        self._new_scratch = hyperscan.Scratch
        self._local = threading.local()  # scratch space is per thread; the database is shared

    def fire(self, data: bytes) -> list[tuple[int, int]]:
        """(rule index, end offset) of every gate match."""
        out: list[tuple[int, int]] = []
        add = out.append

        def on_match(index: int, _from: int, to: int, _flags: int, _ctx: Any) -> None:
            add((index, to))

        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._new_scratch(self.db)
        self.db.scan(data, match_event_handler=on_match, scratch=scratch)
        return out


class _KeywordGate:
    """Pure Python: ``bytes.find`` per keyword (fast C loops), ``re`` for keyword-less rules."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.keywords = [(i, [k.encode() for k in r.keywords]) for i, r in enumerate(rules)]
        self.regexes = [
            (i, re.compile("|".join(f"(?:{g})" for g in r.gates).encode(), _gate_flags(r)))
            for i, r in enumerate(rules)
            if not r.keywords
        ]

    def fire(self, data: bytes) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        low = data.lower()
        for index, words in self.keywords:
            for word in words:
                at = low.find(word)
                while at >= 0:
                    out.append((index, at + len(word)))
                    eol = low.find(b"\n", at)
                    if eol < 0:
                        break
                    at = low.find(word, eol)
        for index, rx in self.regexes:
            out.extend((index, m.end()) for m in rx.finditer(data))
        return out


def _gate_flags(rule: Rule) -> int:
    return re.MULTILINE if rule.gate_multiline else 0


@lru_cache(maxsize=4)
def _gate(backend: str, rules: tuple[Rule, ...]) -> _HyperscanGate | _KeywordGate:
    # Compiling the database takes a moment; one per process is enough.
    return _HyperscanGate(rules) if backend == "hyperscan" else _KeywordGate(rules)


def default_backend() -> str:
    if os.environ.get("LAUNCHREADY_NO_HYPERSCAN"):
        return "python"
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return "python"
    return "hyperscan"


class Matcher:
    """Finds secrets in text; safe to share between threads."""

    def __init__(self, rules: tuple[Rule, ...] = RULES, *, backend: str | None = None) -> None:
        self.rules = rules
        self.backend = backend or default_backend()
        try:
            self._gate = _gate(self.backend, rules)
        except Exception:
            if backend is not None:  # asked for explicitly: a broken gate must show
                raise
            # e.g. a CPU the hyperscan build does not support: slower, same results.
            self.backend = "python"
            self._gate = _gate("python", rules)

    def candidates(self, data: bytes) -> dict[int, list[tuple[int, int]]]:
        """Line start → (rule index, gate end offset) for each line some gate fired on."""
        lines: dict[int, list[tuple[int, int]]] = {}
        for index, end in self._gate.fire(data):
            start = data.rfind(b"\n", 0, max(end - 1, 0)) + 1
            lines.setdefault(start, []).append((index, end))
        return lines

    def confirm(
        self,
        path: str,
        text: str,
        rule_indexes: Iterable[int],
        more: MoreLines | None = None,
    ) -> list[_Found]:
        """The secrets on one line (patch prefix removed); earlier rules win overlaps."""
        text = text.rstrip("\r")
        if ALLOW_MARK in text:
            return []
        lock = filters.is_lock_file(path)
        found: list[_Found] = []
        for index in sorted(set(rule_indexes)):
            rule = self.rules[index]
            if (lock and not rule.standalone) or (rule.path_re and not rule.path_re.search(path)):
                continue
            for rx in rule.regexes:
                for m in rx.finditer(text):
                    f = _accept(rule, m, text, more)
                    if f is not None and not any(_overlaps(f.span, g.span) for g in found):
                        found.append(f)
        return found

    def scan_text(self, path: str, data: bytes | str) -> list[Hit]:
        """Every secret in one file's content, with 1-based line numbers."""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        cands = self.candidates(data)
        if not cands or is_fixture(data):
            return []
        hits: list[Hit] = []
        line_no, counted_to = 1, 0
        for start in sorted(cands):
            line_no += data.count(b"\n", counted_to, start)
            counted_to = start
            end = data.find(b"\n", start)
            end = len(data) if end < 0 else end
            text = line_text(data, start, end, cands[start])

            def more(after: int = end) -> Iterator[str]:
                return following_lines(data, after)

            whole = end - start <= LONG_LINE  # else `text` is windows: offsets do not map
            for f in self.confirm(path, text, (i for i, _ in cands[start]), more):
                hits.append(make_hit(f, line_no, f.span if whole else None))
        return hits


def make_hit(f: _Found, line: int, span: tuple[int, int] | None = None) -> Hit:
    fp = fingerprint(f.rule.id, f.secret)
    return Hit(f.rule.id, f.rule.title, line, fp, preview(f.secret), span)


def line_text(data: bytes, start: int, end: int, fired: list[tuple[int, int]]) -> str:
    """The line's text, or on a very long line the windows around each gate hit."""
    if end - start <= LONG_LINE:
        return data[start:end].decode("utf-8", "replace")
    spans: list[tuple[int, int]] = []
    for _, at in sorted(fired, key=lambda f: f[1]):
        lo, hi = max(start, at - _WINDOW[0]), min(end, at + _WINDOW[1])
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(hi, spans[-1][1]))
        else:
            spans.append((lo, hi))
    # A newline between windows keeps one window's text from joining the next.
    return " \n ".join(data[lo:hi].decode("utf-8", "replace") for lo, hi in spans)


def following_lines(data: bytes, after: int, prefix: bytes = b"") -> Iterator[str]:
    """Lines after offset ``after`` (a newline), for key bodies; with ``prefix`` only while
    lines carry it (added lines of a patch), prefix removed."""
    pos, taken = after + 1, 0
    while 0 < pos <= len(data) and taken < 400:
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end
        raw = data[pos:end]
        if prefix:
            if not raw.startswith(prefix):
                return
            raw = raw[len(prefix) :]
        yield raw.decode("utf-8", "replace")
        pos, taken = end + 1, taken + 1
