"""Entry point: parse, dispatch, and turn every expected failure into one line + exit 2."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from launchready import __version__
from launchready.config.errors import ConfigError

Handler = Callable[[argparse.Namespace], int]
EXIT_USAGE = 2  # a usage or configuration error, whichever command it came from


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"launchready: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    # Imported here, not at module level: `launchready secrets …` (a pre-commit hook) skips them.
    # These modules load their HTTP, DNS and SQL stacks only when a command runs, so building
    # the parser (`--version`, `--help`, a usage error) stays fast.
    from launchready.cli import audit, catalog, email, init, loadtest, secrets

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
    loadtest.add_flags(p)
    p.set_defaults(handler=loadtest.run)

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


def _demo(args: argparse.Namespace) -> int:
    # Imported on use: the sandbox pulls in the demo app's web stack.
    from launchready.cli import demo

    return demo.run(args)


_interrupted = threading.Event()


def _interrupt(signum: int, frame: object) -> None:
    """Ctrl-C. Inside the event loop, cancel every task from the loop itself: an exception
    raised from here could land in a callback or finaliser that swallows it ("Exception
    ignored in …") and the run would go on. Outside it, or at a second Ctrl-C, raise."""
    import asyncio

    first = not _interrupted.is_set()
    _interrupted.set()
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is None or not first:
        raise KeyboardInterrupt
    # call_soon_threadsafe also wakes the loop's selector, which the signal alone does not.
    loop.call_soon_threadsafe(_cancel_all, loop)


def _unraisable(hook: Any) -> None:
    """A Ctrl-C raised while a weakref callback or finaliser ran is swallowed there
    ("Exception ignored in …") and the run would go on: deliver it again, now, outside."""
    if hook.exc_type is KeyboardInterrupt and _interrupted.is_set():
        # From another thread, a moment later: sent from here, the signal's handler would
        # run inside this hook and be swallowed again.
        again = threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGINT))
        again.daemon = True
        again.start()
        return
    sys.__unraisablehook__(hook)


def _cancel_all(loop: Any) -> None:
    import asyncio

    # Every task, not only the main one: on Python 3.11 asyncio.wait_for can swallow the
    # cancellation of the task waiting on it when the awaited probe finishes that moment.
    for task in asyncio.all_tasks(loop):
        task.cancel()


def main(argv: Sequence[str] | None = None) -> int:
    # Our own Ctrl-C handler (see _interrupt): asyncio.run's would cancel only the main task.
    # (A handler other than the default one makes asyncio.run leave ours in place.)
    _interrupted.clear()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _interrupt)
        sys.unraisablehook = _unraisable
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
        return EXIT_USAGE
    try:
        code = handler(args)
    except ConfigError as exc:
        print(f"launchready: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return _report_interrupted()
    except BaseException as exc:
        import asyncio

        # The cancellation of a Ctrl-C inside the event loop comes out of asyncio.run.
        if _interrupted.is_set() and isinstance(exc, asyncio.CancelledError):
            return _report_interrupted()
        raise
    # An interrupt the work absorbed (a task that finished anyway) still means "stopped":
    # whatever it returned must not pass for a complete run.
    return _report_interrupted() if _interrupted.is_set() else code


def _report_interrupted() -> int:
    print("launchready: interrupted", file=sys.stderr)
    return 130


if __name__ == "__main__":
    sys.exit(main())
