"""The unprivileged user the sandbox runs its servers as when launchready runs as root.

initdb refuses root and Dovecot will not open a mailbox as uid 0 — and CI runs as root —
so as root these servers run as a system user (PostgreSQL's own when it exists).
"""

from __future__ import annotations

import os
import pwd
import subprocess

SERVICE_USER = "launchready-pg"


def ensure_service_user() -> str:
    for name in ("postgres", SERVICE_USER):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
        check=True,
        capture_output=True,
    )
    return SERVICE_USER


def server_user() -> tuple[str, list[str]]:
    """(the user a sandbox server runs as, the command prefix that runs it as that user)."""
    if os.getuid() == 0:
        user = ensure_service_user()
        return user, ["runuser", "-u", user, "--"]
    return pwd.getpwuid(os.getuid()).pw_name, []
