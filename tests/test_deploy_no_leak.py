"""No secret value from any env file or config file appears in any output.

Every fixture app's secrets (generated per run) are searched for, whole and by their first
8 characters, in every report format, in the deployment checklist, and in what the CLI
prints on stdout and stderr. Commands and runbook lines quoted from the repository may show
a secret's first 4 characters at most.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from test_deploy_apps import (
    App,
    alembic_app,
    audit,
    clean_app,
    config_for,
    django_app,
    evidence,
    knex_app,
    make_repo,
    token,
)

from launchready.cli.main import main
from launchready.deliverables import for_report
from launchready.gatherers.deploy.redact import redact
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


def ci_app(tmp: Path) -> App:
    """A workflow and a runbook that write secrets inline, where a deploy's commands and a
    runbook's lines are quoted from: the plan, the checklist, the CI checks' evidence."""
    root = tmp / "ci_app"
    github, hook_key, db_password = "ghs_" + token(36), token(24), token(20)
    api_token, heroku_key = token(32), token(32)
    workflow = f"""\
name: ci
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: DATABASE_URL=postgres://app:{db_password}@db.internal.example/app pytest -q
  deploy:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - run: ': "${{DATABASE_URL:?}}" && API_TOKEN={api_token} ./bin/check-env'
      - run: curl -fsS -X POST https://api.render.com/deploy/srv-x?key={hook_key}
      - run: FLY_API_TOKEN={github} flyctl deploy --remote-only
"""
    runbook = f"# Runbook\n\nTo roll back: HEROKU_API_KEY={heroku_key} heroku rollback\n"
    make_repo(root, {".github/workflows/ci.yml": workflow, "RUNBOOK.md": runbook}, {})
    secrets = [github, hook_key, db_password, api_token, heroku_key]
    return App(root, config_for(root, ""), secrets)


def test_commands_and_runbooks_quoted_from_the_repository_are_masked(tmp_path: Path) -> None:
    app = ci_app(tmp_path)
    report = audit(app.config)
    texts = {fmt: renderer(fmt)(report) for fmt in FORMATS}
    (checklist,) = for_report(report)
    texts["deploy-checklist.md"] = checklist.render(report)
    for where, text in texts.items():
        assert_no_secret(text, app, where)
        for value in app.secrets:  # at most 4 leading characters, as every finding shows
            assert value[:5] not in text, f"more than 4 characters of a secret in {where}"
    # The steps are still found and quoted, with each secret cut to its preview.
    github, hook_key, db_password = app.secrets[:3]
    assert f"srv-x?key={hook_key[:4]}…" in evidence(report, "deploy.ci-deploy")
    assert f"app:{db_password[:4]}…@db.internal.example" in evidence(report, "deploy.ci-tests")
    assert "API_TOKEN=" in evidence(report, "deploy.ci-env-check")
    plan = report.extras["deploy_plan"]
    assert isinstance(plan, list)
    commands = [str(row.get("command")) for row in plan]
    assert "FLY_API_TOKEN=ghs_… flyctl deploy --remote-only" in commands
    assert any(c.startswith("follow the runbook") and "HEROKU_API_KEY=" in c for c in commands)


def test_redact_masks_each_kind_of_secret_and_keeps_references() -> None:
    password, key, api = token(20), token(24), token(32)
    masked = redact(
        f'psql "postgresql://app:{password}@db/app" && curl -H "Authorization: Bearer {api}" '
        f"'https://hooks.example/x?sig={key}&v=${{{{ secrets.V }}}}' --api-key={api}"
    )
    for value in (password, key, api):
        assert value[:5] not in masked
    assert f"app:{password[:4]}…@db" in masked and f"sig={key[:4]}…" in masked
    assert f"Bearer {api[:4]}…" in masked and f"--api-key={api[:4]}…" in masked
    kept = 'FLY_API_TOKEN="${{ secrets.FLY }}" DB_PASSWORD=$DB_PASSWORD flyctl deploy'
    assert redact(kept) == kept  # references are where the value comes from, not values
    assert redact(masked) == masked  # masking twice changes nothing
