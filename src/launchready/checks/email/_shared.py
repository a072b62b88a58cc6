"""What the email stage's check modules share: references and the two non-pass verdicts."""

from __future__ import annotations

from launchready.checks.base import Verdict
from launchready.core.findings import Status

RFC7208 = "https://www.rfc-editor.org/rfc/rfc7208"
RFC6376 = "https://www.rfc-editor.org/rfc/rfc6376"
RFC8301 = "https://www.rfc-editor.org/rfc/rfc8301"
RFC9989 = "https://www.rfc-editor.org/rfc/rfc9989"
RFC9990 = "https://www.rfc-editor.org/rfc/rfc9990"
GOOGLE = "https://support.google.com/a/answer/81126"
YAHOO = "https://senders.yahooinc.com/best-practices/"


def skipped(evidence: str) -> Verdict:
    """Nothing to judge (the record this check reads is missing) — never a pass."""
    return Verdict(Status.SKIPPED, evidence)


def error(evidence: str, target: str | None = None) -> Verdict:
    """Could not check (a DNS failure, a message that could not be verified)."""
    return Verdict(Status.ERROR, evidence, target=target)
