"""The JSON report: DESIGN.md's contract. Fields are added, never renamed."""

from __future__ import annotations

import json
from typing import Any

from launchready.core.findings import Finding, Report


def finding_dict(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f.id,
        "stage": f.stage.value,
        "status": f.status.value,
        "severity": f.severity.value,
        "must_fix": f.must_fix,
        "rank": f.rank,
        "harm": f.harm.value,
        "title": f.title,
        "target": f.target,
        "evidence": f.evidence,
        "impact": f.impact,
        "remediation": f.remediation,
        "references": list(f.references),
    }
    if f.commit is not None:
        out["commit"] = f.commit
    if f.fingerprint is not None:
        out["fingerprint"] = f.fingerprint
    return out


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "tool": {"name": report.tool_name, "version": report.tool_version},
        "target": report.target,
        "started_at": report.started_at,
        "duration_s": report.duration_s,
        "score": {"overall": report.score.overall, "stages": dict(report.score.stages)},
        "stages_run": [s.value for s in report.stages_run],
        "summary": {
            "must_fix": len(report.must_fix),
            "nice_to_have": len(report.nice_to_have),
            "passed": len(report.passed),
            "not_evaluated": len(report.not_evaluated),
        },
        "launch_order": [
            {
                "step": s.step,
                "harm": s.harm.value,
                "goal": s.summary,
                "ranks": list(s.finding_ranks),
            }
            for s in report.launch_order
        ],
        "findings": [finding_dict(f) for f in report.findings],
        **report.extras,
    }


def render(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
