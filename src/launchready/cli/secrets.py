"""``launchready secrets scan``: the secrets stage on its own, for CI and pre-commit hooks.

Exit codes: 0 no new secret, 1 new secrets found, 2 usage error or a scan that could not
finish (a hook must not pass a commit it could not check).

It runs in pre-commit hooks, so it keeps its imports to the secrets stage: checks are
evaluated and the report assembled by ``engine.evaluate`` and ``engine.build_report``, and
the engine module loads the other stages' gatherers (HTTP, DNS, SQL…) only inside
``run_audit``; ``launchready secrets scan`` starts in a fraction of the time an audit does.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from launchready.checks import secrets as secrets_checks
from launchready.checks.base import Check
from launchready.checks.registry import Registry
from launchready.cli.output import emit, stderr_console
from launchready.config.errors import ConfigError
from launchready.core.findings import Stage, Status
from launchready.core.outcome import Outcome, OutcomeStatus
from launchready.engine import build_report, evaluate
from launchready.gatherers.secrets import baseline as baseline_file
from launchready.gatherers.secrets.scan import ScanOptions, SecretsFact, collect
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
        help="known findings: only findings not listed in FILE count; FILE must exist "
        f"unless --update-baseline (default: PATH/{baseline_file.DEFAULT_NAME} when it exists)",
    )
    s.add_argument(
        "--update-baseline",
        action="store_true",
        help="create or rewrite --baseline FILE with the current findings",
    )
    s.add_argument("--format", choices=FORMATS, default="terminal", help="report format")
    s.add_argument("--output", metavar="FILE", help="write the report to FILE")
    s.set_defaults(handler=run_scan)


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return EXIT_USAGE


def _registry() -> Registry:
    return Registry(v for v in vars(secrets_checks).values() if isinstance(v, Check))


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
    # Only on request: a CI job given a path that is not there (a typo, a file not
    # checked out) would otherwise accept every finding and could never fail.
    writing = bool(args.baseline) and args.update_baseline
    if args.baseline and not writing and not os.path.exists(args.baseline):
        raise ConfigError(
            f"baseline {args.baseline} does not exist (create it with --update-baseline)"
        )
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
        f for c in _registry() for f in evaluate(c, [o for o in outcomes if o.fact == c.reads])
    ]
    duration = time.perf_counter() - clock
    report = build_report(
        root, (Stage.SECRETS,), findings, started, duration, _stats(outcomes, duration)
    )
    emit(report, args.format, args.output)
    errors = [f for f in report.findings if f.status is Status.ERROR]
    if errors:
        print(f"launchready: error: {errors[0].evidence}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_FOUND if any(f.is_problem for f in report.findings) else EXIT_OK


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
