"""Top request rate per core of launchready's load engine, next to wrk, hey and Locust.

One loopback server (launchready.sandbox.latency_server, answering at once) serves every
generator in turn. Each generator runs as a child process for the same time with the same
number of connections; requests are counted by the server, CPU time is the child's own
(user + system, from wait4), so "requests per CPU-second" compares what one core of each
generator can do. The server is pinned to CPU 0 and generators to CPU 1 when there are two.

    .venv/bin/python bench/loadgen_rate.py [--seconds 10] [--connections 50]

Installs what is missing: wrk (apt), hey (apt, when Debian has it; else skipped with the
reason), Locust (pip, into a throwaway venv under /tmp). Loopback only; every run is
bounded by --seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PYTHON = sys.executable
LOCUST_VENV = Path(tempfile.gettempdir()) / "launchready-bench-locust"


@dataclass
class Run:
    tool: str
    requests: int
    wall_s: float
    cpu_s: float
    note: str = ""

    @property
    def per_cpu_s(self) -> float:
        return self.requests / self.cpu_s if self.cpu_s else 0.0


def pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {cpu})


def served(url: str) -> int:
    with urllib.request.urlopen(f"{url}/__count", timeout=5) as resp:
        return int(resp.read())


def measure(
    tool: str, cmd: list[str], url: str, seconds: float, env: dict[str, str] | None = None
) -> Run:
    before = served(url)
    started = time.monotonic()
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=errors, preexec_fn=lambda: pin(1), env=env
        )
        # wait4 reaps the child and returns its own CPU usage; a timer bounds the wait.
        guard = threading.Timer(seconds * 3 + 30, proc.kill)
        guard.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            guard.cancel()
        code = os.waitstatus_to_exitcode(status)  # wait4 gives a raw status: exit 1 is 256
        proc.returncode = code
        wall = time.monotonic() - started
        errors.seek(0)
        err = errors.read().decode(errors="replace")
    note = "" if code == 0 else f"exit {code}: {err.strip()[-200:]}"
    return Run(tool, served(url) - before, wall, usage.ru_utime + usage.ru_stime, note)


def ensure_apt(package: str, binary: str) -> str | None:
    found = shutil.which(binary)
    if found:
        return found
    if not shutil.which("apt-get"):
        return None
    policy = subprocess.run(["apt-cache", "policy", package], capture_output=True, text=True)
    if "Candidate: (none)" in policy.stdout or not policy.stdout.strip():
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
        policy = subprocess.run(["apt-cache", "policy", package], capture_output=True, text=True)
        if "Candidate: (none)" in policy.stdout or not policy.stdout.strip():
            return None
    subprocess.run(["apt-get", "install", "-y", "-qq", package], capture_output=True)
    return shutil.which(binary)


def ensure_locust() -> str | None:
    locust = LOCUST_VENV / "bin" / "locust"
    if not locust.exists():
        subprocess.run([PYTHON, "-m", "venv", str(LOCUST_VENV)], check=True)
        subprocess.run(
            [str(LOCUST_VENV / "bin" / "pip"), "install", "-q", "locust"], capture_output=True
        )
    return str(locust) if locust.exists() else None


AIOHTTP_CLOSED = textwrap.dedent(
    """
    import asyncio, sys, time, aiohttp
    url, users, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    async def user(session, end):
        while time.monotonic() < end:
            async with session.get(url) as r:
                await r.read()
    async def main():
        conn = aiohttp.TCPConnector(limit=users)
        async with aiohttp.ClientSession(connector=conn) as s:
            end = time.monotonic() + seconds
            await asyncio.gather(*(user(s, end) for _ in range(users)))
    asyncio.run(main())
    """
)

LOCUSTFILE = textwrap.dedent(
    """
    from locust import FastHttpUser, constant, task
    class Bench(FastHttpUser):
        wait_time = constant(0)
        @task
        def get(self):
            self.client.get("/")
    """
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    secs, conns = args.seconds, args.connections
    server = subprocess.Popen(
        [PYTHON, "-m", "launchready.sandbox.latency_server"],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: pin(0),
    )
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{int(server.stdout.readline())}"
        runs: list[Run] = []
        skipped: list[str] = []
        runs.append(
            measure(
                "launchready (wire client)",
                [
                    PYTHON,
                    "-m",
                    "launchready",
                    "loadtest",
                    "--url",
                    url + "/",
                    "--users",
                    str(conns),
                    "--duration",
                    str(secs),
                    "--format",
                    "json",
                ],
                url,
                secs,
            )
        )
        runs.append(
            measure(
                "aiohttp (closed loop)",
                [PYTHON, "-c", AIOHTTP_CLOSED, url + "/", str(conns), str(secs)],
                url,
                secs,
            )
        )
        wrk = ensure_apt("wrk", "wrk")
        if wrk:
            runs.append(
                measure(
                    "wrk (1 thread)",
                    [wrk, "-t1", f"-c{conns}", f"-d{int(secs)}s", url + "/"],
                    url,
                    secs,
                )
            )
        else:
            skipped.append("wrk: not installable here")
        hey = ensure_apt("hey", "hey")
        if hey:
            runs.append(
                measure("hey", [hey, "-z", f"{int(secs)}s", "-c", str(conns), url + "/"], url, secs)
            )
        else:
            skipped.append("hey: no Debian package 'hey' in this machine's apt sources")
        locust = ensure_locust()
        if locust:
            lf = Path(tempfile.mkdtemp()) / "locustfile.py"
            lf.write_text(LOCUSTFILE)
            runs.append(
                measure(
                    "Locust FastHttpUser",
                    [
                        locust,
                        "-f",
                        str(lf),
                        "--headless",
                        "-u",
                        str(conns),
                        "-r",
                        str(conns),
                        "-t",
                        f"{int(secs)}s",
                        "--host",
                        url,
                        "--only-summary",
                        "--loglevel",
                        "ERROR",
                    ],
                    url,
                    secs,
                )
            )
        else:
            skipped.append("Locust: pip install failed")
    finally:
        server.terminate()
        server.wait(10)

    locust_rate = next((r.per_cpu_s for r in runs if r.tool.startswith("Locust")), 0.0)
    print(
        f"\n{conns} connections, {secs:g} s each, one loopback server (CPU 0), generators on CPU 1"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    columns = ("requests", 9), ("wall s", 7), ("CPU s", 7), ("req/s", 8), ("req/CPU-s", 10)
    print(f"{'generator':28} " + " ".join(f"{c:>{w}}" for c, w in columns) + f" {'vs Locust':>9}")
    for r in runs:
        ratio = f"{r.per_cpu_s / locust_rate:.2f}×" if locust_rate else "-"
        print(
            f"{r.tool:28} {r.requests:9d} {r.wall_s:7.1f} {r.cpu_s:7.2f} "
            f"{r.requests / r.wall_s:8.0f} {r.per_cpu_s:10.0f} {ratio:>9}"
            + (f"  ({r.note})" if r.note else "")
        )
    for reason in skipped:
        print(f"skipped: {reason}")
    print("CPU time includes each generator's start-up (imports), wall time its whole run.")


if __name__ == "__main__":
    main()
