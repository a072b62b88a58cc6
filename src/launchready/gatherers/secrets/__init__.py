"""Secret detection: rules, the matching engine and the sources it reads.

The engine is a library any gatherer may use (the ``deploy`` stage reads compose files and
CI workflows with it)::

    from launchready.gatherers.secrets import scan_text
    for hit in scan_text("docker-compose.yml", text):
        hit.rule_id, hit.line, hit.fingerprint, hit.preview  # never the secret itself

Equal fingerprints mean equal secrets, whatever file or rule they were found in.
"""

from __future__ import annotations

from launchready.gatherers.secrets.matcher import Hit, Matcher, digest, fingerprint
from launchready.gatherers.secrets.rules import RULES, Rule

_default: Matcher | None = None


def scan_text(path: str, text: str | bytes) -> list[Hit]:
    """Every secret in one file's content (``path`` matters: lock files, path-bound rules)."""
    global _default
    if _default is None:
        _default = Matcher()
    return _default.scan_text(path, text)


__all__ = ["RULES", "Hit", "Matcher", "Rule", "digest", "fingerprint", "scan_text"]
