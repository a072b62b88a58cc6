"""What several edge check modules share: references, the directive parsers, "not applicable"."""

from __future__ import annotations

from launchready.checks.base import Verdict
from launchready.core.findings import Status
from launchready.gatherers.edge.http import PageFact

OBSERVATORY = "https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring"


def directives(value: str | None, sep: str) -> dict[str, str]:
    """``name[=value]`` directives split on ``sep``: names lower-cased, values unquoted.

    Only the first occurrence of a directive is kept. The one parser for HSTS (``;``) and
    Cache-Control (``,``).
    """
    out: dict[str, str] = {}
    for part in (value or "").split(sep):
        key, _, arg = part.strip().partition("=")
        if key.strip():
            out.setdefault(key.strip().lower(), arg.strip().strip('"'))
    return out


def hsts_directives(value: str) -> dict[str, str]:
    """RFC 6797 §6.1: directives split on ';', names case-insensitive, values may be quoted.

    Only the first occurrence of a directive is kept. The one parser for ``edge.hsts`` and
    the HSTS detail checks, so they can never disagree on what the header says.
    """
    return directives(value, ";")


def hsts_max_age(directives: dict[str, str]) -> int | None:
    """The max-age in seconds, or None when it is missing or not a number."""
    value = directives.get("max-age", "")
    return int(value) if value.isdigit() else None


def not_applicable(why: str) -> Verdict:
    """A verdict that neither passes nor fails: the check has nothing to judge here.

    Skipped findings count for nothing in the score, so a page that gives a check nothing
    to look at cannot raise it.
    """
    return Verdict(Status.SKIPPED, f"not applicable: {why}")


def not_html(page: PageFact) -> Verdict | None:
    """A not-applicable verdict for responses that are not documents (JSON, redirects)."""
    if page.is_html:
        return None
    kind = page.content_type or "no Content-Type"
    return not_applicable(f"not an HTML document ({page.status}, {kind})")
