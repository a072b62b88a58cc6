"""``launchready email test-send``: one real, DKIM-signed password reset, verified on arrival.

With ``--smtp HOST:PORT`` the message goes to that server and the report says whether it
was accepted. Add ``--imap HOST[:PORT]`` (the recipient's mailbox) and it is fetched back
from there — found in the inbox or in Junk — and verified: DKIM against the key in DNS,
SPF for the address the receiving side recorded, DMARC alignment, all through the same
resolver as the audit (``--nameserver``). Without ``--imap`` the verification findings are
"skipped". With ``--sandbox`` it goes to a receiving SMTP server started on loopback for
the run and is verified there. Passwords come from the environment only:
LAUNCHREADY_SMTP_PASSWORD and LAUNCHREADY_IMAP_PASSWORD.

Exit codes: 0 accepted (and, when fetched back, verified), 1 a must-fix finding, 2 a usage
error or a check that could not be performed (the message could not be fetched or verified
in time).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from launchready.checks.registry import load_registry
from launchready.cli.output import emit, stderr_console
from launchready.config import load_config
from launchready.config.errors import ConfigError
from launchready.config.netspec import HostPort, parse_nameserver
from launchready.config.overrides import AuditFlags, apply_flags
from launchready.core.findings import Report, Stage, Status
from launchready.core.outcome import Outcome
from launchready.engine import build_report, evaluate
from launchready.renderers import FORMATS

if TYPE_CHECKING:
    # The gatherers (DNS, SMTP, IMAP stacks) load when a test send runs, not whenever the
    # CLI builds its parser.
    from launchready.gatherers.email.delivery import Delivery, SendOptions
    from launchready.gatherers.email.mailbox import ImapMailbox
    from launchready.gatherers.network import Network

PASSWORD_ENV = "LAUNCHREADY_SMTP_PASSWORD"
IMAP_PASSWORD_ENV = "LAUNCHREADY_IMAP_PASSWORD"
EXIT_OK, EXIT_MUST_FIX, EXIT_NOT_CHECKED = 0, 1, 2
# The send and the verification bound themselves (``time_limit``); the outer limit only
# turns an unexpected failure into "could not check", so it must never fire first.
GRACE_S = 1.0


def add_parser(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="email_command", metavar="COMMAND", parser_class=type(p))
    p.set_defaults(handler=lambda _args: _usage(p))
    t = sub.add_parser("test-send", help="send a DKIM-signed password reset and verify it")
    t.add_argument("--from", dest="sender", required=True, metavar="ADDR", help="From address")
    t.add_argument("--to", dest="recipient", required=True, metavar="ADDR", help="recipient")
    where = t.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--smtp",
        metavar="HOST:PORT",
        help="the SMTP server to send through (with --imap the message is fetched back from "
        "the recipient's mailbox and verified; without, only acceptance is checked)",
    )
    where.add_argument(
        "--sandbox",
        action="store_true",
        help="send to an SMTP receiver started on 127.0.0.1, fetch the message back and "
        "verify DKIM, SPF and DMARC as a receiving provider would",
    )
    t.add_argument("--starttls", action="store_true", help="upgrade the connection with STARTTLS")
    t.add_argument(
        "--imap",
        metavar="HOST[:PORT]",
        help="the recipient's IMAP server: wait there for the message (inbox or Junk) and "
        "verify DKIM, SPF and DMARC on arrival (TLS on port 993 unless --imap-starttls)",
    )
    t.add_argument(
        "--imap-user",
        metavar="USER",
        help=f"IMAP login (default: the --to address); password from ${IMAP_PASSWORD_ENV}",
    )
    t.add_argument(
        "--imap-starttls",
        action="store_true",
        help="connect to --imap in plain text (port 143) and upgrade with STARTTLS before login",
    )
    t.add_argument("--user", metavar="USER", help=f"SMTP login; password from ${PASSWORD_ENV}")
    t.add_argument("--dkim-key", metavar="FILE", help="PEM private key to sign with")
    t.add_argument("--dkim-selector", metavar="S", help="selector of that key")
    t.add_argument("--config", metavar="FILE", help="launchready.toml for [network] settings")
    t.add_argument("--nameserver", action="append", default=[], metavar="HOST[:PORT]")
    t.add_argument("--resolve", action="append", default=[], metavar="HOST:PORT:ADDR")
    t.add_argument("--connect-to", action="append", default=[], metavar="HOST:PORT:HOST2:PORT2")
    t.add_argument("--ca-bundle", metavar="FILE", help="CA certificates to trust (STARTTLS)")
    t.add_argument("--format", choices=FORMATS, help="report format (default: terminal)")
    t.add_argument("--output", metavar="FILE", help="write the report to FILE")
    t.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="time limit of each step: handing the message over, then (with --imap or "
        "--sandbox) waiting for it to arrive, then verifying it (default: %(default)s)",
    )
    t.set_defaults(handler=run_test_send)


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return 2


def _options(args: argparse.Namespace, server: HostPort) -> SendOptions:
    from launchready.gatherers.email.delivery import SendOptions

    for flag, address in (("--from", args.sender), ("--to", args.recipient)):
        if "@" not in address or address.startswith("@") or address.endswith("@"):
            raise ConfigError(f"{flag} {address!r}: expected an email address")
    if bool(args.dkim_key) != bool(args.dkim_selector):
        raise ConfigError("--dkim-key and --dkim-selector go together")
    key = _signing_key(args.dkim_key) if args.dkim_key else None
    password = None
    if args.user:
        password = os.environ.get(PASSWORD_ENV)
        if password is None:
            raise ConfigError(f"--user needs the password in ${PASSWORD_ENV}")
    return SendOptions(
        args.sender,
        args.recipient,
        server,
        args.starttls,
        args.user,
        password,
        key,
        args.dkim_selector,
    )


def _signing_key(path: str) -> bytes:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        pem = Path(path).read_bytes()
        key = load_pem_private_key(pem, password=None)
    except OSError as exc:
        raise ConfigError(f"--dkim-key {path!r}: {exc.strerror or exc}") from None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"--dkim-key {path!r}: not an unencrypted PEM key ({exc})") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        # dkimpy signs ed25519 only with PyNaCl, which launchready does not ship.
        raise ConfigError(f"--dkim-key {path!r}: only RSA keys can sign here")
    return pem


def _server(text: str, flag: str, default_port: int) -> HostPort:
    try:
        host, port = parse_nameserver(text)  # the same HOST[:PORT] grammar
    except ValueError as exc:
        raise ConfigError(f"{flag} {text!r}: {exc}") from None
    return host, port if ":" in text.rsplit("]", 1)[-1] else default_port


def _mailbox(args: argparse.Namespace, network: Network) -> ImapMailbox | None:
    """The recipient's mailbox to fetch the message back from, when --imap names one."""
    from launchready.gatherers.email.mailbox import ImapAccount, ImapMailbox

    if not args.imap:
        if args.imap_user or args.imap_starttls:
            raise ConfigError("--imap-user and --imap-starttls go with --imap HOST[:PORT]")
        return None
    password = os.environ.get(IMAP_PASSWORD_ENV)
    if password is None:
        raise ConfigError(f"--imap needs the mailbox password in ${IMAP_PASSWORD_ENV}")
    if any(c in password for c in "\r\n\0"):
        # Said without the password: a line break would end the IMAP command early.
        raise ConfigError(f"${IMAP_PASSWORD_ENV} contains a line break or NUL")
    server = _server(args.imap, "--imap", 143 if args.imap_starttls else 993)
    account = ImapAccount(server, args.imap_user or args.recipient, password, args.imap_starttls)
    return ImapMailbox(network, account, args.timeout)


