"""Maps a key path such as ``("performance", "endpoints", 0, "kind")`` to its line in a
TOML file, so configuration errors can say ``launchready.toml:12``.

tomllib keeps no positions; this reads the file's headers and ``key =`` lines, which is
all a configuration error needs to point at.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_INLINE_KEY = re.compile(r"""[{,]\s*([A-Za-z0-9_-]+|"[^"]*")\s*=""")

Key = tuple[str | int, ...]


def _split_dotted(text: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", text)
    return [p.strip("\"'") for p in parts]


def key_lines(text: str) -> dict[Key, int]:
    lines: dict[Key, int] = {}
    table: list[str | int] = []
    array_counts: dict[tuple[str, ...], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            names = _split_dotted(header.group(2))
            if header.group(1) == "[[":
                key = tuple(names)
                index = array_counts.get(key, -1) + 1
                array_counts[key] = index
                table = [*names, index]
            else:
                table = list(names)
            lines.setdefault(tuple(table), number)
            continue
        match = _KEY.match(line)
        if match:
            path = (*table, *_split_dotted(match.group(1)))
            lines.setdefault(path, number)
            rest = line[match.end() :]
            for inner in _INLINE_KEY.finditer(rest):
                lines.setdefault((*path, inner.group(1).strip('"')), number)
    return lines


def line_of(text: str, loc: Sequence[str | int]) -> int | None:
    """The line of the longest prefix of ``loc`` that appears in the file."""
    lines = key_lines(text)
    path = tuple(loc)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None
