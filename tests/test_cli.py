"""The command line as a user meets it: exit codes and one-line errors, never a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "launchready", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=ENV,
        timeout=120,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_version_and_catalog() -> None:
    assert run("--version").stdout.startswith("launchready ")
    listing = run("checks")
    assert listing.returncode == 0
    for check_id in ("edge.hsts", "edge.https-redirect", "deploy.lockfile"):
        assert check_id in listing.stdout
    explained = run("explain", "edge.hsts")
    assert explained.returncode == 0
    assert (
        "checks/edge/basics.py:" in explained.stdout and "reads fact: edge.page" in explained.stdout
    )


def test_explain_unknown_id() -> None:
    assert_one_line_error(run("explain", "edge.hst"), "edge.hsts")


def test_missing_config(tmp_path: Path) -> None:
    assert_one_line_error(run("audit", "--config", str(tmp_path / "x.toml")), "x.toml", "not found")


def test_malformed_config_names_file_and_line(tmp_path: Path) -> None:
    cfg = tmp_path / "launchready.toml"
    cfg.write_text('[web]\nurls = ["https://a.test/"\n[repo]\n')
    assert_one_line_error(run("audit", "--config", str(cfg)), f"{cfg}:", "not valid TOML")


def test_unknown_key_names_file_and_line(tmp_path: Path) -> None:
    cfg = tmp_path / "launchready.toml"
    cfg.write_text('[web]\nurls = []\n\n[email]\ndkim_selector = ["s1"]\n')
    assert_one_line_error(run("audit", "--config", str(cfg)), f"{cfg}:5", "email.dkim_selector")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--only", "edge,perf"], "unknown stage 'perf'"),
        (["--resolve", "app.test:443"], "HOST:PORT:ADDR"),
        (["--nameserver", "127.0.0.1:0"], "--nameserver"),
        (["--url", "https://a.test:99999/"], "--url 'https://a.test:99999/': port out of range"),
        (["--url", "http://[::1/"], "--url 'http://[::1/': invalid IPv6 URL"),
        (["--format", "pdf"], "invalid choice"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_flags(args: list[str], needle: str, tmp_path: Path) -> None:
    assert_one_line_error(run("audit", *args, cwd=tmp_path), needle)


def test_unreachable_url_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run(
        "audit",
        "--url",
        f"https://127.0.0.1:{port}/",
        "--only",
        "edge",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    (down,) = [f for f in report["findings"] if f["status"] == "fail"]
    assert down["id"] == "edge.reachable" and down["must_fix"] and down["rank"] == 1
    assert "cannot connect" in down["evidence"]
    # Every other edge check could not look: "error", never "pass".
    others = [f for f in report["findings"] if f["id"] != "edge.reachable"]
    assert others and {f["status"] for f in others} <= {"error", "skipped"}
    assert result.returncode == 1


def test_audit_repo_exit_code_and_output_file(tmp_path: Path) -> None:
    repo = tmp_path / "app"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".env").write_text("DEBUG=1\n")
    subprocess.run(["git", "-C", str(repo), "add", ".env"], check=True)
    out = tmp_path / "report.json"
    result = run(
        "audit",
        "--repo",
        str(repo),
        "--only",
        "deploy",
        "--format",
        "json",
        "--output",
        str(out),
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    assert f"json report written to {out}" in result.stderr
    report = json.loads(out.read_text())
    must = [f for f in report["findings"] if f["must_fix"]]
    assert [(f["id"], f["target"]) for f in must] == [("deploy.env-files-tracked", ".env")]


def test_init_writes_a_valid_commented_config(tmp_path: Path) -> None:
    (tmp_path / ".env.production").write_text("X=1\n")
    (tmp_path / "migrations").mkdir()
    (tmp_path / ".env.example").write_text("DATABASE_URL=postgresql://localhost/app\n")
    result = run("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "launchready.toml").read_text()
    assert '[environments.production]\nenv_file = ".env.production"' in text
    assert 'url = "${DATABASE_URL}"' in text and 'path = "migrations"' in text
    assert_one_line_error(run("init", cwd=tmp_path), "already exists")
    # The written file loads (with the variable it names set) and audits cleanly.
    ENV["DATABASE_URL"] = "postgresql://localhost/app"
    try:
        checked = run("audit", "--only", "deploy", "--format", "json", cwd=tmp_path)
    finally:
        del ENV["DATABASE_URL"]
    assert checked.returncode in (0, 1), checked.stderr
    json.loads(checked.stdout)


def test_a_malformed_credential_flag_is_not_echoed(tmp_path: Path) -> None:
    secret = "sk_" + "live_" + "51Hzyxwvutsrqponm"  # built here: no secret-shaped literal
    result = run("audit", "--header", f"Authorization Bearer {secret}", cwd=tmp_path)
    assert_one_line_error(result, "--header 'Auth…': expected 'Name: value'")
    assert secret[4:] not in result.stderr + result.stdout
