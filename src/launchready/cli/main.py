"""Entry point: parse, dispatch, and turn every expected failure into one line + exit 2."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence

from launchready import __version__
from launchready.config.errors import ConfigError

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"launchready: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    # Imported here, not at module level: `launchready secrets …` (a pre-commit hook) skips them.
    from launchready.cli import audit, catalog, email, init, secrets

    parser = _Parser(prog="launchready", description="Is this web app safe enough to sell?")
    parser.add_argument("--version", action="version", version=f"launchready {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("audit", help="audit a web app and its repository")
    audit.add_audit_flags(p)
    p.set_defaults(handler=audit.run)

    p = sub.add_parser("demo", help="start the bundled sandbox and audit it")
    p.add_argument("--fixed", action="store_true", help="audit the variant with every flaw fixed")
    p.add_argument(
        "--html",
        metavar="FILE",
        default="launchready-demo-report.html",
        help="where to write the HTML report (default: %(default)s)",
    )
    audit.add_output_flags(p)
    p.set_defaults(handler=_demo)

    p = sub.add_parser("email", help="email tools: a real DKIM-signed test send")
    email.add_parser(p)

    p = sub.add_parser("secrets", help="secret scanning: working tree, history, staged changes")
    secrets.add_parser(p)

    p = sub.add_parser("loadtest", help="load the configured endpoints (or one --url)")
    _add_loadtest_flags(p)
    p.set_defaults(handler=_loadtest)

    p = sub.add_parser("checks", help="list every check")
    p.set_defaults(handler=catalog.list_checks)

    p = sub.add_parser("explain", help="explain one check")
    p.add_argument("id", help="check id, e.g. edge.hsts")
    p.set_defaults(handler=catalog.explain)

    p = sub.add_parser("init", help="write a commented launchready.toml")
    p.add_argument("--repo", default=".", metavar="PATH", help="repository to inspect")
    p.add_argument("--output", default="launchready.toml", metavar="FILE")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(handler=init.run)
    return parser


def _add_loadtest_flags(p: argparse.ArgumentParser) -> None:
    from launchready.cli import loadtest

    loadtest.add_flags(p)


def _loadtest(args: argparse.Namespace) -> int:
    from launchready.cli import loadtest

    return loadtest.run(args)


def _demo(args: argparse.Namespace) -> int:
    # Imported on use: the sandbox pulls in the demo app's web stack.
    from launchready.cli import demo

    return demo.run(args)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    # Ctrl-C raises KeyboardInterrupt wherever the main thread is, even inside the event
    # loop. asyncio.run's own handler only cancels the main task instead, and on Python
    # 3.11 asyncio.wait_for can swallow that cancellation when a probe finishes at the same
    # moment, so the audit would run on. (A handler other than the default one makes
    # asyncio.run leave ours in place.)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _interrupt)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["secrets"]:
        # Fast path: the secrets scan needs none of the audit stack's imports (~2 s).
        from launchready.cli import secrets

        return secrets.main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"launchready: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("launchready: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
