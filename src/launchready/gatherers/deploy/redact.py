"""Masking secrets in text quoted from the repository: CI commands, runbook lines, image tags.

The deploy facts quote what the repository says (`FLY_API_TOKEN=… flyctl deploy`), and those
quotes reach evidence, the JSON report and deploy-checklist.md. A quote is only safe once
every secret in it is cut to the few characters a finding may show, so each text taken from
the repository passes through ``redact`` before it is put into a fact. Four things are masked:

- what the secrets stage's engine recognises (one engine, also used here);
- the password of a URL (`scheme://user:PASSWORD@host`);
- every query value of a URL (`?key=…`): deploy hooks carry their key there, in no
  recognisable format, and a query value is never needed to follow a step;
- `NAME=value` and `Authorization: … value` where the name says credential.

References (`$TOKEN`, `${{ secrets.X }}`, `$(cat file)`) are kept: they are not values, and
they tell the reader where the value comes from. Masking is idempotent (a masked value ends
in the ellipsis and is left alone), so text may pass through it twice.
"""

from __future__ import annotations

import re

from launchready.gatherers.secrets.matcher import FIXTURE_MARK, preview
from launchready.gatherers.secrets.names import SECRET_NAME

ELLIPSIS = "…"

_URL_PASSWORD = re.compile(
    r"(?P<keep>\b[a-z][a-z0-9+.-]*://[^/\s:@\"'`]*:)(?P<value>[^@\s/\"'`]+)(?=@)", re.IGNORECASE
)
_QUERY_VALUE = re.compile(r"(?P<keep>[?&][A-Za-z0-9_.~%\[\]-]*=)(?P<value>[^&#\s\"'`<>]+)")
_ASSIGNMENT = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)=(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"'`;&|)]+)"
)
_AUTH_HEADER = re.compile(
    r"(?P<keep>\bauthorization[\"']?[ \t]*[:=][ \t]*(?:[A-Za-z]+[ \t]+)?)(?P<value>[^\s\"'`]+)",
    re.IGNORECASE,
)
_REFERENCE = re.compile(r"^\$(?:\{|\(|[A-Za-z_])")
_FIXTURE = FIXTURE_MARK.decode()


def _mask(value: str) -> str:
    """``value`` cut to its preview; quotes kept, references and masked values left alone."""
    quote = value[0] if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'" else ""
    inner = value[1:-1] if quote else value
    if not inner or ELLIPSIS in inner or _REFERENCE.match(inner):
        return value
    return f"{quote}{preview(inner)}{quote}"


def _engine(text: str, path: str) -> str:
    """Each span the secrets engine reports, replaced by the finding's own preview."""
    from launchready.gatherers.secrets import scan_text  # compiles the rules on first use
    from launchready.gatherers.secrets.rules import RULES_BY_ID

    # The engine skips files marked as test fixtures; a quoted command is not such a file, so
    # the marker is blanked (same length: offsets stay valid) rather than obeyed.
    scanned = text.replace(_FIXTURE, " " * len(_FIXTURE))
    hits = scan_text(path, scanned)
    if not hits:
        return text
    lines = text.split("\n")
    spans: dict[int, list[tuple[int, int, str]]] = {}
    for hit in hits:
        index = hit.line - 1
        if not 0 <= index < len(lines):
            continue
        if hit.span is None:  # a very long line, confirmed in windows: all of it goes
            start, end = 0, len(lines[index])
        elif ELLIPSIS in lines[index][hit.span[0] : hit.span[1]]:
            continue  # masked already (`app:abcd…@db` still reads as a URL password)
        else:
            start, end = hit.span
        spans.setdefault(index, []).append((start, end, hit.preview))
        if RULES_BY_ID[hit.rule_id].pem:  # the key body is on the lines that follow
            for body in range(index + 1, len(lines)):
                if "-----END" in lines[body]:
                    break
                spans.setdefault(body, []).append((0, len(lines[body]), ELLIPSIS))
    for index, found in spans.items():
        line = lines[index]
        for start, end, shown in sorted(set(found), reverse=True):
            line = line[:start] + shown + line[end:]
        lines[index] = line
    return "\n".join(lines)


def _named(m: re.Match[str]) -> str:
    if not SECRET_NAME.search(m["name"]):
        return m[0]
    return f"{m['name']}={_mask(m['value'])}"


def redact(text: str, path: str = "") -> str:
    """``text`` with every secret in it cut to at most four leading characters and `…`.

    ``path`` is the file the text comes from (some rules only apply to some files)."""
    if not text:
        return text
    text = _engine(text, path)
    text = _URL_PASSWORD.sub(lambda m: m["keep"] + _mask(m["value"]), text)
    text = _QUERY_VALUE.sub(lambda m: m["keep"] + _mask(m["value"]), text)
    text = _AUTH_HEADER.sub(lambda m: m["keep"] + _mask(m["value"]), text)
    return _ASSIGNMENT.sub(_named, text)
