"""``launchready demo``: start the sandbox, audit it with every check, stop it again."""

from __future__ import annotations

import argparse
import os

from launchready.cli.audit import audit_and_emit
from launchready.cli.output import stderr_console, write_text
from launchready.config import load_config
from launchready.config.overrides import AuditFlags, apply_flags
from launchready.renderers import renderer


def run(args: argparse.Namespace) -> int:
    from launchready.sandbox.environment import Sandbox

    console = stderr_console()
    variant = "fixed" if args.fixed else "with planted launch blockers"
    sandbox = Sandbox(fixed=args.fixed)
    # One try around start too: a Ctrl-C between start() returning and the audit must still
    # stop everything (stop() is idempotent).
    try:
        with console.status(f"Starting the sandbox ({variant}): DNS, HTTPS, SMTP, demo app…"):
            sandbox.start()
        config = apply_flags(
            load_config(sandbox.config_path),
            AuditFlags(format=args.format, output=args.output),
        )
        report = audit_and_emit(config)
        html = os.path.abspath(args.html)
        write_text(html, renderer("html")(report))
        console.print(f"HTML report: {html}", markup=False)
    finally:
        sandbox.stop()
    # The demo's purpose is to show findings; finding them is success, not failure.
    return 0
