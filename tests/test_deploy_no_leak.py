"""No secret value from any env file or config file appears in any output.

Every fixture app's secrets (generated per run) are searched for, whole and by their first
8 characters, in every report format, in the deployment checklist, and in what the CLI
prints on stdout and stderr.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from test_deploy_apps import App, alembic_app, audit, clean_app, django_app, knex_app

from launchready.cli.main import main
from launchready.deliverables import for_report
from launchready.renderers import FORMATS, renderer


def assert_no_secret(text: str, app: App, where: str) -> None:
    assert app.secrets
    for value in app.secrets:
        assert value not in text, f"a secret appears in {where}"
        assert value[:8] not in text, f"the start of a secret appears in {where}"


@pytest.mark.parametrize("build", [django_app, knex_app, alembic_app, clean_app])
def test_no_format_and_no_checklist_shows_a_secret(
    tmp_path: Path, build: Callable[[Path], App]
) -> None:
    app = build(tmp_path)
    report = audit(app.config)
    assert any(f.status.value == "fail" for f in report.findings) or build is clean_app
    for fmt in FORMATS:
        assert_no_secret(renderer(fmt)(report), app, fmt)
    (checklist,) = for_report(report)
    assert_no_secret(checklist.render(report), app, "deploy-checklist.md")


def test_the_cli_prints_and_writes_no_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = django_app(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)
    assert main(["audit", "--config", str(app.config), "--only", "deploy"]) == 1
    out = capsys.readouterr()
    assert_no_secret(out.out + out.err, app, "the terminal report")
    assert "deployment checklist written to deploy-checklist.md" in out.err
    written = tmp_path / "deploy-checklist.md"
    assert_no_secret(written.read_text(), app, "./deploy-checklist.md")

    report_path = tmp_path / "out" / "report.sarif"
    code = main(
        ["audit", "--config", str(app.config), "--only", "deploy", "--format", "sarif",
         "--output", str(report_path)]
    )  # fmt: skip
    assert code == 1
    out = capsys.readouterr()
    beside = tmp_path / "out" / "deploy-checklist.md"
    assert f"deployment checklist written to {beside}" in out.err
    assert_no_secret(out.out + out.err + report_path.read_text(), app, "the sarif run")
    checklist = beside.read_text()
    assert_no_secret(checklist, app, "the checklist beside the report")
    # Names per environment are there; values are not.
    assert "`DJANGO_SECRET_KEY`" in checklist and "### production" in checklist
