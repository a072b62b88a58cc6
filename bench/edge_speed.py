"""How long the edge stage takes: five hostnames of the sandbox, and one silent host.

Issue 3's bar: the edge stage for four hostnames completes in under 5 s on loopback, and a
host that never answers costs no more than its timeout. Both are measured here (not in the
tests, which check behaviour only), each printed next to its bar as a ratio.

    .venv/bin/python bench/edge_speed.py [--runs 3] [--timeout 3]

Loopback only: the demo sandbox (fixed variant: app., api., admin., www. and the apex behind
its own DNS server and test CA) and the edge lab's blackhole listener, which accepts TCP
connections and never sends a byte.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time

from launchready.config import load_config
from launchready.config.model import AuditConfig, NetworkConfig, WebConfig
from launchready.core.findings import Stage, Status
from launchready.engine import run_audit
from launchready.gatherers.edge.names import domain_names
from launchready.sandbox.edge_servers import EdgeLab
from launchready.sandbox.environment import Sandbox

BAR_S = 5.0


def time_audit(config: AuditConfig, timeout_s: float | None = None) -> tuple[float, int, int]:
    started = time.perf_counter()
    report = asyncio.run(run_audit(config, [Stage.EDGE], timeout_s=timeout_s))
    elapsed = time.perf_counter() - started
    errors = sum(f.status == Status.ERROR for f in report.findings)
    return elapsed, len(report.findings), errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args()

    with Sandbox(fixed=True, activity_rows=1_000) as sandbox:
        config = load_config(sandbox.config_path)
        names = domain_names(config.web)
        runs = [time_audit(config) for _ in range(args.runs)]
    median = statistics.median(r[0] for r in runs)
    print(f"edge stage, {len(names)} hostnames ({', '.join(names)}), {args.runs} runs")
    print(f"  wall time median {median:.2f} s (runs: {', '.join(f'{r[0]:.2f}' for r in runs)})")
    print(f"  findings {runs[0][1]}, could-not-check {runs[0][2]}")
    print(f"  bar {BAR_S:.0f} s -> ratio {median / BAR_S:.2f} (below 1 meets it)")

    with tempfile.TemporaryDirectory() as folder, EdgeLab(folder) as lab:
        port = lab.ports["blackhole"]
        silent = AuditConfig(
            web=WebConfig(urls=[f"https://silent.lab.test:{port}/"]),
            network=NetworkConfig(
                resolve=[f"silent.lab.test:{port}:127.0.0.1"],
                ca_bundle=lab.ca_bundle,
                timeout_s=args.timeout,
            ),
        )
        elapsed, findings, errors = time_audit(silent)
    print(f"silent host, timeout {args.timeout:g} s")
    print(f"  wall time {elapsed:.2f} s, findings {findings}, could-not-check {errors}")
    print(f"  ratio to its timeout {elapsed / args.timeout:.2f} (at most ~1 meets it)")


if __name__ == "__main__":
    main()