def run_test_send(args: argparse.Namespace) -> int:
    from launchready.gatherers.network import Network

    if args.timeout <= 0:
        raise ConfigError("--timeout must be positive")
    flags = AuditFlags(
        format=args.format,
        output=args.output,
        nameservers=args.nameserver,
        resolve=args.resolve,
        connect_to=args.connect_to,
        ca_bundle=args.ca_bundle,
    )
    config = apply_flags(load_config(args.config), flags)
    network = Network.from_config(config.network, config.base_dir)
    started = datetime.now(UTC)
    clock = time.perf_counter()
    via = _via_sandbox if args.sandbox else _via_smtp
    outcome, target = via(args, network)
    report = _report(outcome, target, started, time.perf_counter() - clock)
    emit(report, config.audit.format, config.audit.output)
    if report.must_fix:
        return EXIT_MUST_FIX
    unchecked = [f for f in report.findings if f.status is Status.ERROR]
    if unchecked:
        # Exit 0 would tell a script the message was verified when it was not.
        print(f"launchready: error: {unchecked[0].id}: {unchecked[0].evidence}", file=sys.stderr)
        return EXIT_NOT_CHECKED
    return EXIT_OK


def _via_smtp(args: argparse.Namespace, network: Network) -> tuple[Outcome[Delivery], str]:
    from launchready.gatherers.base import bounded
    from launchready.gatherers.email.delivery import DELIVERY, send_test_message, time_limit

    opts = _options(args, _server(args.smtp, "--smtp", 25))
    mailbox = _mailbox(args, network)
    target = f"{opts.sender} → {opts.recipient} via {args.smtp}"
    if mailbox is None:
        work = send_test_message(network, opts, None, args.timeout)
        with stderr_console().status(f"Sending a password reset via {args.smtp}…"):
            limit = time_limit(args.timeout) + GRACE_S
            outcome = asyncio.run(bounded(DELIVERY, target, work, limit))
        return outcome, target
    target += f", fetched from {args.imap}"
    with stderr_console().status(f"Sending a password reset via {args.smtp} to {args.imap}…"):
        outcome = asyncio.run(_through_mailbox(network, opts, mailbox, target, args.timeout))
    return outcome, target


