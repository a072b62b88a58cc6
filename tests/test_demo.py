"""`launchready demo` end to end: the sandbox, every check, the JSON contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import interrupt

PLANTED_MUST_FIX = {
    "edge.hsts",
    "edge.cookie-secure",
    "edge.https-redirect",
    "deploy.env-files-tracked",
}
FINDING_FIELDS = {
    "id": str,
    "stage": str,
    "status": str,
    "severity": str,
    "must_fix": bool,
    "rank": int,
    "harm": str,
    "title": str,
    "target": str,
    "evidence": str,
    "impact": str,
    "remediation": str,
    "references": list,
}


def demo(tmp: Path, *flags: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    html = tmp / "[" / "run]" / "report.html"  # ".../[/run]/...": a path, not markup
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "launchready",
            "demo",
            "--format",
            "json",
            "--html",
            str(html),
            *flags,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert html.read_text().lower().startswith("<!doctype html>")
    return result, json.loads(result.stdout)


@pytest.fixture(scope="module")
def flawed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return demo(tmp_path_factory.mktemp("demo"))[1]


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return demo(tmp_path_factory.mktemp("demo-fixed"), "--fixed")[1]


def test_json_contract(flawed: dict[str, Any]) -> None:
    assert flawed["tool"]["name"] == "launchready" and flawed["tool"]["version"]
    assert "app.demo.test" in flawed["target"]
    assert isinstance(flawed["duration_s"], float) and flawed["started_at"]
    assert 0 <= flawed["score"]["overall"] <= 100
    assert set(flawed["score"]["stages"]) >= {"edge", "deploy"}
    findings = flawed["findings"]
    assert [f["rank"] for f in findings] == list(range(1, len(findings) + 1))
    for f in findings:
        for key, kind in FINDING_FIELDS.items():
            assert isinstance(f[key], kind), (key, f)
        assert f["id"].startswith(f["stage"] + ".")
        assert f["status"] in {"fail", "warn", "pass", "error", "skipped"}
        assert f["must_fix"] == (
            f["status"] in {"fail", "warn"} and f["severity"] in {"blocker", "high"}
        )


def test_planted_blockers_are_must_fix_in_launch_order(flawed: dict[str, Any]) -> None:
    must = [f for f in flawed["findings"] if f["must_fix"]]
    assert {f["id"] for f in must} >= PLANTED_MUST_FIX
    assert {f["stage"] for f in must} >= {"edge", "deploy"}
    # Must-fix come first, and the launch order covers exactly them, login first.
    assert [f["rank"] for f in must] == list(range(1, len(must) + 1))
    steps = flawed["launch_order"]
    assert sorted(r for s in steps for r in s["ranks"]) == [f["rank"] for f in must]
    assert steps[0]["harm"] == "login"
    # Nothing could not be checked: every peer of the sandbox answered.
    assert not [f for f in flawed["findings"] if f["status"] == "error"]
    tracked = {f["target"] for f in must if f["id"] == "deploy.env-files-tracked"}
    assert tracked == {".env.staging", ".env.production"}


def test_fixed_variant_has_no_planted_must_fix(fixed: dict[str, Any]) -> None:
    must = {f["id"] for f in fixed["findings"] if f["must_fix"]}
    assert not must & PLANTED_MUST_FIX
    assert not must
    assert not [f for f in fixed["findings"] if f["status"] == "error"]
    # Nothing fails at all once fixed: the variant is what a careful team ships.
    assert not [(f["id"], f["target"]) for f in fixed["findings"] if f["status"] == "fail"]
    assert fixed["score"]["overall"] > 90


def test_ctrl_c_stops_everything_the_demo_started(tmp_path: Path) -> None:
    import socket
    import tomllib

    # The sandbox's config is read while it runs: on exit its folder is gone.
    seen: list[str] = []

    def sandbox_up() -> bool:
        found = list(tmp_path.glob("launchready-sandbox-*/launchready.toml"))
        if found:
            seen.append(found[0].read_text())
        return bool(found)

    run = interrupt(
        [sys.executable, "-m", "launchready", "demo", "--html", str(tmp_path / "r.html")],
        sandbox_up,
        within_s=120,
        env={**os.environ, "TMPDIR": str(tmp_path), "NO_COLOR": "1"},
        exit_within_s=60,
    )
    config = seen[0] if seen else None
    assert config is not None, "the sandbox never came up"
    settings = tomllib.loads(config)
    ports = [int(entry.rsplit(":", 1)[1]) for entry in settings["network"]["connect_to"]]
    err = run.stderr
    assert run.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert not list(tmp_path.glob("launchready-sandbox-*")), "sandbox folder left behind"
    for port in set(ports):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still listening"
