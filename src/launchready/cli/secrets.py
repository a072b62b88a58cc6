"""``launchready secrets scan``: the secrets stage on its own, for CI and pre-commit hooks.

Exit codes: 0 no new secret, 1 new secrets found, 2 usage error or a scan that could not
finish (a hook must not pass a commit it could not check).

It runs in pre-commit hooks, so it keeps its imports to the secrets stage: the engine module
loads every gatherer (HTTP, DNS, SQL…), hence the small ``_evaluate`` below rather than
``engine.evaluate``; ``python -m launchready.cli.secrets scan`` starts in a fraction of the
time the full ``launchready`` command takes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from launchready import __version__
from launchready.checks import secrets as secrets_checks
from launchready.checks.base import Check
from launchready.checks.registry import Registry
from launchready.cli.output import emit, stderr_console
from launchready.config.errors import ConfigError
from launchready.core.findings import Finding, Report, Stage, Status
from launchready.core.outcome import Outcome, OutcomeStatus
from launchready.gatherers.secrets import baseline as baseline_file
from launchready.gatherers.secrets.scan import ScanOptions, SecretsFact, collect
from launchready.ranking import launch_order, rank_findings, score
from launchready.renderers import FORMATS

EXIT_OK, EXIT_FOUND, EXIT_USAGE = 0, 1, 2


def add_parser(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="secrets_command", metavar="COMMAND", parser_class=type(p))
    p.set_defaults(handler=lambda _args: _usage(p))
    s = sub.add_parser("scan", help="look for secrets in the working tree and git history")
    s.add_argument("path", nargs="?", default=".", help="repository or folder (default: .)")
    s.add_argument("--no-history", action="store_true", help="scan the working tree only")
    s.add_argument(
        "--staged", action="store_true", help="scan only staged changes (for a pre-commit hook)"
    )
    s.add_argument(
        "--baseline",
        metavar="FILE",
        help="known findings: written when FILE is absent, else only new findings count "
        f"(default: PATH/{baseline_file.DEFAULT_NAME} when it exists)",
    )
    s.add_argument(
        "--update-baseline",
        action="store_true",
        help="rewrite --baseline FILE with the current findings",
    )
    s.add_argument("--format", choices=FORMATS, default="terminal", help="report format")
    s.add_argument("--output", metavar="FILE", help="write the report to FILE")
    s.set_defaults(handler=run_scan)


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return EXIT_USAGE


def _registry() -> Registry:
    return Registry(v for v in vars(secrets_checks).values() if isinstance(v, Check))


def _evaluate(c: Check, outcomes: list[Outcome[SecretsFact]]) -> list[Finding]:
    """``engine.evaluate`` for this stage's facts, which are always gathered here."""

    def finding(target: str, status: Status, evidence: str, v: Any = None) -> Finding:
        return Finding(
            id=c.id,
            stage=c.stage,
            status=status,
            severity=(v.severity if v is not None else None) or c.severity,
            harm=c.harm,
            title=c.title,
            target=target,
            evidence=evidence,
            impact=c.impact,
            remediation=c.remediation,
            references=c.references,
            commit=v.commit if v is not None else None,
            fingerprint=v.fingerprint if v is not None else None,
        )

    out: list[Finding] = []
    for o in outcomes:
        if o.status is OutcomeStatus.ERROR:
            out.append(finding(o.target, Status.ERROR, f"could not check: {o.reason}"))
        elif o.status is OutcomeStatus.SKIPPED:
            out.append(finding(o.target, Status.SKIPPED, o.reason))
        else:
            out.extend(
                finding(v.target or o.target, v.status, v.evidence, v) for v in c.evaluate(o.value)
            )
    return out


def _accept_all(
    outcomes: list[Outcome[SecretsFact]], path: str
) -> tuple[list[Outcome[SecretsFact]], int]:
    """Write every current finding to the baseline and treat them as known."""
    facts = [o.value for o in outcomes if o.status is OutcomeStatus.OK and o.value is not None]
    count = baseline_file.write(path, [h for f in facts for h in f.hits])
    known = frozenset(h.fingerprint for f in facts for h in f.hits)
    return [
        replace(o, value=replace(o.value, baseline=known, baseline_path=path))
        if o.value is not None
        else o
        for o in outcomes
    ], count


def _stats(outcomes: list[Outcome[SecretsFact]], duration: float) -> dict[str, Any]:
    stats: dict[str, Any] = {"duration_s": round(duration, 3)}
    for o in outcomes:
        if o.value is not None:
            key = "history" if o.fact.endswith("history") else "tree"
            stats[key] = {
                "source": o.value.source,
                "files": o.value.files,
                "bytes": o.value.bytes,
                "commits": o.value.commits,
                "hits": len(o.value.hits),
                "engine": o.value.backend,
            }
    return {"secrets_scan": stats}


def run_scan(args: argparse.Namespace) -> int:
    root = os.path.abspath(args.path)
    if not os.path.isdir(root):
        raise ConfigError(f"{args.path} is not a directory")
    if args.update_baseline and not args.baseline:
        raise ConfigError("--update-baseline needs --baseline FILE")
    writing = bool(args.baseline) and (args.update_baseline or not os.path.exists(args.baseline))
    try:
        if args.baseline and not writing:
            baseline_file.load(args.baseline)  # fail early, as a usage error
    except baseline_file.BaselineError as exc:
        raise ConfigError(str(exc)) from None
    options = ScanOptions(
        history=not (args.no_history or args.staged),
        staged=args.staged,
        baseline=None if writing else args.baseline,
    )
    started = datetime.now(UTC)
    clock = time.perf_counter()
    outcomes = collect(root, options)
    if writing:
        try:
            outcomes, count = _accept_all(outcomes, args.baseline)
        except baseline_file.BaselineError as exc:
            raise ConfigError(str(exc)) from None
        stderr_console().print(
            f"baseline {args.baseline} written with {count} finding(s); "
            "later scans fail only on new secrets"
        )
    findings = [
        f for c in _registry() for f in _evaluate(c, [o for o in outcomes if o.fact == c.reads])
    ]
    ranked = rank_findings(findings)
    duration = time.perf_counter() - clock
    report = Report(
        tool_name="launchready",
        tool_version=__version__,
        target=root,
        started_at=started.isoformat(timespec="seconds"),
        duration_s=round(duration, 3),
        score=score(ranked),
        findings=ranked,
        launch_order=launch_order(ranked),
        stages_run=(Stage.SECRETS,),
        extras=_stats(outcomes, duration),
    )
    emit(report, args.format, args.output)
    errors = [f for f in ranked if f.status is Status.ERROR]
    if errors:
        print(f"launchready: error: {errors[0].evidence}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_FOUND if any(f.is_problem for f in ranked) else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """``python -m launchready.cli.secrets scan …``: the same command, without the audit stack."""
    parser = argparse.ArgumentParser(prog="launchready secrets")
    add_parser(parser)
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except ConfigError as exc:
        print(f"launchready: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("launchready: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
