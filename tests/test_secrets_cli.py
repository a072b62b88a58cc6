"""The secrets checks on plain facts, `launchready secrets scan`, the baseline, the audit, and
the rule that no secret is ever printed: a generated corpus through every output format."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from random import Random

import pytest
from gitutil import GIT_ENV, git

from launchready.checks.secrets import leaked_in_history, leaked_in_tree
from launchready.config.model import AuditConfig, RepoConfig
from launchready.core.findings import Severity, Stage, Status
from launchready.engine import run_audit
from launchready.gatherers.secrets import baseline as baseline_file
from launchready.gatherers.secrets.matcher import ALLOW_MARK, Matcher
from launchready.gatherers.secrets.samples import SAMPLES
from launchready.gatherers.secrets.scan import SecretHit, SecretsFact
from launchready.gatherers.secrets.sources import scan_history, scan_tree
from launchready.renderers import FORMATS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from secrets_corpus import Corpus, build  # noqa: E402

R = Random(3)


def hit(**kw: object) -> SecretHit:
    base: dict[str, object] = {
        "rule_id": "github-token",
        "title": "GitHub token",
        "path": "app.py",
        "line": 3,
        "fingerprint": "github-token:0123",
        "preview": "ghp_…",
        "source": "tree",
    }
    return SecretHit(**{**base, **kw})  # type: ignore[arg-type]


# --- checks ------------------------------------------------------------------------------


def test_tree_check_fails_each_new_hit_with_its_fingerprint() -> None:
    fact = SecretsFact(
        "/r",
        "tree",
        (hit(), hit(path="new.env", line=1, source="untracked", fingerprint="npm:9")),
        files=10,
    )
    tracked, untracked = leaked_in_tree.evaluate(fact)
    assert (tracked.status, tracked.target, tracked.fingerprint) == (
        Status.FAIL,
        "app.py:3",
        "github-token:0123",
    )
    assert tracked.severity is None and untracked.severity is Severity.HIGH
    assert "ghp_…" in tracked.evidence and "git add" in untracked.evidence


def test_baseline_accepts_known_fingerprints_only() -> None:
    fact = SecretsFact(
        "/r",
        "tree",
        (hit(),),
        files=4,
        baseline=frozenset({"github-token:0123"}),
        baseline_path="b",
    )
    (verdict,) = leaked_in_tree.evaluate(fact)
    assert verdict.status is Status.PASS and "1 known secret" in verdict.evidence


def test_history_check_reports_only_what_left_the_tree() -> None:
    gone = hit(source="history", commit="c" * 40, in_head=False, fingerprint="x:1")
    still = hit(source="history", commit="d" * 40, in_head=True)
    (verdict,) = leaked_in_history.evaluate(SecretsFact("/r", "history", (gone, still)))
    assert (verdict.status, verdict.commit, verdict.fingerprint) == (Status.FAIL, "c" * 40, "x:1")
    (ok,) = leaked_in_history.evaluate(SecretsFact("/r", "history", (still,), commits=5))
    assert ok.status is Status.PASS


# --- the command line ----------------------------------------------------------------------


def scan(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "launchready", "secrets", "scan", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**GIT_ENV, "NO_COLOR": "1", "COLUMNS": "120"},
        timeout=120,
    )


@pytest.fixture
def leaky(tmp_path: Path) -> tuple[Path, str]:
    """A repository with a key in history only and one still in the tree."""
    token, stripe = SAMPLES["github-token"](R), SAMPLES["stripe-secret-key"](R)
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "old.py").write_text(f"T = '{token.text}'\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "one")
    git(tmp_path, "rm", "-q", "old.py")
    (tmp_path / "settings.py").write_text(f"DEBUG = False\nSTRIPE = '{stripe.text}'\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "two")
    return tmp_path, stripe.text


def test_exit_codes(leaky: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> None:
    root, _ = leaky
    result = scan(str(root), "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    failing = {f["id"]: f for f in report["findings"] if f["status"] == "fail"}
    assert failing["secrets.leaked-in-tree"]["target"] == "settings.py:2"
    history = failing["secrets.leaked-in-history"]
    assert history["target"] == "old.py:1" and len(history["commit"]) == 40
    assert history["fingerprint"].startswith("github-token:")
    clean = tmp_path_factory.mktemp("clean")
    (clean / "a.py").write_text("x = 1\n")
    assert scan(str(clean)).returncode == 0
    bad = scan(str(clean / "missing"))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert scan(str(clean), "--update-baseline").returncode == 2
    assert scan(str(clean), "--format", "yaml").returncode == 2


def test_baseline_written_then_only_new_findings_count(leaky: tuple[Path, str]) -> None:
    root, stripe = leaky
    base = root / "known.json"
    first = scan(str(root), "--baseline", str(base), "--update-baseline")
    assert first.returncode == 0 and "written with 2 finding(s)" in first.stderr
    assert stripe not in base.read_text() and stripe[:8] not in base.read_text()
    # A line shift, a move to another file and a rewritten history keep the fingerprint.
    (root / "settings.py").unlink()
    (root / "config").mkdir()
    (root / "config" / "prod.py").write_text(f"# moved\n\nSTRIPE = '{stripe}'\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "--amend", "-m", "squashed")
    assert scan(str(root), "--baseline", str(base)).returncode == 0
    fresh = SAMPLES["sendgrid-api-key"](R).text
    (root / "mail.py").write_text(f"KEY = '{fresh}'\n")
    new = scan(str(root), "--baseline", str(base), "--format", "json")
    assert new.returncode == 1
    targets = [f["target"] for f in json.loads(new.stdout)["findings"] if f["status"] == "fail"]
    assert targets == ["mail.py:1"]
    assert scan(str(root), "--baseline", str(base), "--update-baseline").returncode == 0
    assert scan(str(root), "--baseline", str(base)).returncode == 0
    (root / "bad.json").write_text("[]")
    broken = scan(str(root), "--baseline", str(root / "bad.json"))
    assert broken.returncode == 2 and "no list of findings" in broken.stderr


def test_default_baseline_file_is_honoured(leaky: tuple[Path, str]) -> None:
    root, _ = leaky
    default = str(root / baseline_file.DEFAULT_NAME)
    assert scan(str(root), "--baseline", default, "--update-baseline").returncode == 0
    assert scan(str(root)).returncode == 0


def test_a_missing_baseline_is_a_usage_error_not_an_accepted_scan(
    leaky: tuple[Path, str],
) -> None:
    """In CI a mistyped or unchecked-out baseline path must not turn every finding into a
    known one: the file is only created on request (--update-baseline)."""
    root, _ = leaky
    missing = root / "nowhere" / "known.json"
    result = scan(str(root), "--baseline", str(missing))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "does not exist" in result.stderr and "--update-baseline" in result.stderr
    assert not missing.exists()
    assert scan(str(root), "--baseline", str(missing), "--update-baseline").returncode == 0
    assert scan(str(root), "--baseline", str(missing)).returncode == 0


def test_a_file_name_that_is_not_utf8_is_shown_escaped_in_every_output(tmp_path: Path) -> None:
    """The name is bytes (0xff is never UTF-8): it is read as such, and shown as `\\xff` so
    JSON on stdout, SARIF and a written report stay valid text instead of crashing."""
    root = tmp_path / "repo"  # the reports go beside it, not into the scanned tree
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    key = SAMPLES["github-token"](R).text
    (root / os.fsdecode(b"keys-\xff.py")).write_text(f"T = '{key}'\n")
    shown = "keys-\\xff.py:1"  # a backslash, then "xff"
    run = [sys.executable, "-m", "launchready", "secrets", "scan", str(root), "--no-history"]
    env = {**GIT_ENV, "NO_COLOR": "1"}
    as_json = subprocess.run([*run, "--format", "json"], capture_output=True, env=env, timeout=120)
    assert as_json.returncode == 1, as_json.stderr
    report = json.loads(as_json.stdout.decode("utf-8"))  # strict: valid UTF-8 only
    assert [f["target"] for f in report["findings"] if f["status"] == "fail"] == [shown]
    for fmt in ("sarif", "md", "junit"):
        out = tmp_path / f"report.{fmt}"
        written = subprocess.run(
            [*run, "--format", fmt, "--output", str(out)], capture_output=True, env=env, timeout=120
        )
        assert written.returncode == 1 and b"Traceback" not in written.stderr, fmt
        text = out.read_text(encoding="utf-8")
        escaped = json.dumps(shown)[1:-1] if fmt == "sarif" else shown  # JSON doubles "\\"
        assert escaped in text, fmt
    printed = subprocess.run(run, capture_output=True, env=env, timeout=120)
    assert printed.returncode == 1 and b"Traceback" not in printed.stderr


def test_allow_comment_and_staged_hook(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    key = SAMPLES["slack-token"](R).text
    (tmp_path / "a.py").write_text(f"SLACK = '{key}'  # {ALLOW_MARK}\n")
    git(tmp_path, "add", ".")
    assert scan("--staged", cwd=tmp_path).returncode == 0
    (tmp_path / "b.py").write_text(f"SLACK = '{key}'\n")
    assert scan("--staged", cwd=tmp_path).returncode == 0  # not staged yet
    git(tmp_path, "add", "b.py")
    blocked = scan("--staged", "--format", "json", cwd=tmp_path)
    assert blocked.returncode == 1
    assert key not in blocked.stdout + blocked.stderr
    hook = (Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml").read_text()
    assert "secrets scan --staged" in hook


def test_audit_runs_the_secrets_stage(leaky: tuple[Path, str]) -> None:
    root, stripe = leaky
    config = AuditConfig(repo=RepoConfig(path=str(root)))
    report = asyncio.run(run_audit(config, [Stage.SECRETS]))
    problems = {(f.id, f.target): f for f in report.findings if f.is_problem}
    assert problems[("secrets.leaked-in-tree", "settings.py:2")].must_fix
    history = problems[("secrets.leaked-in-history", "old.py:1")]
    assert history.commit and history.fingerprint
    assert stripe not in repr(report)
    skipped = asyncio.run(run_audit(AuditConfig(), [Stage.SECRETS]))
    assert {f.status for f in skipped.findings} == {Status.SKIPPED}


# --- the corpus: every format, both engines, no secret in any output -------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return build(tmp_path_factory.mktemp("corpus") / "repo", commits=30, files=30, per_rule=1)


def _leaks(text: str, values: list[str]) -> list[str]:
    """Planted values (or any 12-character run of one) that appear in ``text``."""
    found = []
    for value in values:
        runs = {value[i : i + 12] for i in range(0, max(1, len(value) - 11))}
        if value in text or any(run in text for run in runs):
            found.append(value[:4])
    return found


def test_no_secret_in_any_output_format(corpus: Corpus, tmp_path: Path) -> None:
    for fmt in FORMATS:
        out = tmp_path / f"report.{fmt}"
        result = scan(str(corpus.root), "--format", fmt, "--output", str(out))
        assert result.returncode == 1, result.stderr
        text = out.read_text() + result.stdout + result.stderr
        assert _leaks(text, corpus.values) == [], fmt
    printed = scan(str(corpus.root))  # the terminal report on stdout
    assert _leaks(printed.stdout + printed.stderr, corpus.values) == []
    base = tmp_path / "baseline.json"
    assert scan(str(corpus.root), "--baseline", str(base), "--update-baseline").returncode == 0
    assert _leaks(base.read_text(), corpus.values) == []


def test_corpus_found_exactly_on_both_engines(corpus: Corpus) -> None:
    results = {}
    for backend in ("hyperscan", "python"):
        matcher = Matcher(backend=backend)
        tree = scan_tree(str(corpus.root), matcher)
        history = scan_history(str(corpus.root), matcher)
        lines = {(p, h.line) for p, h in tree.hits} - corpus.tree_ignore
        assert lines == corpus.tree_secrets, backend
        digests = {h.fingerprint.split(":")[1] for h in history.hits}
        assert digests - corpus.history_ignore == corpus.history_digests, backend
        results[backend] = (sorted(lines), sorted(digests))
    assert results["hyperscan"] == results["python"]
