"""The test send, end to end over real SMTP and DNS on loopback.

A DKIM-signed password reset goes through aiosmtplib to a real SMTP server, is fetched
back as received and verified against the key the sandbox DNS server publishes.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from launchready.checks.email import send as send_checks
from launchready.cli.main import main
from launchready.gatherers.email.delivery import (
    Arrival,
    Delivery,
    SendOptions,
    send_test_message,
    verify_arrival,
)
from launchready.gatherers.network import Network
from launchready.sandbox.dns_server import SandboxDNS
from launchready.sandbox.smtp_server import SmtpReceiver
from launchready.sandbox.tls import TestCA

SOA = "@ IN SOA ns hostmaster 1 3600 600 86400 300\n"


def pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def key_record(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    p = base64.b64encode(der).decode()
    return '"v=DKIM1; k=rsa; p=" ' + " ".join(f'"{p[i : i + 200]}"' for i in range(0, len(p), 200))


@pytest.fixture(scope="module")
def keys() -> dict[str, rsa.RSAPrivateKey]:
    return {n: rsa.generate_private_key(public_exponent=65537, key_size=2048) for n in "ab"}


@pytest.fixture(scope="module")
def dns(keys: dict[str, rsa.RSAPrivateKey]) -> Iterator[SandboxDNS]:
    zone = SOA + (
        '@ IN TXT "v=spf1 ip4:127.0.0.1 -all"\n'
        '_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@send.test"\n'
        f"s1._domainkey IN TXT {key_record(keys['a'])}\n"
        "@ IN MX 10 mail\nmail IN A 127.0.0.1\n"
    )
    with SandboxDNS({"send.test": zone, "test": SOA}) as server:
        yield server


def network(dns: SandboxDNS, **kw: Any) -> Network:
    return Network(nameservers=(("127.0.0.1", dns.port),), **kw)


def send(dns: SandboxDNS, receiver: SmtpReceiver, key: bytes | None) -> Delivery:
    opts = SendOptions(
        "no-reply@send.test",
        "alice@example.test",
        (receiver.host, receiver.port),
        dkim_key=key,
        dkim_selector="s1" if key else None,
    )

    async def fetch(message_id: str) -> Arrival | None:
        (got,) = await asyncio.to_thread(receiver.wait_for, 1, 10)
        assert got.message["Message-ID"] == message_id
        return Arrival(got.peer, got.mail_from, got.data)

    return asyncio.run(send_test_message(network(dns), opts, fetch, timeout_s=10))


def test_a_signed_reset_verifies_on_arrival(dns: SandboxDNS, keys: dict[str, Any]) -> None:
    with SmtpReceiver() as receiver:
        delivery = send(dns, receiver, pem(keys["a"]))
        (received,) = receiver.messages
    assert delivery.accepted and delivery.verification is not None
    v = delivery.verification
    assert (v.dkim.result, v.dkim.domain, v.dkim.selector, v.dkim.bits) == (
        "pass",
        "send.test",
        "s1",
        2048,
    )
    assert (v.spf.result, v.spf.ip, v.peer_ip) == ("pass", "127.0.0.1", "127.0.0.1")
    assert (v.dmarc.result, v.dmarc.dkim_aligned, v.dmarc.spf_aligned) == ("pass", True, True)
    message = received.message
    assert message["Subject"] == "Reset your Send password"
    assert message.get_content_type() == "multipart/alternative"
    assert "https://send.test/reset-password?token=" in message.get_body(("plain",)).get_content()


def test_a_tampered_body_fails_dkim(dns: SandboxDNS, keys: dict[str, Any]) -> None:
    with SmtpReceiver() as receiver:
        send(dns, receiver, pem(keys["a"]))
        (received,) = receiver.messages
    tampered = received.data.replace(b"60 minutes", b"6 days", 1)
    assert tampered != received.data
    v = asyncio.run(
        verify_arrival(network(dns), Arrival(received.peer, received.mail_from, tampered))
    )
    assert v.dkim.result == "fail" and "body hash mismatch" in v.dkim.detail
    # SPF still passes and aligns, so DMARC holds through SPF alone.
    assert (v.dmarc.result, v.dmarc.dkim_aligned, v.dmarc.spf_aligned) == ("pass", False, True)
    # A changed signed header breaks the signature too.
    forged = received.data.replace(b"Subject: Reset", b"Subject: URGENT Reset", 1)
    v = asyncio.run(
        verify_arrival(network(dns), Arrival(received.peer, received.mail_from, forged))
    )
    assert v.dkim.result == "fail"


def test_a_key_that_is_not_the_published_one_fails(dns: SandboxDNS, keys: dict[str, Any]) -> None:
    with SmtpReceiver() as receiver:
        v = send(dns, receiver, pem(keys["b"])).verification
    assert v is not None and v.dkim.result == "fail"


def test_an_unsigned_message_has_no_dkim(dns: SandboxDNS) -> None:
    with SmtpReceiver() as receiver:
        v = send(dns, receiver, None).verification
    assert v is not None and v.dkim.result == "none"


def run_cli(tmp: Path, *flags: str) -> tuple[int, dict[str, dict[str, Any]]]:
    out = tmp / "send.json"
    code = main(["email", "test-send", "--format", "json", "--output", str(out), *flags])
    report = json.loads(out.read_text())
    return code, {f["id"]: f for f in report["findings"]}


def test_cli_round_trip_in_the_sandbox(
    dns: SandboxDNS, keys: dict[str, Any], tmp_path: Path
) -> None:
    key = tmp_path / "dkim.pem"
    key.write_bytes(pem(keys["a"]))
    sandbox = ["--from", "no-reply@send.test", "--to", "bob@example.test", "--sandbox"]
    code, found = run_cli(
        tmp_path,
        *sandbox,
        "--nameserver",
        dns.address,
        "--dkim-key",
        str(key),
        "--dkim-selector",
        "s1",
    )
    assert code == 0
    assert {i: f["status"] for i, f in found.items()} == {
        "email.send-accepted": "pass",
        "email.send-dkim": "pass",
        "email.send-spf": "pass",
        "email.send-dmarc": "pass",
        # The sandbox receiver has no folders: only --imap tells inbox from Junk.
        "email.send-inbox": "skipped",
    }
    # Unsigned, the same message is not inbox-ready: DKIM fails, a must-fix.
    code, found = run_cli(tmp_path, *sandbox, "--nameserver", dns.address)
    assert code == 1 and found["email.send-dkim"]["must_fix"]


def test_cli_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAUNCHREADY_SMTP_PASSWORD", raising=False)
    base = ["email", "test-send", "--from", "a@send.test", "--to", "b@example.test", "--sandbox"]
    assert main([*base, "--user", "app"]) == 2  # the password must come from the environment
    assert main([*base, "--dkim-key", str(tmp_path / "missing.pem"), "--dkim-selector", "s"]) == 2
    ed = tmp_path / "ed.pem"
    ed.write_bytes(
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
    )
    assert main([*base, "--dkim-key", str(ed), "--dkim-selector", "s"]) == 2


class _Inbox:
    def __init__(self) -> None:
        self.logins: list[tuple[bytes, bytes]] = []
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(bytes(envelope.content))
        return "250 2.0.0 queued"

    def authenticate(self, server: Any, session: Any, envelope: Any, mech: str, data: Any) -> Any:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=True)


@pytest.fixture
def submission(test_ca: TestCA, unused_tcp_port: int) -> Iterator[tuple[_Inbox, int]]:
    cert = test_ca.issue("smtp", "mail.send.test")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert.cert_file, cert.key_file)
    inbox = _Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=unused_tcp_port,
        tls_context=context,
        require_starttls=True,
        authenticator=inbox.authenticate,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield inbox, unused_tcp_port
    finally:
        controller.stop()


def test_starttls_and_login_against_a_submission_server(
    dns: SandboxDNS,
    test_ca: TestCA,
    submission: tuple[_Inbox, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, port = submission
    monkeypatch.setenv("LAUNCHREADY_SMTP_PASSWORD", "s3cret-from-env")
    # The server's name resolves through our DNS; its certificate is checked against it.
    flags = [
        "--from",
        "no-reply@send.test",
        "--to",
        "c@example.test",
        "--nameserver",
        dns.address,
        "--smtp",
        f"mail.send.test:{port}",
        "--starttls",
        "--user",
        "app",
    ]
    code, found = run_cli(tmp_path, *flags, "--ca-bundle", test_ca.bundle)
    assert found["email.send-accepted"]["status"] == "pass", found["email.send-accepted"]
    assert "with STARTTLS" in found["email.send-accepted"]["evidence"]
    assert inbox.logins == [(b"app", b"s3cret-from-env")] and len(inbox.messages) == 1
    # Not fetched back from a remote server: verification is "skipped", never a pass.
    assert found["email.send-dkim"]["status"] == "skipped" and code == 0
    # Without our CA the certificate is refused: the send fails, a must-fix.
    code, found = run_cli(tmp_path, *flags)
    assert code == 1 and found["email.send-accepted"]["status"] == "fail"
    assert "certificate" in found["email.send-accepted"]["evidence"].lower()


def test_a_closed_port_is_a_failed_send(unused_tcp_port: int, tmp_path: Path) -> None:
    code, found = run_cli(
        tmp_path,
        "--from",
        "a@send.test",
        "--to",
        "b@example.test",
        "--smtp",
        f"127.0.0.1:{unused_tcp_port}",
    )
    assert code == 1 and found["email.send-accepted"]["status"] == "fail"


@pytest.fixture
def silent_nameserver() -> Iterator[str]:
    """A UDP port that takes DNS queries and never answers (a resolver gone quiet)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{sock.getsockname()[1]}"


