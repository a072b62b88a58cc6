"""``launchready audit``: configuration in, report out, exit code by must-fix."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from launchready.cli.output import emit, stderr_console, write_text
from launchready.cli.progress import RichProgress
from launchready.config import load_config
from launchready.config.model import AuditConfig
from launchready.config.overrides import AuditFlags, apply_flags, parse_stages
from launchready.core.findings import Report, Stage
from launchready.engine import run_audit
from launchready.renderers import FORMATS

EXIT_OK, EXIT_MUST_FIX = 0, 1  # usage errors: main.EXIT_USAGE


def add_output_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMATS, help="report format (default: terminal)")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE")


def add_audit_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config", metavar="FILE", help="launchready.toml (default: ./launchready.toml)"
    )
    p.add_argument("--url", action="append", default=[], help="a URL to audit (repeatable)")
    p.add_argument("--domain", action="append", default=[], help="apex domain (repeatable)")
    p.add_argument("--repo", metavar="PATH", help="repository to audit")
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="STAGE,..",
        help=f"stages to run: {', '.join(s.value for s in Stage)}",
    )
    add_output_flags(p)
    p.add_argument(
        "--nameserver",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="DNS server to ask (repeatable)",
    )
    p.add_argument("--ca-bundle", metavar="FILE", help="CA certificates to trust")
    p.add_argument(
        "--resolve",
        action="append",
        default=[],
        metavar="HOST:PORT:ADDR",
        help="pin a host to an address, like curl (repeatable)",
    )
    p.add_argument(
        "--connect-to",
        action="append",
        default=[],
        metavar="HOST:PORT:HOST2:PORT2",
        help="send connections for HOST:PORT to HOST2:PORT2, like curl (repeatable)",
    )
    p.add_argument(
        "--dkim-selector",
        action="append",
        default=[],
        metavar="SEL",
        help="DKIM selector to check (repeatable)",
    )
    p.add_argument("--database-url", metavar="URL", help="database for query plans")
    p.add_argument(
        "--header",
        action="append",
        default=[],
        metavar='"NAME: VALUE"',
        help="send this header with every edge request, e.g. for pages behind login (repeatable)",
    )
    p.add_argument(
        "--cookie",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="send this cookie with every edge request (repeatable)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        metavar="S",
        help="per-target time limit in seconds (default: [network] timeout_s, 30)",
    )


def flags_from(args: argparse.Namespace) -> AuditFlags:
    return AuditFlags(
        urls=args.url,
        domains=args.domain,
        repo=args.repo,
        only=args.only,
        format=args.format,
        output=args.output,
        nameservers=args.nameserver,
        ca_bundle=args.ca_bundle,
        resolve=args.resolve,
        connect_to=args.connect_to,
        dkim_selectors=args.dkim_selector,
        database_url=args.database_url,
        headers=args.header,
        cookies=args.cookie,
        timeout_s=args.timeout,
    )


def output_path(config: AuditConfig) -> str | None:
    """Where the report goes: ``[audit] output`` is relative to the file that sets it
    (``--output`` arrives absolute already), ``None`` for the terminal."""
    output = config.audit.output
    return None if output is None else config.resolve_path(output)


def audit_and_emit(config: AuditConfig) -> Report:
    stages = parse_stages(config.audit.only)
    with RichProgress(stderr_console()) as progress:
        report = asyncio.run(run_audit(config, stages, progress=progress))
    emit(report, config.audit.format, output_path(config))
    return report


def run(args: argparse.Namespace) -> int:
    config = apply_flags(load_config(args.config), flags_from(args))
    report = audit_and_emit(config)
    write_deliverables(report, output_path(config))
    return EXIT_MUST_FIX if report.must_fix else EXIT_OK


def write_deliverables(report: Report, output: str | None) -> None:
    """Each stage's handover document (deploy-checklist.md) beside the report, else in ./."""
    from launchready.deliverables import for_report

    folder = Path(output).parent if output else Path(".")
    for d in for_report(report):
        path = folder / d.filename
        replaced = " (replacing the previous one)" if path.exists() else ""
        write_text(str(path), d.render(report))
        stderr_console().print(
            f"{d.label} written to {path}{replaced}", highlight=False, soft_wrap=True, markup=False
        )
