"""File names and check wording in CLI messages are text, not rich markup; `[audit] output`
is relative to the file that sets it; `init` creates the folder it writes to."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

from launchready.cli import loadtest
from launchready.cli.main import main


@pytest.fixture(autouse=True)
def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "500")  # no wrapping inside the paths asserted below


def repo_with_tracked_env(root: Path) -> Path:
    repo = root / "app"
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".env").write_text("DEBUG=1\n")
    subprocess.run(["git", "-C", str(repo), "add", ".env"], check=True)
    return repo


def test_explain_keeps_bracketed_wording(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "deploy.required-env"]) == 0
    out = capsys.readouterr().out
    # "[deploy]" in the remediation and the rationale: markup would swallow both.
    assert out.count("[deploy] required_env") == 2, out
    assert out.startswith("deploy.required-env — ")
    assert main(["checks"]) == 0
    assert "deploy.required-env" in capsys.readouterr().out


def test_an_output_path_with_brackets_is_written_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = repo_with_tracked_env(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "x" / "[" / "d]" / "r.json"  # ".../x/[/d]/r.json": a closing tag
    args = ["audit", "--repo", str(repo), "--only", "deploy", "--format", "json"]
    assert main([*args, "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"json report written to {out}" in err
    assert f"deployment checklist written to {out.parent / 'deploy-checklist.md'}" in err
    assert json.loads(out.read_text())["findings"]


def test_audit_output_in_the_file_is_relative_to_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo_with_tracked_env(tmp_path)
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "launchready.toml").write_text(
        '[repo]\npath = "../app"\n\n[audit]\nonly = ["deploy"]\nformat = "json"\n'
        'output = "reports/r.json"\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["audit", "--config", str(conf / "launchready.toml")]) == 1
    assert json.loads((conf / "reports" / "r.json").read_text())["findings"]
    assert (conf / "reports" / "deploy-checklist.md").is_file()
    assert list(elsewhere.iterdir()) == []
    # --output on the command line is still relative to the working directory.
    assert main(["audit", "--config", str(conf / "launchready.toml"), "--output", "o.json"]) == 1
    assert (elsewhere / "o.json").is_file()
    capsys.readouterr()


def test_init_creates_the_folder_it_writes_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "new" / "folder" / "launchready.toml"
    assert main(["init", "--repo", str(tmp_path), "--output", str(target)]) == 0
    assert target.read_text().startswith("#")
    assert f"wrote {target}" in capsys.readouterr().out


def test_loadtest_output_shows_bracketed_names_as_written(
    capsys: pytest.CaptureFixture[str],
) -> None:
    endpoint = {
        "name": "/app/[/slug]",
        "count": 10,
        "rps": 5.0,
        "error_rate": 0.0,
        **{k: 1.0 for k in ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms")},
        "target_p95_ms": 300.0,
        "passed": True,
        "missed": [],
        "statuses": {"200": 10},
    }
    data = {
        "target": "http://127.0.0.1:8000/[/x]",
        "model": "closed",
        "rate": None,
        "users": 2,
        "duration_s": 2.0,
        "endpoints": [endpoint],
        "generator": {"lag_p99_ms": 0.1, "lag_max_ms": 0.2, "cut_off": 0},
    }
    buffer = io.StringIO()
    loadtest.print_terminal(Console(file=buffer, width=200), data)
    text = buffer.getvalue()
    assert "Load test http://127.0.0.1:8000/[/x]" in text
    assert text.count("/app/[/slug]") == 2  # the table and the status line
