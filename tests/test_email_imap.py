"""``email test-send --imap``: the reset goes out over SMTP and is fetched back from a real
mailbox — Dovecot on loopback, fed by the sandbox MX over LMTP — then verified.

The path is the one a message takes to a customer: SMTP to the recipient's MX (which
stamps a Received line with the address that connected), LMTP into the mail store, IMAP
out. Nothing here reads the mail store's files or the MX's memory.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from launchready.cli.main import main
from launchready.gatherers.email.trace_headers import connecting_address, envelope_sender
from launchready.sandbox.dns_server import SandboxDNS
from launchready.sandbox.imap_server import DovecotServer
from launchready.sandbox.smtp_server import SmtpReceiver
from launchready.sandbox.tls import TestCA

SOA = "@ IN SOA ns hostmaster 1 3600 600 86400 300\n"
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
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    p = base64.b64encode(der).decode()
    record = '"v=DKIM1; k=rsa; p=" ' + " ".join(
        f'"{p[i : i + 200]}"' for i in range(0, len(p), 200)
    )
    send = SOA + (
        '@ IN TXT "v=spf1 ip4:127.0.0.1 -all"\n'
        '_dmarc IN TXT "v=DMARC1; p=reject"\n'
        f"s1._domainkey IN TXT {record}\n"
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
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return path


_count = iter(range(1_000_000))


@pytest.fixture
def mailbox(mail_store: DovecotServer, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A fresh mailbox (address, password); the password is in the environment only."""
    address = f"customer{next(_count)}@send.test"
    password = mail_store.add_user(address)
    monkeypatch.setenv("LAUNCHREADY_IMAP_PASSWORD", password)
    return address, password


def run(
    tmp: Path, capsys: pytest.CaptureFixture[str], *flags: str
) -> tuple[int, dict[str, dict[str, Any]], str]:
    out = tmp / "send.json"
    out.unlink(missing_ok=True)
    code = main(["email", "test-send", "--format", "json", "--output", str(out), *flags])
    streams = capsys.readouterr()
    report = json.loads(out.read_text()) if out.exists() else {"findings": []}
    found = {f["id"]: f for f in report["findings"]}
    return code, found, streams.out + streams.err + (out.read_text() if out.exists() else "")


def flags(
    dns: SandboxDNS, mx: SmtpReceiver, store: DovecotServer, ca: TestCA, to: str, *more: str
) -> list[str]:
    return [
        *("--from", "no-reply@send.test", "--to", to),
        *("--smtp", f"{mx.host}:{mx.port}", "--nameserver", dns.address),
        *("--imap", f"imap.send.test:{store.imaps_port}", "--ca-bundle", ca.bundle),
        *("--timeout", "10"),
        *more,
    ]


