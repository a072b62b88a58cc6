"""Secrets on the added lines of a unified diff stream (``git log -p -U0`` or ``git diff``).

The stream is read in blocks and cut at commit or file boundaries, so the gate runs over
megabytes at a time and Python only looks at the few lines it fires on: the file, commit
and line number of a hit are found by searching backwards from it, not by walking lines.
Memory stays bounded: a block, the unfinished section after it (a single file diff larger
than ``max_buffer`` is cut at a line, carrying its position), and one small integer per blob.

A file diff whose resulting blob was already seen is skipped, so each blob is reported once
(cherry-picks, rebased branches kept under other refs, merges shown against a parent).
"""

from __future__ import annotations

import re
import time
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from launchready.gatherers.secrets.matcher import (
    Matcher,
    fingerprint,
    following_lines,
    line_text,
    preview,
)

LOG_FORMAT = "%x01%H"  # a commit header line: \x01 and the full hash
_COMMIT = b"\n\x01"
_DIFF = b"\ndiff --git "
_HUNK = b"\n@@ "
_PLUS = ord("+")
_HUNK_NEW = re.compile(rb"\+(\d+)")
_ZERO_BLOB = re.compile(rb"^0+$")
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


class ScanTimeout(Exception):
    """The deadline passed before the stream ended."""


@dataclass(frozen=True)
class PatchHit:
    rule_id: str
    title: str
    path: str
    line: int
    commit: str | None
    blob: str | None
    fingerprint: str
    preview: str


@dataclass
class _Section:
    """One file's diff inside the current chunk (offsets are the chunk's)."""

    start: int  # the newline before "diff --git"
    commit: str | None
    blob: str | None
    skip: bool
    body: int = -1  # the newline before its first hunk header, found on demand
    path: str | None = None


@dataclass
class _Carry:
    """A file diff cut in the middle (larger than the buffer): where its next line falls."""

    section: _Section
    next_line: int


def unquote_path(raw: str) -> str:
    """git's C-style quoting of unusual paths ("a\\tb", octal bytes)."""
    if not (raw.startswith('"') and raw.endswith('"')):
        return raw
    out, i, body = bytearray(), 0, raw[1:-1]
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt.isdigit():
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            out += _ESCAPES.get(nxt, nxt).encode()
            i += 2
            continue
        out += c.encode()
        i += 1
    return out.decode("utf-8", "replace")


