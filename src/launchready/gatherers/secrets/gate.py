"""Turn a confirming Python regex into its hyperscan gate.

The gate must fire on every line the regex matches (a superset), so it is the same pattern
minus what hyperscan lacks or a line gate does not need: named groups become plain groups,
lookarounds, ``\\b`` and ``^``/``$`` anchors are dropped (dropping a condition only widens).
Rule patterns avoid ``\\s``/``\\w``/``\\d`` (hyperscan's ``\\s`` matches a newline, Python's
``\\d`` matches non-ASCII digits); ``rules.py`` enforces that when it compiles.
"""

from __future__ import annotations

import re

_LOOKAROUNDS = ("(?=", "(?!", "(?<=", "(?<!")
_TRAILING_RANGE = re.compile(r"\{(\d+),\d*\}\??(\)*)$")


def _group_end(pattern: str, i: int) -> int:
    """Index just past the group opening at ``i``."""
    depth, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced group in {pattern!r}")


def derive_gate(pattern: str) -> str:
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if not in_class and pattern[i + 1] == "b":
                i += 2
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            j = i + 1
            if pattern[j : j + 1] == "^":
                j += 1
            if pattern[j : j + 1] == "]":
                j += 1
            out.append(pattern[i:j])
            i = j
            continue
        if pattern.startswith(_LOOKAROUNDS, i):
            i = _group_end(pattern, i)
            continue
        if pattern.startswith("(?P<", i):
            out.append("(?:")
            i = pattern.index(">", i) + 1
            continue
        if c in "^$":
            i += 1
            continue
        out.append(c)
        i += 1
    # A trailing open or ranged repeat fires once per extra character; the gate only has to
    # fire once, so it keeps the minimum.
    return _TRAILING_RANGE.sub(_keep_minimum, "".join(out))


def _keep_minimum(m: re.Match[str]) -> str:
    # hyperscan rejects "{0}"; an optional element is the closest it takes.
    return ("?" if m[1] == "0" else f"{{{m[1]}}}") + m[2]