def test_a_verification_that_overruns_keeps_the_send_result(dns: SandboxDNS) -> None:
    async def never(message_id: str) -> Arrival | None:
        await asyncio.sleep(3600)
        return None

    with SmtpReceiver() as receiver:
        opts = SendOptions("no-reply@send.test", "a@example.test", (receiver.host, receiver.port))
        clock = time.perf_counter()
        delivery = asyncio.run(send_test_message(network(dns), opts, never, timeout_s=0.5))
        took = time.perf_counter() - clock
    # The server's acceptance is a fact; only the verification has no verdict.
    assert delivery.accepted and delivery.reply.startswith("Message accepted")
    assert delivery.verification is None
    assert delivery.unverified.endswith("did not arrive within 0.5 s"), delivery.unverified
    assert took < 3
    statuses = {c.id: c.evaluate(delivery)[0].status.value for c in _send_checks()}
    assert statuses == {
        "email.send-accepted": "pass",
        "email.send-dkim": "error",
        "email.send-spf": "error",
        "email.send-dmarc": "error",
        "email.send-inbox": "error",
    }


def test_cli_verification_overrun_is_could_not_check_and_exit_2(
    silent_nameserver: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, found = run_cli(
        tmp_path,
        *("--from", "no-reply@send.test", "--to", "bob@example.test", "--sandbox"),
        *("--nameserver", silent_nameserver, "--timeout", "1"),
    )
    assert found["email.send-accepted"]["status"] == "pass", found["email.send-accepted"]
    for check_id in ("email.send-dkim", "email.send-spf", "email.send-dmarc"):
        assert found[check_id]["status"] == "error"
        assert found[check_id]["evidence"].startswith("could not check: no verdict within 1 s")
    # Nothing was verified: exit 0 would read as "inbox-ready" to a script.
    assert code == 2
    assert "could not check" in capsys.readouterr().err


def _send_checks() -> list[Any]:
    return [v for v in vars(send_checks).values() if hasattr(v, "reads")]


def test_the_fetch_back_options_named_to_users_exist(capsys: pytest.CaptureFixture[str]) -> None:
    """Every flag a send check mentions is a real test-send flag."""
    with pytest.raises(SystemExit):
        main(["email", "test-send", "--help"])
    real = set(re.findall(r"--[a-z][a-z-]*", capsys.readouterr().out))
    unfetched = Delivery(
        "<id@send.test>", "a@send.test", "b@example.test", "mx:25", False, True, "ok"
    )
    texts = [v.evidence for c in _send_checks() for v in c.evaluate(unfetched)]
    texts += [c.remediation for c in _send_checks()]
    named = {flag for text in texts for flag in re.findall(r"--[a-z][a-z-]*", text)}
    assert {"--sandbox", "--imap"} <= named and named <= real, named - real
