"""SARIF 2.1.0 for code-scanning dashboards: one rule per check, one result per problem.

Only fail/warn findings become results: SARIF has no way to say "could not evaluate"
that dashboards respect, and a pass is not a result. Every check present still gets a
rule, so a dashboard can show what was looked at.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from launchready.core.findings import Finding, Report, Severity

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
# The project's public page; SARIF viewers link the tool name to it.
INFORMATION_URI = "https://pypi.org/project/launchready/"
FINGERPRINT_KEY = "launchready/v1"

LEVELS = {
    Severity.BLOCKER: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}

_PATH_LINE = re.compile(r"^(?P<path>[^\s:]+):(?P<line>[1-9]\d*)$")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
# Extensions that name files rather than domains. Without a slash, ``deploy.yml`` and
# ``acme.test`` look alike; the ones here are (practically) never a host's last label.
_FILE_SUFFIXES = frozenset(
    {".cfg", ".conf", ".env", ".example", ".ini", ".j2", ".js", ".json", ".lock", ".mjs"}
    | {".py", ".rb", ".sql", ".tf", ".toml", ".ts", ".txt", ".yaml", ".yml"}
)
_FILE_NAMES = frozenset({"Dockerfile", "Makefile", "Procfile", "Gemfile", "Pipfile"})


def _rule_name(check_id: str) -> str:
    """``edge.hsts-max-age`` → ``HstsMaxAge``: SARIF's readable rule name."""
    slug = check_id.split(".", 1)[-1]
    return "".join(part.capitalize() for part in re.split(r"[-_]", slug) if part)


def _rule(f: Finding) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": f.id,
        "name": _rule_name(f.id),
        "shortDescription": {"text": f.title},
        "fullDescription": {"text": f.impact},
        "help": {"text": f.remediation},
        "defaultConfiguration": {"level": LEVELS[f.severity]},
        "properties": {
            "stage": f.stage.value,
            "harm": f.harm.value,
            "severity": f.severity.value,
            # Tags must be unique, and the deploy stage's harm is often "deploy" too.
            "tags": list(dict.fromkeys((f.stage.value, f.harm.value))),
        },
    }
    links = [u for u in f.references if u.startswith(("https://", "http://"))]
    if links:
        rule["helpUri"] = links[0]
    return rule


def _rules(findings: tuple[Finding, ...]) -> list[dict[str, Any]]:
    """One rule per check id, described by its most severe finding.

    A check may grade a lesser form of its problem lower (a short HSTS max-age), so the
    most severe finding is the closest thing in the report to the check's own severity.
    """
    worst: dict[str, Finding] = {}
    for f in findings:
        if f.id not in worst or f.severity.order < worst[f.id].severity.order:
            worst[f.id] = f
    return [_rule(worst[check_id]) for check_id in sorted(worst)]


def _looks_like_path(text: str) -> bool:
    if "/" in text or text.startswith("."):
        return True
    path = PurePosixPath(text)
    return path.name in _FILE_NAMES or path.suffix.lower() in _FILE_SUFFIXES


def is_file_target(target: str) -> bool:
    """``path:line`` or a file path, as opposed to a URL, ``host:port``, domain or table."""
    if _URL.match(target) or any(c.isspace() for c in target):
        return False
    m = _PATH_LINE.match(target)
    # ``app.acme.test:443`` has the shape of ``path:line``; only a path-like left side counts.
    return _looks_like_path(m["path"] if m else target)


def _artifact_uri(path: str) -> str:
    posix = path.replace("\\", "/")
    if posix.startswith("/"):
        return PurePosixPath(posix).as_uri()
    # Relative to the scanned repository root, which is how code-scanning resolves it.
    return quote(posix.removeprefix("./"))


def _location(target: str) -> dict[str, Any]:
    if not is_file_target(target):
        # A URL, host, domain or table is not an artifact in the repository.
        return {"logicalLocations": [{"fullyQualifiedName": target, "kind": "resource"}]}
    m = _PATH_LINE.match(target)
    path = m["path"] if m else target
    physical: dict[str, Any] = {"artifactLocation": {"uri": _artifact_uri(path)}}
    if m:
        physical["region"] = {"startLine": int(m["line"])}
    return {"physicalLocation": physical}


def fingerprint(f: Finding) -> str:
    """The finding's own fingerprint (secrets: stable across line moves) or id+target."""
    if f.fingerprint:
        return f.fingerprint
    return hashlib.sha256(f"{f.id}\0{f.target}".encode()).hexdigest()


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "rank": f.rank,
        "must_fix": f.must_fix,
        "harm": f.harm.value,
        "stage": f.stage.value,
        "severity": f.severity.value,
        "status": f.status.value,
        "target": f.target,
    }
    if f.commit:
        properties["commit"] = f.commit
    return {
        "ruleId": f.id,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": {"text": f"{f.title}: {f.evidence}"},
        "locations": [_location(f.target)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(f)},
        "properties": properties,
    }


def sarif_log(report: Report) -> dict[str, Any]:
    rules = _rules(report.findings)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = [_result(f, index[f.id]) for f in report.findings if f.is_problem]
    driver = {
        "name": report.tool_name,
        "version": report.tool_version,
        "informationUri": INFORMATION_URI,
        "rules": rules,
    }
    run = {
        "tool": {"driver": driver},
        "results": results,
        "properties": {
            "target": report.target,
            "started_at": report.started_at,
            "duration_s": report.duration_s,
            "score": {"overall": report.score.overall, "stages": dict(report.score.stages)},
        },
    }
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render(report: Report) -> str:
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"
