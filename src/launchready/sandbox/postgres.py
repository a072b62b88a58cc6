"""A throwaway PostgreSQL cluster from the installed server binaries, on loopback.

initdb refuses to run as root (and CI runs as root), so as root the cluster is created and
run as an unprivileged system user; its data directory is deleted on stop.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from launchready.sandbox.ports import free_tcp_port
from launchready.sandbox.service_user import server_user


class PostgresUnavailable(RuntimeError):
    """No server binaries here, or the cluster could not start; the message says why."""


def find_bindir() -> str | None:
    initdb = shutil.which("initdb")
    if initdb:
        return str(Path(os.path.realpath(initdb)).parent)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return str(Path(found[0]).parent) if found else None


class PostgresCluster:
    def __init__(self) -> None:
        bindir = find_bindir()
        if bindir is None:
            raise PostgresUnavailable("PostgreSQL server binaries (initdb) are not installed")
        self.bindir = bindir
        self.port = free_tcp_port()
        self.dir = Path(tempfile.mkdtemp(prefix="launchready-pg-"))
        self.data = self.dir / "data"
        self.user, self._as = server_user()
        if self._as:
            os.chmod(self.dir, 0o755)
            shutil.chown(self.dir, user=self.user)

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def _run(self, *cmd: str) -> None:
        result = subprocess.run([*self._as, *cmd], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise PostgresUnavailable(f"{Path(cmd[0]).name} failed: {' / '.join(tail)}")

    def start(self) -> PostgresCluster:
        try:
            self._run(
                f"{self.bindir}/initdb",
                "-D",
                str(self.data),
                "-U",
                self.user,
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            )
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} "
                "-c fsync=off -c shared_preload_libraries=''"
            )
            self._run(
                f"{self.bindir}/pg_ctl",
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.dir / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            )
        except BaseException:
            self.stop()
            raise
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.1)
        self.stop()
        raise PostgresUnavailable("the cluster did not accept connections within 30 s")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [
                    *self._as,
                    f"{self.bindir}/pg_ctl",
                    "-D",
                    str(self.data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
