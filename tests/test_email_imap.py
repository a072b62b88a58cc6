"""``email test-send --imap``: the reset goes out over SMTP and is fetched back from a real
mailbox — Dovecot on loopback, fed by the sandbox MX over LMTP — then verified.

The path is the one a message takes to a customer: SMTP to the recipient's MX (which
stamps a Received line with the address that connected), LMTP into the mail store, IMAP
out. Nothing here reads the mail store's files or the MX's memory.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from conftest import interrupt
from cryptography.hazmat.primitives.asymmetric import rsa
from test_email_test_send import SOA, key_record, pem

from launchready.cli.main import main
from launchready.gatherers.email.trace_headers import connecting_address, envelope_sender
from launchready.sandbox.dns_server import SandboxDNS
from launchready.sandbox.imap_server import DovecotServer
from launchready.sandbox.smtp_server import SmtpReceiver
from launchready.sandbox.tls import TestCA

SEND_CHECKS = (
    "email.send-accepted",
    "email.send-dkim",
    "email.send-spf",
    "email.send-dmarc",
    "email.send-inbox",
)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def dns(key: rsa.RSAPrivateKey) -> Iterator[SandboxDNS]:
    send = SOA + (
        '@ IN TXT "v=spf1 ip4:127.0.0.1 -all"\n'
        '_dmarc IN TXT "v=DMARC1; p=reject"\n'
        f"s1._domainkey IN TXT {key_record(key)}\n"
        "imap IN A 127.0.0.1\n"
    )
    # Lists only an address that is not ours: SPF fails for the address the MX saw.
    elsewhere = SOA + '@ IN TXT "v=spf1 ip4:192.0.2.7 -all"\n_dmarc IN TXT "v=DMARC1; p=reject"\n'
    with SandboxDNS({"send.test": send, "elsewhere.test": elsewhere, "test": SOA}) as server:
        yield server


@pytest.fixture(scope="module")
def mx(mail_store: DovecotServer) -> Iterator[SmtpReceiver]:
    with SmtpReceiver(deliver_to=mail_store.lmtp) as receiver:
        yield receiver


@pytest.fixture
def dkim_key(key: rsa.RSAPrivateKey, tmp_path: Path) -> Path:
    path = tmp_path / "dkim.pem"
    path.write_bytes(pem(key))
    return path


_count = iter(range(1_000_000))


@pytest.fixture
def mailbox(mail_store: DovecotServer, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A fresh mailbox (address, password); the password is in the environment only."""
    address = f"customer{next(_count)}@send.test"
    password = mail_store.add_user(address)
    monkeypatch.setenv("LAUNCHREADY_IMAP_PASSWORD", password)
    return address, password


@dataclass(frozen=True)
class Rig:
    """The peers of one CLI run: DNS, the MX in front of the mail store, the store, the CA."""

    dns: SandboxDNS
    mx: SmtpReceiver
    store: DovecotServer
    ca: TestCA
    tmp: Path
    capsys: pytest.CaptureFixture[str]

    def flags(self, to: str, *more: str) -> list[str]:
        return [
            *("--from", "no-reply@send.test", "--to", to),
            *("--smtp", f"{self.mx.host}:{self.mx.port}", "--nameserver", self.dns.address),
            *("--imap", f"imap.send.test:{self.store.imaps_port}", "--ca-bundle", self.ca.bundle),
            *("--timeout", "10"),
            *more,
        ]

    def run(self, *flags: str) -> tuple[int, dict[str, dict[str, Any]], str]:
        """(exit code, findings by id, everything printed and written)."""
        out = self.tmp / "send.json"
        out.unlink(missing_ok=True)
        code = main(["email", "test-send", "--format", "json", "--output", str(out), *flags])
        streams = self.capsys.readouterr()
        written = out.read_text() if out.exists() else ""
        report = json.loads(written) if written else {"findings": []}
        found = {f["id"]: f for f in report["findings"]}
        return code, found, streams.out + streams.err + written