def test_a_signed_reset_is_found_in_the_inbox_and_verifies(
    dns: SandboxDNS,
    mx: SmtpReceiver,
    mail_store: DovecotServer,
    test_ca: TestCA,
    mailbox: tuple[str, str],
    dkim_key: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    address, password = mailbox
    sign = ("--dkim-key", str(dkim_key), "--dkim-selector", "s1")
    code, found, printed = run(
        tmp_path, capsys, *flags(dns, mx, mail_store, test_ca, address, *sign)
    )
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
    dns: SandboxDNS,
    mx: SmtpReceiver,
    mail_store: DovecotServer,
    test_ca: TestCA,
    mailbox: tuple[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    address, _ = mailbox
    user, domain = address.split("@")
    # user+Junk@ is filed in the user's Junk folder by the store, as a spam filter would.
    to_junk = f"{user}+Junk@{domain}"
    code, found, _ = run(
        tmp_path,
        capsys,
        *flags(dns, mx, mail_store, test_ca, to_junk, "--imap-user", address),
    )
    inbox = found["email.send-inbox"]
    assert inbox["status"] == "fail" and inbox["must_fix"], found["email.send-accepted"]["evidence"]
    assert inbox["evidence"] == "found in 'Junk', the provider's Junk folder"
    assert code == 1
    # Unsigned: DKIM is missing, DMARC still passes on aligned SPF.
    assert found["email.send-dkim"]["status"] == "fail"
    assert found["email.send-dmarc"]["status"] == "pass"


def test_starttls_upgrades_before_the_password_goes_out(
    dns: SandboxDNS,
    mx: SmtpReceiver,
    mail_store: DovecotServer,
    test_ca: TestCA,
    mailbox: tuple[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    address, _ = mailbox
    base = flags(dns, mx, mail_store, test_ca, address, "--imap-starttls")
    base[base.index("--imap") + 1] = f"imap.send.test:{mail_store.imap_port}"
    code, found, _ = run(tmp_path, capsys, *base)
    assert found["email.send-inbox"]["status"] == "pass", found["email.send-inbox"]["evidence"]
    assert found["email.send-spf"]["status"] == "pass"


def test_spf_is_judged_for_the_address_the_receiving_side_saw(
    dns: SandboxDNS,
    mx: SmtpReceiver,
    mail_store: DovecotServer,
    test_ca: TestCA,
    mailbox: tuple[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    address, _ = mailbox
    base = flags(dns, mx, mail_store, test_ca, address)
    base[base.index("--from") + 1] = "billing@elsewhere.test"
    code, found, _ = run(tmp_path, capsys, *base)
    spf = found["email.send-spf"]
    assert spf["status"] == "fail" and spf["evidence"].startswith("fail for 127.0.0.1"), spf
    assert found["email.send-dmarc"]["status"] == "fail"  # nothing aligned passes
    assert found["email.send-inbox"]["status"] == "pass"  # the store files everything
    assert code == 1


def test_a_wrong_password_is_a_one_line_error_that_never_shows_it(
    dns: SandboxDNS,
    mx: SmtpReceiver,
    mail_store: DovecotServer,
    test_ca: TestCA,
    mailbox: tuple[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    address, password = mailbox
    wrong = password[::-1]
    monkeypatch.setenv("LAUNCHREADY_IMAP_PASSWORD", wrong)
    code, found, printed = run(tmp_path, capsys, *flags(dns, mx, mail_store, test_ca, address))
    assert code == 2
    assert found["email.send-accepted"]["status"] == "pass"
    for check_id in ("email.send-dkim", "email.send-spf", "email.send-dmarc", "email.send-inbox"):
        assert found[check_id]["status"] == "error"
    evidence = found["email.send-inbox"]["evidence"]
    assert evidence.startswith(
        f"could not check: IMAP imap.send.test:{mail_store.imaps_port} as {address}: login refused"
    ), evidence
    assert "Traceback" not in printed and wrong not in printed and password not in printed


def test_a_certificate_we_do_not_trust_stops_before_login(
    dns: SandboxDNS,
    mx: SmtpReceiver,
    mail_store: DovecotServer,
    test_ca: TestCA,
    mailbox: tuple[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    address, _ = mailbox
    base = flags(dns, mx, mail_store, test_ca, address)
    # The MX is reached without TLS; only the IMAP certificate is at stake here.
    at = base.index("--ca-bundle")
    del base[at : at + 2]
    code, found, _ = run(tmp_path, capsys, *base)
    assert code == 2
    evidence = found["email.send-inbox"]["evidence"]
    assert "TLS failed" in evidence and "CERTIFICATE_VERIFY_FAILED" in evidence, evidence


def test_a_message_that_never_arrives_is_could_not_check(
    dns: SandboxDNS,
    mx: SmtpReceiver,
    mail_store: DovecotServer,
    test_ca: TestCA,
    mailbox: tuple[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    address, _ = mailbox
    mail_store.add_user("someone-else@send.test")  # delivered there, looked for in ours
    base = flags(dns, mx, mail_store, test_ca, "someone-else@send.test", "--imap-user", address)
    base[base.index("--timeout") + 1] = "1.5"
    code, found, _ = run(tmp_path, capsys, *base)
    assert code == 2
    evidence = found["email.send-dkim"]["evidence"]
    assert evidence.startswith("could not check: the accepted message <"), evidence
    assert evidence.endswith("did not arrive within 1.5 s")


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
    assert (found.ip, found.seen_in) == ("203.0.113.9", "Received-SPF client-ip")
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
    # An address in the by-clause is not the sender's.
    assert connecting_address(_msg("Received: from client by mx [192.0.2.1]\n")).ip == ""
    assert connecting_address(_msg("Subject: no trace\n")).ip == ""


def test_no_recorded_address_makes_spf_could_not_check(dns: SandboxDNS) -> None:
    """A mailbox whose store wrote no trace headers: SPF has no address to judge."""
    import asyncio

    from launchready.checks.email.send import send_spf
    from launchready.gatherers.email.delivery import Arrival, Delivery, verify_arrival
    from launchready.gatherers.network import Network

    data = b"From: a@send.test\r\nReturn-Path: <a@send.test>\r\nSubject: x\r\n\r\nhi\r\n"
    network = Network(nameservers=(("127.0.0.1", dns.port),))
    arrival = Arrival("", "a@send.test", data, "INBOX", False, "")
    v = asyncio.run(verify_arrival(network, arrival))
    assert (v.spf.result, v.dmarc.spf_aligned) == ("unknown", False)
    d = Delivery("<x@send.test>", "a@send.test", "b@send.test", "mx:25", False, True, "ok", v)
    (verdict,) = send_spf.evaluate(d)
    assert verdict.status.value == "error"
    assert verdict.evidence.startswith("could not check: the receiving side recorded no")


def test_a_cancelled_wait_ends_its_worker_thread(
    dns: SandboxDNS, mail_store: DovecotServer, test_ca: TestCA, mailbox: tuple[str, str]
) -> None:
    """Ctrl-C (or a time limit) cancels the wait: the IMAP thread stops at its next poll
    instead of holding asyncio.run's shutdown until its own 60 s deadline."""
    import asyncio
    import threading
    import time

    from launchready.gatherers.email.mailbox import ImapAccount, imap_fetch
    from launchready.gatherers.network import Network

    address, password = mailbox
    network = Network(nameservers=(("127.0.0.1", dns.port),), ca_bundle=test_ca.bundle)
    account = ImapAccount(("imap.send.test", mail_store.imaps_port), address, password)
    fetch = imap_fetch(network, account, timeout_s=60)
    before = threading.active_count()

    async def give_up_soon() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(fetch("<never@send.test>"), 1.5)

    clock = time.monotonic()
    asyncio.run(give_up_soon())
    assert time.monotonic() - clock < 15  # not the 60 s deadline
    assert threading.active_count() == before


def test_ctrl_c_while_waiting_for_the_message_exits_at_once(
    dns: SandboxDNS,
    mx: SmtpReceiver,
    mail_store: DovecotServer,
    test_ca: TestCA,
    mailbox: tuple[str, str],
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    address, _ = mailbox
    mail_store.add_user("elsewhere@send.test")
    base = flags(dns, mx, mail_store, test_ca, "elsewhere@send.test", "--imap-user", address)
    base[base.index("--timeout") + 1] = "60"  # a minute of waiting if nothing stops it
    sent = len(mx.messages)
    proc = subprocess.Popen(
        [sys.executable, "-m", "launchready", "email", "test-send", "--format", "json", *base],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        deadline = time.monotonic() + 30
        while len(mx.messages) == sent and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert len(mx.messages) > sent, "the message was never sent"
        time.sleep(1.0)  # now it is polling the mailbox
        proc.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        _, err = proc.communicate(timeout=30)
        took = time.monotonic() - interrupted
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert took < 10
