"""The production deployment checklist (Markdown), from the report alone.

Steps come from the deploy plan the repository scan published (every command was found in
the repository, or is the standard command of a tool found there; its source is shown),
owners from `[owners]`, variable names per environment from the environments fact — never
a value — and the deploy stage's must-fix findings as the first box to tick.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from launchready.core.findings import Report, Stage

_PHASES = (
    ("build", "Build", ("hosting",)),
    ("test", "Test", ()),
    ("migrate", "Migrate the database", ("database", "hosting")),
    ("deploy", "Deploy", ("hosting",)),
    ("verify", "Verify", ("monitoring", "hosting")),
    ("rollback", "Roll back (if verification fails)", ("hosting",)),
)


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _rows(report: Report, key: str) -> list[Mapping[str, Any]]:
    rows = report.extras.get(key)
    if not isinstance(rows, list):
        return []
    return [r for r in rows if isinstance(r, Mapping)]


def _owner(owners: Mapping[str, str], areas: Sequence[str]) -> str:
    for area in areas:
        if owners.get(area):
            return f" — owner: {owners[area]} ({area})"
    return " — owner: not set ([owners] in launchready.toml)" if areas else ""


def _step_line(row: Mapping[str, Any]) -> str:
    text = str(row.get("command", ""))
    shown = _code(text) if row.get("is_command", True) else text
    source = row.get("source")
    return f"- [ ] {shown} — from {source}" if source else f"- [ ] {shown}"


def render(report: Report) -> str:
    plan = _rows(report, "deploy_plan")
    envs = _rows(report, "deploy_environments")
    owners = {str(r["area"]): str(r["owner"]) for r in plan if r.get("kind") == "owner"}
    stores = [str(r["store"]) for r in plan if r.get("kind") == "secret_store"]
    steps = [r for r in plan if r.get("kind") == "step"]
    deploy = [f for f in report.findings if f.stage == Stage.DEPLOY]
    must = [f for f in deploy if f.must_fix]
    unknown = [f for f in deploy if f.status.value in ("error", "skipped")]

    out = [
        "# Production deployment checklist",
        "",
        f"For {report.target}. Written by {report.tool_name} {report.tool_version} on "
        f"{report.started_at} from the repository and launchready.toml: each step shows where "
        "it was found. Values of environment variables are never shown.",
        "",
    ]
    if owners:
        out += ["**Owners:** " + ", ".join(f"{a}: {o}" for a, o in owners.items()), ""]
    else:
        out += ["**Owners:** none set — add `[owners]` to launchready.toml.", ""]
    where = ", ".join(stores) if stores else "nowhere that can be seen — decide and write it down"
    secrets_owner = f" (owner: {owners['secrets']})" if owners.get("secrets") else ""
    out += [f"**Production secrets live in:** {where}{secrets_owner}", ""]

    out += ["## Before you deploy", ""]
    if must:
        out.append(f"- [ ] Fix the {len(must)} must-fix deploy finding(s) of the audit:")
        out += [f"  - [ ] {f.title} — {f.target}: {f.evidence}" for f in must]
    else:
        out.append("- [x] The audit found no must-fix deploy finding.")
    if unknown:
        out.append(
            f"- [ ] {len(unknown)} deploy check(s) were not evaluated (not configured, or could "
            "not run): see the report."
        )
    out += ["- [ ] Every environment below has each of its variables set.", ""]

    for number, (phase, title, areas) in enumerate(_PHASES, start=1):
        out += [f"## {number}. {title}{_owner(owners, areas)}", ""]
        lines = [_step_line(r) for r in steps if r.get("phase") == phase]
        out += lines or ["- [ ] Not found in the repository: write the exact command here."]
        out.append("")

    out += ["## Environment variables (names only)", ""]
    if not envs:
        out += ["No `[environments.*]` configured in launchready.toml.", ""]
    for env in envs:
        url = f", {env['url']}" if env.get("url") else ""
        out += [f"### {env.get('environment')} ({env.get('source')}{url})", ""]
        if env.get("problem"):
            out += [f"Could not be read: {env['problem']}.", ""]
            continue
        names = env.get("variables") or []
        out += [", ".join(_code(str(n)) for n in names) if names else "(none)", ""]
    return "\n".join(out).rstrip() + "\n"