async def _through_mailbox(
    network: Network, opts: SendOptions, mailbox: ImapMailbox, target: str, timeout: float
) -> Outcome[Delivery]:
    """Open the mailbox first — a refused login costs no real email — then send, wait
    for the message there and verify it."""
    from launchready.gatherers.base import bounded
    from launchready.gatherers.email.delivery import (
        DELIVERY,
        FetchError,
        send_test_message,
        time_limit,
    )

    where = mailbox.account.where
    try:
        try:
            await asyncio.wait_for(mailbox.open(), timeout)
        except FetchError as exc:
            raise ConfigError(f"{exc} (nothing was sent)") from None
        except TimeoutError:
            why = f"{where}: no answer within {timeout:g} s (nothing was sent)"
            raise ConfigError(why) from None
        work = send_test_message(network, opts, mailbox, timeout)
        return await bounded(DELIVERY, target, work, time_limit(timeout) + GRACE_S)
    finally:
        await mailbox.close()  # also after a failed or cancelled open: no session left behind


def _via_sandbox(args: argparse.Namespace, network: Network) -> tuple[Outcome[Delivery], str]:
    from launchready.gatherers.base import bounded
    from launchready.gatherers.email.delivery import (
        DELIVERY,
        Arrival,
        send_test_message,
        time_limit,
    )
    from launchready.sandbox.smtp_server import SmtpReceiver

    if args.imap or args.imap_user or args.imap_starttls:
        raise ConfigError("--imap goes with --smtp: --sandbox fetches from its own receiver")
    with SmtpReceiver() as receiver:
        opts = _options(args, (receiver.host, receiver.port))
        target = f"{opts.sender} → {opts.recipient} via the sandbox receiver"

        async def fetch(message_id: str) -> Arrival | None:
            arrived = await asyncio.to_thread(receiver.wait_for, 1, args.timeout)
            for r in arrived:
                if r.message["Message-ID"] == message_id:
                    return Arrival(r.peer, r.mail_from, r.data)
            return None

        with stderr_console().status("Sending a password reset to the sandbox receiver…"):
            work = send_test_message(network, opts, fetch, args.timeout)
            limit = time_limit(args.timeout) + GRACE_S
            outcome = asyncio.run(bounded(DELIVERY, target, work, limit))
    return outcome, target


def _report(outcome: Outcome[Delivery], target: str, started: datetime, took: float) -> Report:
    from launchready.gatherers.email.delivery import DELIVERY

    checks = [c for c in load_registry() if c.reads == DELIVERY]
    findings = [f for c in checks for f in evaluate(c, [outcome])]
    return build_report(target, (Stage.EMAIL,), findings, started, took)