class PatchScanner:
    def __init__(
        self, matcher: Matcher, *, block: int = 4 << 20, max_buffer: int = 64 << 20
    ) -> None:
        self.matcher = matcher
        self.block = block
        self.max_buffer = max_buffer
        self.lookahead = min(64 << 10, max_buffer // 4)  # > a key body (matcher._PEM_MAX)
        self.bytes_read = 0
        self.commits = 0
        self.sections = 0
        self._seen: set[int] = set()

    def scan(self, stream: IO[bytes], deadline: float | None = None) -> Iterator[PatchHit]:
        tail = b""
        commit: str | None = None
        carry: _Carry | None = None
        skipping_line = False  # inside one line longer than the whole buffer
        while True:
            if deadline is not None and time.monotonic() > deadline:
                raise ScanTimeout
            block = stream.read(self.block)
            self.bytes_read += len(block)
            if skipping_line:
                nl = block.find(b"\n")
                if nl < 0 and block:
                    continue
                block, skipping_line = block[nl + 1 :] if nl >= 0 else b"", False
            buf = tail + block
            if not block:  # end of stream: the rest is one last chunk
                if buf:
                    yield from self._chunk(buf, len(buf), commit, carry)[0]
                return
            seam = max(1, len(tail) - 16)
            cut = max(buf.rfind(_COMMIT, seam), buf.rfind(_DIFF, seam))
            forced = False
            if cut < 0:
                if len(buf) < self.max_buffer:
                    tail = buf
                    continue
                # One file diff fills the buffer: cut at a line, leaving a look-ahead so a
                # key's body after its BEGIN line is still in view, and carry the position.
                cut, forced = buf.rfind(b"\n", 0, len(buf) - self.lookahead), True
                if cut < 0:
                    tail, skipping_line = b"", True
                    continue
            hits, commit, new_carry = self._chunk(buf, cut + 1, commit, carry, forced)
            carry = new_carry if forced else None
            tail = buf[cut + 1 :]
            yield from hits

    def _chunk(
        self,
        buf: bytes,
        size: int,
        commit: str | None,
        carry: _Carry | None,
        forced: bool = False,
    ) -> tuple[list[PatchHit], str | None, _Carry | None]:
        """Hits on the lines of ``buf[:size]``; what follows is look-ahead only."""
        data = b"\n" + buf  # every line now follows a newline, the first one too
        limit = size + 1
        commit_at, commit_ids = [], []
        at = data.find(_COMMIT, 0, limit)
        while at >= 0:
            end = data.find(b"\n", at + 2)
            commit_at.append(at)
            commit_ids.append(data[at + 2 : end if end >= 0 else len(data)].decode("ascii"))
            at = data.find(_COMMIT, at + 2, limit)
        self.commits += len(commit_at)
        sections = self._sections(data, limit, commit_at, commit_ids, commit)
        starts = [s.start for s in sections]
        hits: list[PatchHit] = []
        cands = self.matcher.candidates(data)
        for ls in sorted(cands):
            if ls >= limit:
                break
            if data[ls] != _PLUS:
                continue
            index = bisect_right(starts, ls) - 1
            if index >= 0:
                section = sections[index]
            elif carry is not None:
                section = carry.section
            else:
                continue
            if section.skip:
                continue
            line = self._line_number(data, section, ls, carry if index < 0 else None)
            if line is None:
                continue
            path = self._path(data, section)
            if path is None:
                continue
            end = data.find(b"\n", ls)
            end = len(data) if end < 0 else end
            text = line_text(data, ls + 1, end, cands[ls])

            def more(after: int = end) -> Iterator[str]:
                return following_lines(data, after, b"+")

            for f in self.matcher.confirm(path, text, (i for i, _ in cands[ls]), more):
                hits.append(
                    PatchHit(
                        f.rule.id,
                        f.rule.title,
                        path,
                        line,
                        section.commit,
                        section.blob,
                        fingerprint(f.rule.id, f.secret),
                        preview(f.secret),
                    )
                )
        last_commit = commit_ids[-1] if commit_ids else commit
        new_carry = self._carry_out(data, limit, sections, carry) if forced else None
        return hits, last_commit, new_carry

    def _sections(
        self,
        data: bytes,
        end: int,
        commit_at: list[int],
        commit_ids: list[str],
        commit: str | None,
    ) -> list[_Section]:
        sections: list[_Section] = []
        at = data.find(_DIFF, 0, end)
        while at >= 0:
            nxt = data.find(_DIFF, at + 12, end)
            limit = end if nxt < 0 else nxt
            blob: bytes | None = None
            idx = data.find(b"\nindex ", at, min(limit, at + 8192))
            if idx >= 0:
                dots = data.find(b"..", idx, idx + 160)
                stop = data.find(b"\n", idx + 1)
                if dots >= 0:
                    blob = data[dots + 2 : stop].split(b" ", 1)[0]
            k = bisect_right(commit_at, at) - 1
            owner = commit_ids[k] if k >= 0 else commit
            skip = False
            if blob and not _ZERO_BLOB.match(blob):
                key = hash(blob)
                skip = key in self._seen
                self._seen.add(key)
            sections.append(_Section(at, owner, blob.decode("ascii") if blob else None, skip))
            at = nxt
        self.sections += len(sections)
        return sections

    @staticmethod
    def _body(data: bytes, section: _Section) -> int:
        if section.body < 0:
            nxt = data.find(_DIFF, section.start + 12)
            found = data.find(b"\n@@", section.start, len(data) if nxt < 0 else nxt)
            section.body = found if found >= 0 else len(data)
        return section.body

    def _line_number(
        self, data: bytes, section: _Section, ls: int, carry: _Carry | None
    ) -> int | None:
        """The line's number in the new file, from its hunk header ``@@ -a,b +c,d @@``."""
        floor = 0 if carry is not None else self._body(data, section)
        if ls <= floor and carry is None:
            return None  # a header line such as "+++ b/path"
        hunk = data.rfind(_HUNK, floor, ls)
        if hunk < 0:
            if carry is None:
                return None
            return carry.next_line + data.count(b"\n+", 0, ls)
        m = _HUNK_NEW.search(data, hunk, hunk + 200)
        if m is None:
            return None
        return int(m[1]) + data.count(b"\n+", hunk + 1, ls)

    def _path(self, data: bytes, section: _Section) -> str | None:
        if section.path is None:
            body = self._body(data, section)
            at = data.find(b"\n+++ ", section.start, body)
            if at < 0:
                return None
            end = data.find(b"\n", at + 1)
            raw = unquote_path(data[at + 5 : end].decode("utf-8", "replace").rstrip("\t"))
            if raw == "/dev/null":
                return None
            section.path = raw[2:] if raw.startswith("b/") else raw
        return section.path

    def _carry_out(
        self, data: bytes, end: int, sections: list[_Section], carry: _Carry | None
    ) -> _Carry:
        if sections:
            section, floor, base = sections[-1], sections[-1].start, None
        elif carry is not None:
            section, floor, base = carry.section, 0, carry.next_line
        else:  # a cut outside any file diff: nothing to carry
            return _Carry(_Section(0, None, None, True), 1)
        if self._path(data, section) is None:
            section.skip = True  # its header is out of view from the next chunk on
        hunk = data.rfind(_HUNK, floor, end)
        if hunk >= 0:
            m = _HUNK_NEW.search(data, hunk, hunk + 200)
            start = int(m[1]) if m else 1
            return _Carry(section, start + data.count(b"\n+", hunk + 1, end))
        return _Carry(section, (base or 1) + data.count(b"\n+", floor, end))
