"""``launchready loadtest``: the load engine on its own, with k6-style pass/fail.

Exit codes: 0 every endpoint met its p95 target and error-rate limit, 1 a target was
missed, 2 usage or configuration error (including "no duration given": a load test never
starts without an end).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from launchready import __version__
from launchready.cli.output import stderr_console, stdout_console, write_text
from launchready.config import load_config
from launchready.config.errors import ConfigError
from launchready.config.model import AuditConfig, EndpointConfig
from launchready.config.overrides import AuditFlags, apply_flags

if TYPE_CHECKING:
    # The load engine's imports (aiohttp, DNS, SQL: ~1 s) load when a load test runs, not
    # whenever the CLI builds its parser.
    from launchready.gatherers.network import Network
    from launchready.gatherers.performance.client import Origin
    from launchready.gatherers.performance.engine import PhaseResult
    from launchready.gatherers.performance.histogram import Recorder

EXIT_OK, EXIT_MISSED, EXIT_USAGE = 0, 1, 2
MAX_DURATION_S = 3600
OPEN_MODEL_IDENTITIES = 4  # logged-in identities an open-model run spreads requests over


def add_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="launchready.toml ([performance])")
    p.add_argument("--url", help="load one URL (GET) instead of the configured endpoints")
    model = p.add_mutually_exclusive_group()
    model.add_argument("--rate", type=float, metavar="R", help="open model: R requests/s")
    model.add_argument("--users", type=int, metavar="N", help="closed model: N users")
    p.add_argument("--duration", type=float, metavar="S", help="seconds to run (required)")
    p.add_argument("--think-time", type=float, metavar="S", help="closed model: pause per user")
    p.add_argument("--format", choices=("terminal", "json"), default="terminal")
    p.add_argument("--output", metavar="FILE", help="write the results to FILE")
    p.add_argument("--export-locust", metavar="FILE", help="write a locustfile and exit")
    p.add_argument("--ca-bundle", metavar="FILE", help="CA certificates to trust")
    for flag, meta in (
        ("--resolve", "HOST:PORT:ADDR"),
        ("--connect-to", "HOST:PORT:HOST2:PORT2"),
        ("--nameserver", "HOST[:PORT]"),
    ):
        p.add_argument(flag, action="append", default=[], metavar=meta)


@dataclass(frozen=True)
class Plan:
    origin: Origin
    endpoints: list[EndpointConfig]
    rate: float | None
    users: int
    duration_s: float
    think_s: float


def make_plan(config: AuditConfig, args: argparse.Namespace) -> Plan:
    from launchready.gatherers.performance.client import Origin

    perf = config.performance
    if args.url:
        parts = urlsplit(args.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"--url {args.url!r} is not an http(s) URL")
        base = f"{parts.scheme}://{parts.netloc}"
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            endpoints = [EndpointConfig(name=path, path=path)]
        except ValidationError as exc:  # "//x": it would read as another host in a URL
            why = exc.errors()[0]["msg"].removeprefix("Value error, ")
            raise ConfigError(f"--url {args.url!r}: {why}") from None
    else:
        base = perf.base_url or ""
        endpoints = list(perf.endpoints)
        if not base or not endpoints:
            raise ConfigError(
                "nothing to load: give --url, or [performance] base_url and endpoints"
            )
    if args.duration is not None:
        duration = args.duration
    elif "duration_s" in perf.model_fields_set:
        duration = perf.duration_s
    else:
        raise ConfigError("refusing to start without a duration: give --duration S")
    if not 0 < duration <= MAX_DURATION_S:
        raise ConfigError(f"--duration must be more than 0 and at most {MAX_DURATION_S} s")
    rate = args.rate if args.rate is not None else (None if args.users else perf.rate)
    if rate is not None and (rate <= 0 or rate * duration > perf.max_requests):
        raise ConfigError(
            f"--rate must be positive and rate × duration at most {perf.max_requests:,} requests"
        )
    if rate is not None and rate * duration < 1:
        raise ConfigError(
            f"--rate {rate:g} × --duration {duration:g} s is less than one request: raise either"
        )
    users = args.users if args.users is not None else max(perf.users)
    if not 1 <= users <= perf.max_connections:
        raise ConfigError(f"--users must be from 1 to {perf.max_connections}")
    think = args.think_time if args.think_time is not None else perf.think_time_s
    try:
        origin = Origin.parse(base)
    except ValueError as exc:  # a port out of range, say
        raise ConfigError(f"--url {base!r}: {exc}") from None
    return Plan(origin, endpoints, rate, users, duration, max(0.0, think))


class LiveView:
    """Requests, errors and running p95 per endpoint, refreshed each second on a TTY."""

    def __init__(self, console: Console, recorders: dict[str, Recorder]) -> None:
        self.recorders = recorders
        self.live = Live(console=console, transient=True, auto_refresh=False)
        self.enabled = console.is_terminal

    def table(self) -> Table:
        table = Table("endpoint", "requests", "errors", "p50 ms", "p95 ms", "max ms")
        for name, rec in self.recorders.items():
            s = rec.summary()
            table.add_row(
                Text(name),  # a path such as /app/[slug]: text, not markup
                str(s.count),
                str(s.errors),
                f"{s.p50_ms:.1f}",
                f"{s.p95_ms:.1f}",
                f"{s.max_ms:.1f}",
            )
        return table

    def tick(self) -> None:
        if self.enabled:
            self.live.update(self.table(), refresh=True)


def run_load(plan: Plan, config: AuditConfig, network: Network) -> PhaseResult:
    from launchready.gatherers.performance.client import HttpError
    from launchready.gatherers.performance.engine import LoadEngine, run_isolated
    from launchready.gatherers.performance.phases import spec_of

    perf = config.performance

    async def main() -> PhaseResult:
        engine = LoadEngine(
            network,
            plan.origin,
            timeout_s=perf.request_timeout_s,
            max_connections=perf.max_connections,
            max_requests=perf.max_requests,
            bucket_s=max(0.1, plan.duration_s / 60),
        )
        recorders = engine.recorders([e.name for e in plan.endpoints])
        live = LiveView(stderr_console(), recorders)
        engine.on_tick = live.tick
        login = perf.login if not sys_url_mode(plan, config) else None
        specs = [spec_of(e) for e in plan.endpoints]
        try:
            count = plan.users if plan.rate is None else min(OPEN_MODEL_IDENTITIES, plan.users)
            users = await engine.users(count, login)
            if live.enabled:
                live.live.start()
            if plan.rate is None:
                return await engine.closed(
                    [(u, specs) for u in users], plan.duration_s, recorders, think_s=plan.think_s
                )
            return await engine.open(users, specs, plan.rate, plan.duration_s, recorders)
        finally:
            if live.enabled:
                live.live.stop()

    # The open model pools connections up to the cap; the closed model holds one per user.
    sockets = perf.max_connections if plan.rate is not None else plan.users
    try:
        return run_isolated(main, connections=sockets)
    except (HttpError, OSError) as exc:
        raise ConfigError(f"cannot start the load test: {exc}") from None


def sys_url_mode(plan: Plan, config: AuditConfig) -> bool:
    """--url loads an arbitrary page: the configured login belongs to the configured app."""
    from launchready.gatherers.performance.client import Origin

    base = config.performance.base_url
    return base is None or Origin.parse(base) != Origin(
        plan.origin.scheme, plan.origin.host, plan.origin.port, Origin.parse(base).prefix
    )


def results(plan: Plan, config: AuditConfig, result: PhaseResult) -> dict[str, Any]:
    from launchready.gatherers.performance.extras import summary_dict

    perf = config.performance
    endpoints = []
    for e in plan.endpoints:
        s = result.recorders[e.name].summary()
        target = perf.target_ms(e)
        missed = []
        if s.count == 0 or s.p95_ms > target:
            missed.append(f"p95 {s.p95_ms:.1f} ms > {target:.0f} ms")
        if s.error_rate > perf.max_error_rate:
            missed.append(f"errors {s.error_rate:.1%} > {perf.max_error_rate:.1%}")
        endpoints.append(
            {
                "name": e.name,
                "method": e.method.upper(),
                "path": e.path,
                "kind": e.kind,
                "target_p95_ms": target,
                "passed": not missed,
                "missed": missed,
                **summary_dict(s),
            }
        )
    lag = result.lag
    return {
        "tool": {"name": "launchready", "version": __version__},
        "target": str(plan.origin),
        "model": "open" if plan.rate is not None else "closed",
        "rate": plan.rate,
        "users": None if plan.rate is not None else plan.users,
        "duration_s": plan.duration_s,
        "passed": all(e["passed"] for e in endpoints),
        "endpoints": endpoints,
        "generator": {
            "lag_p50_ms": lag.p50_ms,
            "lag_p99_ms": lag.p99_ms,
            "lag_max_ms": lag.max_ms,
            "cut_off": result.cut_off,
        },
    }


def print_terminal(console: Console, data: dict[str, Any]) -> None:
    model = f"{data['rate']:g} requests/s" if data["model"] == "open" else f"{data['users']} users"
    target = escape(data["target"])
    console.print(f"[bold]Load test[/] {target} · {model} · {data['duration_s']:g} s")
    table = Table(
        "endpoint", "reqs", "rps", "err %", "p50", "p90", "p95", "p99", "max", "target", ""
    )
    for e in data["endpoints"]:
        table.add_row(
            Text(e["name"]),
            str(e["count"]),
            f"{e['rps']:.1f}",
            f"{e['error_rate'] * 100:.1f}",
            *(f"{e[k]:.1f}" for k in ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms")),
            f"{e['target_p95_ms']:.0f}",
            "[green]ok[/]" if e["passed"] else "[red]missed[/]",
        )
    console.print(table)
    for e in data["endpoints"]:
        codes = ", ".join(f"{code}: {n}" for code, n in e["statuses"].items())
        console.print(
            f"  {e['name']}: {codes or 'no answers'}"
            + (f" — missed: {'; '.join(e['missed'])}" if e["missed"] else ""),
            markup=False,
        )
    g = data["generator"]
    console.print(
        f"Times in ms, counted from each request's intended start. Generator lag p99 "
        f"{g['lag_p99_ms']:.1f} ms, max {g['lag_max_ms']:.1f} ms"
        + (f"; {g['cut_off']} requests cut off" if g["cut_off"] else "")
    )


def run(args: argparse.Namespace) -> int:
    from launchready.gatherers.network import Network
    from launchready.gatherers.performance.locust import locustfile

    config = apply_flags(
        load_config(args.config),
        AuditFlags(
            ca_bundle=args.ca_bundle,
            resolve=args.resolve,
            connect_to=args.connect_to,
            nameservers=args.nameserver,
        ),
    )
    plan = make_plan(config, args)
    if args.export_locust:
        per_user = plan.rate / plan.users if plan.rate is not None else None
        text = locustfile(
            str(plan.origin),
            plan.endpoints,
            None if sys_url_mode(plan, config) else config.performance.login,
            think_time_s=plan.think_s,
            rate_per_user=per_user,
        )
        write_text(args.export_locust, text)
        stderr_console().print(f"locustfile written to {args.export_locust}", markup=False)
        return EXIT_OK
    network = Network.from_config(config.network, config.base_dir)
    data = results(plan, config, run_load(plan, config, network))
    if args.format == "json":
        text = json.dumps(data, indent=2) + "\n"
        if args.output:
            write_text(args.output, text)
        else:
            sys.stdout.write(text)
    elif args.output:
        buffer = io.StringIO()
        print_terminal(Console(file=buffer, width=120), data)
        write_text(args.output, buffer.getvalue())
    else:
        print_terminal(stdout_console(), data)
    return EXIT_OK if data["passed"] else EXIT_MISSED
