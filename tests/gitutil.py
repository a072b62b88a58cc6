"""Git for the tests: a fixed identity and no user or system config."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str) -> str:
    """Run git in ``root``; its output. Fails the test when git fails."""
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t.test", "-C", str(root), *args],
        check=True,
        capture_output=True,
        text=True,
        env=GIT_ENV,
    ).stdout
