"""``launchready init``: a commented launchready.toml with what the repository tells us."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from launchready.cli.output import write_text
from launchready.config.errors import ConfigError
from launchready.config.init_template import detect, render_template


def run(args: argparse.Namespace) -> int:
    target = Path(args.output)
    if target.exists() and not args.force:
        raise ConfigError(f"{target} already exists (use --force to overwrite)")
    if not os.path.isdir(args.repo):
        raise ConfigError(f"--repo {args.repo!r}: not a directory")
    detected = detect(Path(args.repo))
    write_text(str(target), render_template(detected, repo=args.repo))
    print(
        f"wrote {target}" + (f" (detected: {', '.join(detected.notes)})" if detected.notes else "")
    )
    return 0