@pytest.fixture
def rig(
    dns: SandboxDNS,
    mx: SmtpReceiver,
    mail_store: DovecotServer,
    test_ca: TestCA,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Rig:
    return Rig(dns, mx, mail_store, test_ca, tmp_path, capsys)


def test_a_signed_reset_is_found_in_the_inbox_and_verifies(
    rig: Rig,
    mailbox: tuple[str, str],
    dkim_key: Path,
) -> None:
    address, password = mailbox
    sign = ("--dkim-key", str(dkim_key), "--dkim-selector", "s1")
    code, found, printed = rig.run(*rig.flags(address, *sign))
    assert {i: found[i]["status"] for i in SEND_CHECKS} == dict.fromkeys(SEND_CHECKS, "pass"), {
        i: found[i]["evidence"] for i in SEND_CHECKS
    }
    assert code == 0
    assert found["email.send-inbox"]["evidence"] == "found in 'INBOX'"
    # SPF was judged for the address the MX recorded, not for the store's LMTP hop.
    spf = found["email.send-spf"]["evidence"]
    assert "pass for 127.0.0.1 (address from Received: from " in spf
    assert "by mx.sandbox.test" in spf and "LMTP" not in spf
    assert "d=send.test s=s1" in found["email.send-dkim"]["evidence"]
    assert password not in printed


def test_a_reset_filed_as_spam_is_a_must_fix(
    rig: Rig,
    mailbox: tuple[str, str],
) -> None:
    address, _ = mailbox
    user, domain = address.split("@")
    # user+Junk@ is filed in the user's Junk folder by the store, as a spam filter would.
    to_junk = f"{user}+Junk@{domain}"
    code, found, _ = rig.run(
        *rig.flags(to_junk, "--imap-user", address),
    )
    inbox = found["email.send-inbox"]
    assert inbox["status"] == "fail" and inbox["must_fix"], found["email.send-accepted"]["evidence"]
    assert inbox["evidence"] == "found in 'Junk', the provider's Junk folder"
    assert code == 1
    # Unsigned: DKIM is missing, DMARC still passes on aligned SPF.
    assert found["email.send-dkim"]["status"] == "fail"
    assert found["email.send-dmarc"]["status"] == "pass"


def test_starttls_upgrades_before_the_password_goes_out(
    rig: Rig,
    mailbox: tuple[str, str],
) -> None:
    address, _ = mailbox
    base = rig.flags(address, "--imap-starttls")
    base[base.index("--imap") + 1] = f"imap.send.test:{rig.store.imap_port}"
    code, found, _ = rig.run(*base)
    assert found["email.send-inbox"]["status"] == "pass", found["email.send-inbox"]["evidence"]
    assert found["email.send-spf"]["status"] == "pass"
    # Dovecot's own record of the login: over TLS. (It would also take a plain-text login
    # from 127.0.0.1, which it counts as secure, so the log is what tells.)
    # Dovecot's log process writes a moment later: wait (boundedly) for the line.
    for _ in range(50):
        log = rig.store.log().splitlines()
        logins = [ln for ln in log if f"user=<{address}>" in ln and "Login:" in ln]
        if logins:
            break
        time.sleep(0.05)
    (login,) = logins
    assert ", TLS," in login, login


def test_spf_is_judged_for_the_address_the_receiving_side_saw(
    rig: Rig,
    mailbox: tuple[str, str],
) -> None:
    address, _ = mailbox
    base = rig.flags(address)
    base[base.index("--from") + 1] = "billing@elsewhere.test"
    code, found, _ = rig.run(*base)
    spf = found["email.send-spf"]
    assert spf["status"] == "fail" and spf["evidence"].startswith("fail for 127.0.0.1"), spf
    assert found["email.send-dmarc"]["status"] == "fail"  # nothing aligned passes
    assert found["email.send-inbox"]["status"] == "pass"  # the store files everything
    assert code == 1


@pytest.fixture
def own_store(mail_store: DovecotServer, test_ca: TestCA) -> Iterator[DovecotServer]:
    """A mail store for one test: after a refused login Dovecot slows every later login
    from 127.0.0.1 down (its auth penalty), which must not reach the other tests."""
    with DovecotServer(test_ca.issue("imap-own", "imap.send.test")) as store:
        yield store


def test_a_wrong_password_is_one_line_and_nothing_is_sent(
    dns: SandboxDNS,
    own_store: DovecotServer,
    test_ca: TestCA,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    address = "locked-out@send.test"
    password = own_store.add_user(address)
    wrong = password[::-1]
    monkeypatch.setenv("LAUNCHREADY_IMAP_PASSWORD", wrong)
    with SmtpReceiver(deliver_to=own_store.lmtp) as mx:
        rig = Rig(dns, mx, own_store, test_ca, tmp_path, capsys)
        code, found, printed = rig.run(*rig.flags(address))
        sent = len(mx.messages)
    assert code == 2 and found == {}
    where = f"IMAP imap.send.test:{own_store.imaps_port} as {address}"
    assert printed.strip() == (
        f"launchready: error: {where}: login refused: [AUTHENTICATIONFAILED] "
        "Authentication failed. (nothing was sent)"
    )
    assert sent == 0  # the mailbox is opened before any real email goes out
    assert wrong not in printed and password not in printed


def test_a_certificate_we_do_not_trust_stops_before_login(
    rig: Rig,
    mailbox: tuple[str, str],
) -> None:
    address, _ = mailbox
    base = rig.flags(address)
    # The MX is reached without TLS; only the IMAP certificate is at stake here.
    at = base.index("--ca-bundle")
    del base[at : at + 2]
    code, _, printed = rig.run(*base)
    assert code == 2
    assert "TLS certificate not accepted: unable to get local issuer certificate" in printed
    assert "Traceback" not in printed and f"user=<{address}>" not in rig.store.log()
    # Over STARTTLS the same refusal comes before the login, too.
    base += ["--imap-starttls"]
    base[base.index("--imap") + 1] = f"imap.send.test:{rig.store.imap_port}"
    code, _, printed = rig.run(*base)
    assert code == 2 and "TLS certificate not accepted" in printed, printed
    assert f"user=<{address}>" not in rig.store.log()


def test_swapped_tls_and_plain_ports_are_named(
    rig: Rig,
    mailbox: tuple[str, str],
) -> None:
    address, _ = mailbox
    sent = len(rig.mx.messages)
    base = rig.flags(address)
    base[base.index("--timeout") + 1] = "3"
    # STARTTLS against the TLS port: the server waits for a ClientHello that never comes.
    code, _, printed = rig.run(*base, "--imap-starttls")
    assert code == 2 and "no answer within 1 s (a TLS port?" in printed, printed
    # TLS against the plain port: the greeting is not a TLS record.
    base[base.index("--imap") + 1] = f"imap.send.test:{rig.store.imap_port}"
    code, _, printed = rig.run(*base)
    assert code == 2 and "WRONG_VERSION_NUMBER (a plain-text port?" in printed, printed
    assert len(rig.mx.messages) == sent


def test_non_ascii_passwords_log_in_with_auth_plain(
    rig: Rig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import secrets

    address = f"umlaut{next(_count)}@send.test"
    password = rig.store.add_user(address, f"Grüße-{secrets.token_hex(6)}")
    monkeypatch.setenv("LAUNCHREADY_IMAP_PASSWORD", password)
    code, found, printed = rig.run(*rig.flags(address))
    assert found.get("email.send-inbox", {}).get("status") == "pass", printed
    assert password not in printed
    # A line break would end the IMAP command early: refused, without echoing it.
    monkeypatch.setenv("LAUNCHREADY_IMAP_PASSWORD", "first\r\nA1 DELETE INBOX")
    code, found, printed = rig.run(*rig.flags(address))
    assert code == 2 and "contains a line break or NUL" in printed
    assert "DELETE" not in printed


def test_a_message_that_never_arrives_is_could_not_check(
    rig: Rig,
    mailbox: tuple[str, str],
) -> None:
    address, _ = mailbox
    rig.store.add_user("someone-else@send.test")  # delivered there, looked for in ours
    base = rig.flags("someone-else@send.test", "--imap-user", address)
    base[base.index("--timeout") + 1] = "5"  # each IMAP command gets 1.7 s: room under load
    code, found, printed = rig.run(*base)
    assert code == 2, printed
    assert found["email.send-accepted"]["status"] == "pass"
    evidence = found["email.send-dkim"]["evidence"]
    assert evidence.startswith("could not check: the accepted message <"), evidence
    assert evidence.endswith("did not arrive within 5 s")


def test_imap_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["email", "test-send", "--from", "a@send.test", "--to", "b@send.test"]
    monkeypatch.delenv("LAUNCHREADY_IMAP_PASSWORD", raising=False)
    assert main([*base, "--smtp", "127.0.0.1:1", "--imap", "127.0.0.1"]) == 2
    assert "LAUNCHREADY_IMAP_PASSWORD" in capsys.readouterr().err
    monkeypatch.setenv("LAUNCHREADY_IMAP_PASSWORD", "x")
    assert main([*base, "--sandbox", "--imap", "127.0.0.1"]) == 2
    assert main([*base, "--smtp", "127.0.0.1:1", "--imap-user", "b"]) == 2
    assert main([*base, "--smtp", "127.0.0.1:1", "--imap", "[::1"]) == 2
    assert "Traceback" not in capsys.readouterr().err


# --- trace headers -----------------------------------------------------------------------


def _msg(headers: str) -> Any:
    return message_from_bytes(headers.replace("\n", "\r\n").encode() + b"\r\nbody\r\n")


def test_received_spf_names_the_address_the_receiver_judged() -> None:
    msg = _msg(
        "Received: by 2002:a05:6f02:1 with SMTP id x; Mon, 2 Nov 2026 10:00:00 -0800\n"
        "Received-SPF: pass (google.com: domain of a@b.example designates 203.0.113.9 as\n"
        " permitted sender) client-ip=203.0.113.9;\n"
        "Received: from out.b.example (out.b.example [198.51.100.3]) by mx.google.com\n"
        "Return-Path: <bounce+x@b.example>\n"
    )
    found = connecting_address(msg)
    assert (found.ip, found.seen_in) == ("203.0.113.9", "Received-SPF")
    assert envelope_sender(msg) == "bounce+x@b.example"


def test_the_first_public_hop_is_where_the_message_entered() -> None:
    msg = _msg(
        "Received: from mx.store.internal ([10.0.0.5]) by store with LMTP id 1\n"
        "Received: from filter.internal (filter [10.0.0.9]) by mx.store with ESMTP\n"
        "Received: from mail.sender.example (mail.sender.example [IPv6:2001:4860::5])\n"
        " by filter.internal with ESMTPS\n"
        "Received: from app (app.sender.internal [172.16.0.2]) by mail.sender.example\n"
        "Return-Path: <>\n"
    )
    found = connecting_address(msg)
    assert found.ip == "2001:4860::5" and found.seen_in.startswith("Received: from mail.sender")
    assert envelope_sender(msg) == ""


def test_on_a_private_network_the_newest_non_delivery_hop_counts() -> None:
    msg = _msg(
        "Received: from [127.0.0.1] ([127.0.0.1]) by store with LMTP id 1\n"
        "Received: from client ([127.0.0.2]) by mx.sandbox.test with ESMTP id 2\n"
        "Received: from app ([127.0.0.3]) by relay with ESMTP id 3\n"
    )
    assert connecting_address(msg).ip == "127.0.0.2"
    assert connecting_address(_msg("Subject: no trace\n")).ip == ""


def test_received_lines_as_real_mtas_write_them() -> None:
    def ip(received: str) -> str:
        return connecting_address(_msg(f"Received: {received}\n")).ip

    # Postfix: the bracketed literal before the parentheses is only the client's HELO.
    assert ip("from [192.168.1.20] (unknown [209.85.220.9]) by mx.example") == "209.85.220.9"
    # Exim, sendmail, Gmail.
    assert ip("from mail.example ([203.0.113.5] helo=mail.example) by mx") == "203.0.113.5"
    assert ip("from out.example (out.example. [198.51.100.3]) by mx.google.com") == ("198.51.100.3")
    # Yahoo writes the address bare — after "from" is the client's claim, in parentheses
    # the address seen; Microsoft puts a bare one in parentheses.
    assert ip("from 127.0.0.1 (EHLO mail.example.com) (198.51.100.7) by mta4.yahoo.com") == (
        "198.51.100.7"
    )
    assert ip("from 203.0.113.77 (EHLO mail.example.com) by 10.0.0.1 with SMTPs") == (
        "203.0.113.77"
    )
    assert ip("from DB9PR.outlook.com (2603:10a6:10:2a7::19) by AS8PR with HTTPS") == (
        "2603:10a6:10:2a7::19"
    )
    # An address only in the by-clause is not the sender's.
    assert ip("from client by mx [192.0.2.1]") == ""


def test_reading_stops_at_a_hop_it_cannot_read() -> None:
    """Below an unreadable hop the chain may already be the sender's own: no guessing."""
    msg = _msg(
        "Received: from edge.receiver.example by store.receiver.example with ESMTP\n"
        "Received: from smtp.sender.example (smtp.sender.example [198.51.100.50]) by x\n"
    )
    found = connecting_address(msg)
    assert found.ip == "" and found.seen_in.startswith("no connecting address in Received")
    # The store's own delivery hops are skipped, whatever the LMTP flavour.
    lmtpa = _msg(
        "Received: from store.internal by store with LMTPA id 9\n"
        "Received: from out.example (out.example [198.51.100.4]) by mx with ESMTPS\n"
    )
    assert connecting_address(lmtpa).ip == "198.51.100.4"


def test_only_the_receiving_sites_newest_verdicts_count() -> None:
    # The newest Received-SPF names no address; an older one is not used; the receiving
    # site's Authentication-Results (its authserv-id is the site's) is.
    msg = _msg(
        "Authentication-Results: mx.microsoft.com 1; spf=pass (sender IP is 203.0.113.40)\n"
        " smtp.mailfrom=b.example\n"
        "Received-SPF: Pass (protection.outlook.com: domain of b.example designates\n"
        " sender)\n"
        "Received-SPF: pass client-ip=192.0.2.66; receiver=mx.microsoft.com\n"
        "Received: from relay (relay [10.1.2.3]) by edge.mx.microsoft.com with ESMTP\n"
        "Received: from out.b.example (out.b.example [198.51.100.9]) by in.microsoft.com\n"
    )
    found = connecting_address(msg)
    assert (found.ip, found.seen_in) == ("203.0.113.40", "Authentication-Results")
    gmail = _msg(
        "Received-SPF: pass (google.com: domain of a@b.example designates 209.85.220.41 as\n"
        " permitted sender) client-ip=209.85.220.41;\n"
        "Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\n"
        " by mx.google.com with SMTPS id x\n"
    )
    found = connecting_address(gmail)
    assert (found.ip, found.seen_in) == ("209.85.220.41", "Received-SPF")


def test_a_verdict_the_sender_wrote_is_not_the_receivers() -> None:
    # (Addresses that count as public: documentation ranges such as 198.51.100.0/24 are
    # not, and would make every hop look internal.)
    msg = _msg(
        "Received: from smtp.sender.example (smtp.sender.example [93.184.216.50])\n"
        " by mx.receiver.example with ESMTPS\n"
        "Received-SPF: pass (sender.example: domain of app@sender.example designates\n"
        " 10.0.0.8 as permitted sender) client-ip=10.0.0.8; receiver=smtp.sender.example\n"
        "Authentication-Results: smtp.sender.example; iprev=pass smtp.remote-ip=10.0.0.8\n"
        "Received: from app (app [10.0.0.8]) by smtp.sender.example\n"
    )
    found = connecting_address(msg)
    assert found.ip == "93.184.216.50" and found.seen_in.startswith("Received: from smtp.sender")


def test_hostile_received_lines_are_read_quickly_and_give_nothing() -> None:
    hostile = _msg("Received: from " + "([a" * 16000 + " by mx.example\n")
    assert connecting_address(hostile).ip == ""


def test_no_recorded_address_makes_spf_could_not_check(dns: SandboxDNS) -> None:
    """A mailbox whose store wrote no trace headers: SPF has no address to judge."""
    import asyncio

    from launchready.checks.email.send import send_dmarc, send_spf
    from launchready.gatherers.email.delivery import Arrival, Delivery, verify_arrival
    from launchready.gatherers.network import Network

    data = b"From: a@send.test\r\nReturn-Path: <a@send.test>\r\nSubject: x\r\n\r\nhi\r\n"
    network = Network(nameservers=(("127.0.0.1", dns.port),))
    arrival = Arrival("", "a@send.test", data, "INBOX", False, "no Received line")
    v = asyncio.run(verify_arrival(network, arrival))
    assert (v.spf.result, v.dmarc.spf_aligned) == ("unknown", False)
    # Unsigned and no SPF verdict: DMARC cannot be decided either — never a must-fix fail.
    assert v.dmarc.result == "unknown"
    d = Delivery("<x@send.test>", "a@send.test", "b@send.test", "mx:25", False, True, "ok", v)
    statuses = {c.id: c.evaluate(d)[0] for c in (send_spf, send_dmarc)}
    assert {i: f.status.value for i, f in statuses.items()} == {
        "email.send-spf": "error",
        "email.send-dmarc": "error",
    }
    assert statuses["email.send-spf"].evidence == (
        "could not check: the receiving side recorded no connecting address (no Received line)"
    )
    # No Return-Path: no envelope sender to check, and not one guessed from From.
    arrival = Arrival("127.0.0.1", None, data.replace(b"Return-Path", b"X-Was"), "INBOX")
    v = asyncio.run(verify_arrival(network, arrival))
    assert (v.spf.result, v.dmarc.result) == ("unknown", "unknown")
    assert "no Return-Path" in v.spf.explanation
    # An envelope domain that could never align: DMARC fails whatever SPF would say.
    arrival = Arrival("", "bounce@elsewhere.test", data, "INBOX", False, "no Received line")
    v = asyncio.run(verify_arrival(network, arrival))
    assert (v.spf.result, v.dmarc.result) == ("unknown", "fail")


class ScriptedImap:
    """An IMAP server on 127.0.0.1 that answers from a script: for what Dovecot will not
    do — offer no STARTTLS, or never answer a SEARCH. Records every line it receives."""

    def __init__(
        self,
        greeting: bytes,
        answers: dict[bytes, bytes | None],
        tls: Any = None,
        greet_after_s: float = 0.0,
    ):
        import socket
        import threading

        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self.port = self._listener.getsockname()[1]
        self.greeting, self.answers, self.tls = greeting, answers, tls
        self.greet_after_s = greet_after_s
        self.seen: list[bytes] = []
        self._done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import contextlib

        with contextlib.suppress(OSError):
            conn, _ = self._listener.accept()
            with conn:
                if self.tls is not None:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                reader = conn.makefile("rb")
                if self._done.wait(self.greet_after_s):
                    return
                conn.sendall(self.greeting)
                for line in reader:
                    self.seen.append(line)
                    words = line.rstrip(b"\r\n").split(b" ")
                    tag, command = (words + [b""])[:2]
                    if command.upper() == b"UID" and len(words) > 2:
                        command += b" " + words[2].upper()
                    answer = self.answers.get(command.upper(), b"{tag} OK done\r\n")
                    if answer is None:
                        self._done.wait(60)  # never answers; ends when the test does
                        return
                    conn.sendall(answer.replace(b"{tag}", tag))

    def close(self) -> None:
        self._done.set()
        self._listener.close()


def _mailbox_on(port: int, ca: TestCA, *, starttls: bool, timeout_s: float) -> Any:
    from launchready.gatherers.email.mailbox import ImapAccount, ImapMailbox
    from launchready.gatherers.network import Network

    network = Network(ca_bundle=ca.bundle, resolve={("imap.send.test", port): "127.0.0.1"})
    account = ImapAccount(("imap.send.test", port), "ops@send.test", "not-sent", starttls)
    return ImapMailbox(network, account, timeout_s)


def test_no_starttls_on_offer_means_no_login(test_ca: TestCA) -> None:
    import asyncio

    from launchready.gatherers.email.delivery import FetchError

    plain = ScriptedImap(
        b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] old server\r\n",
        {b"CAPABILITY": b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n"},
    )
    try:
        mailbox = _mailbox_on(plain.port, test_ca, starttls=True, timeout_s=10)
        with pytest.raises(FetchError, match="STARTTLS") as raised:
            asyncio.run(mailbox.open())
    finally:
        plain.close()
    assert str(raised.value).startswith(f"IMAP imap.send.test:{plain.port} as ops@send.test: ")
    sent = b"".join(plain.seen).upper()
    assert b"LOGIN" not in sent and b"AUTHENTICATE" not in sent and b"not-sent" not in sent


def test_a_cancelled_wait_ends_a_command_in_flight_at_once(test_ca: TestCA) -> None:
    """Ctrl-C (or a time limit) while a SEARCH is unanswered: the socket is shut down
    under the worker thread, so asyncio.run returns now, not after the 10 s socket
    timeout (nor the 60 s step limit)."""
    import asyncio
    import time

    tls = _tls_for_scripts(test_ca)
    junk_list = b'* LIST (\\HasNoChildren \\Junk) "/" Spam\r\n{tag} OK done\r\n'
    server = ScriptedImap(
        b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n",
        {
            b"CAPABILITY": b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n",
            b"LIST": junk_list,
            b"STATUS": b"* STATUS INBOX (UIDNEXT 5)\r\n{tag} OK done\r\n",
            b"EXAMINE": b"* 4 EXISTS\r\n{tag} OK [READ-ONLY] done\r\n",
            b"UID SEARCH": None,
        },
        tls,
    )
    try:
        mailbox = _mailbox_on(server.port, test_ca, starttls=False, timeout_s=60)
        assert mailbox.socket_timeout == 10

        async def give_up_soon() -> None:
            await mailbox.open()
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(mailbox("<never@send.test>"), 1.0)
            await mailbox.close()

        clock = time.monotonic()
        asyncio.run(give_up_soon())
        took = time.monotonic() - clock
    finally:
        server.close()
    assert any(b"UID SEARCH" in line.upper() for line in server.seen), server.seen
    assert took < 5, took


def _tls_for_scripts(test_ca: TestCA) -> Any:
    import ssl

    cert = test_ca.issue("imap-scripted", "imap.send.test")
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert.cert_file, cert.key_file)
    return tls


def test_a_cancelled_open_never_sends_the_login(test_ca: TestCA) -> None:
    """Ctrl-C or the time limit while the server is slow to greet: the connection is cut
    and the password does not go out when the greeting finally comes."""
    import asyncio
    import time

    slow = ScriptedImap(
        b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] finally\r\n",
        {b"CAPABILITY": b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n"},
        _tls_for_scripts(test_ca),
        greet_after_s=1.5,
    )
    try:
        mailbox = _mailbox_on(slow.port, test_ca, starttls=False, timeout_s=30)

        async def give_up_at_once() -> None:
            try:
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(mailbox.open(), 0.5)
            finally:
                await mailbox.close()

        asyncio.run(give_up_at_once())
        time.sleep(2.0)  # past the greeting: nothing more may arrive
    finally:
        slow.close()
    assert slow.seen == []


def test_answers_the_client_cannot_read_are_one_line(test_ca: TestCA) -> None:
    import asyncio

    from launchready.gatherers.email.delivery import FetchError

    # A CAPABILITY answer with no capabilities in it.
    broken = ScriptedImap(
        b"* OK hello\r\n", {b"CAPABILITY": b"{tag} OK nothing\r\n"}, _tls_for_scripts(test_ca)
    )
    try:
        mailbox = _mailbox_on(broken.port, test_ca, starttls=False, timeout_s=10)
        with pytest.raises(FetchError) as raised:
            asyncio.run(mailbox.open())
    finally:
        broken.close()
    assert str(raised.value).startswith(f"IMAP imap.send.test:{broken.port} as ops@send.test:")
    # A UIDNEXT that is not a number: the whole folder is searched instead.
    odd = ScriptedImap(
        b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hello\r\n",
        {
            b"CAPABILITY": b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n",
            b"LIST": b'* LIST (\\HasNoChildren) "/" INBOX\r\n{tag} OK done\r\n',
            b"STATUS": b"* STATUS INBOX (UIDNEXT abc)\r\n{tag} OK done\r\n",
        },
        _tls_for_scripts(test_ca),
    )
    try:
        mailbox = _mailbox_on(odd.port, test_ca, starttls=False, timeout_s=10)

        async def open_and_close() -> None:
            await mailbox.open()
            await mailbox.close()

        asyncio.run(open_and_close())
    finally:
        odd.close()
    assert any(b"LOGOUT" in line.upper() for line in odd.seen), odd.seen


def test_ctrl_c_while_waiting_for_the_message_exits_at_once(
    rig: Rig, mailbox: tuple[str, str]
) -> None:
    import os
    import sys

    address, _ = mailbox
    rig.store.add_user("elsewhere@send.test")
    base = rig.flags("elsewhere@send.test", "--imap-user", address)
    base[base.index("--timeout") + 1] = "60"  # a minute of waiting if nothing stops it
    sent = len(rig.mx.messages)
    run = interrupt(
        [sys.executable, "-m", "launchready", "email", "test-send", "--format", "json", *base],
        lambda: len(rig.mx.messages) > sent,
        within_s=30,
        env={**os.environ, "NO_COLOR": "1"},
        settle_s=1.0,  # now it is polling the mailbox
    )
    assert len(rig.mx.messages) > sent, "the message was never sent"
    assert run.returncode == 130, run.stderr
    assert "Traceback" not in run.stderr
    assert run.took_s < 10
