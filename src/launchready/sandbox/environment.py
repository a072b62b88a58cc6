"""The whole sandbox, started and stopped as one: what `launchready demo` audits.

Everything listens on 127.0.0.1 ports chosen at start; the generated launchready.toml maps
the demo's real-looking names (https://app.demo.test/) onto them through the sandbox DNS
server and curl-style ``connect_to`` entries, so the audit runs exactly as against a
deployed app.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import tempfile
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from launchready.sandbox.dns_server import SandboxDNS
from launchready.sandbox.smtp_server import SmtpReceiver
from launchready.sandbox.tls import TestCA
from launchready.sandbox.web_server import WebServer

DOMAIN = "demo.test"
MODERN_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"
NAMES = ("", "www", "app", "api", "admin")
ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


def fqdn(label: str) -> str:
    return f"{label}.{DOMAIN}" if label else DOMAIN


def demo_zone(*, fixed: bool) -> str:
    hosts = "\n".join(f"{label or '@'} IN A 127.0.0.1" for label in NAMES)
    # planted: p=none lets spoofed resets through; the fixed zone enforces and reports.
    dmarc = '"v=DMARC1; p=reject; rua=mailto:dmarc@demo.test"' if fixed else '"v=DMARC1; p=none"'
    caa = '@ IN CAA 0 issue "letsencrypt.org"' if fixed else ""
    # planted: a 1024-bit DKIM key where RFC 8301 asks for 2048. Generated per run, so no
    # key material sits in the tree; the demo app does not sign, only the key is audited.
    from base64 import b64encode

    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048 if fixed else 1024)
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    p = b64encode(der).decode()
    dkim = " ".join(
        ['"v=DKIM1; k=rsa; p="', *(f'"{p[i : i + 200]}"' for i in range(0, len(p), 200))]
    )
    return f"""\
@ IN SOA ns1 hostmaster 2026112801 3600 600 86400 300
@ IN NS ns1
ns1 IN A 127.0.0.1
mail IN A 127.0.0.1
{hosts}
@ IN MX 10 mail
@ IN TXT "v=spf1 ip4:127.0.0.1 -all"
_dmarc IN TXT {dmarc}
s1._domainkey IN TXT {dkim}
{caa}
"""


CANONICAL = f"app.{DOMAIN}"
# The fixed edge sends the bare domain and www to the app's one canonical origin.
TO_CANONICAL = frozenset({DOMAIN, f"www.{DOMAIN}"})


def _host_and_target(scope: MutableMapping[str, Any]) -> tuple[str, str]:
    headers = dict(scope["headers"])
    host = headers.get(b"host", DOMAIN.encode()).decode("latin-1").split(":")[0].lower()
    path = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
    query = scope.get("query_string", b"").decode("latin-1")
    return host, path + (f"?{query}" if query else "")


async def _moved(send: Callable[[Any], Awaitable[None]], location: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 301,
            "headers": [(b"location", location.encode()), (b"content-length", b"0")],
        }
    )
    await send({"type": "http.response.body", "body": b""})


async def redirect_to_https(
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[Any]],
    send: Callable[[Any], Awaitable[None]],
) -> None:
    """The fixed edge's plain-http listener: a permanent hop to https on the same host first
    (what HSTS preloading asks), from where apex and www move on to the canonical origin."""
    if scope["type"] != "http":
        return
    host, target = _host_and_target(scope)
    await _moved(send, f"https://{host}{target}")


def canonical_origin(app: ASGIApp) -> ASGIApp:
    """The fixed edge's https listener: apex and www move to the canonical origin."""

    async def serve(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] == "http":
            host, target = _host_and_target(scope)
            if host in TO_CANONICAL:
                await _moved(send, f"https://{CANONICAL}{target}")
                return
        await app(scope, receive, send)

    return serve


class Sandbox:
    """``with Sandbox(fixed=False) as sb:`` then audit ``sb.config_path``."""

    def __init__(
        self, *, fixed: bool = False, workdir: str | None = None, activity_rows: int = 120_000
    ) -> None:
        self.fixed = fixed
        self.activity_rows = activity_rows
        self._own_dir = workdir is None
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="launchready-sandbox-"))
        self._stack: list[Callable[[], None]] = []
        self.smtp: SmtpReceiver | None = None
        self.dns: SandboxDNS | None = None
        self.https: WebServer | None = None
        self.http: WebServer | None = None

    @property
    def config_path(self) -> str:
        return str(self.dir / "launchready.toml")

    @property
    def repo_path(self) -> str:
        return str(self.dir / "repo")

    @property
    def db_path(self) -> str:
        return str(self.dir / "demo.db")

    def start(self) -> Sandbox:
        from launchready.sandbox.demo_app import create_app, seed_database
        from launchready.sandbox.demo_repo import build_demo_repo

        try:
            ca = TestCA(self.dir / "tls")
            self.ca_bundle = ca.bundle
            cert = ca.issue("demo", *(fqdn(n) for n in NAMES))
            self.smtp = self._started(SmtpReceiver(control=True))
            seed_database(self.db_path, activity_rows=self.activity_rows, fixed=self.fixed)
            app = create_app(
                db_path=self.db_path,
                smtp_host=self.smtp.host,
                smtp_port=self.smtp.port,
                fixed=self.fixed,
            )
            if self.fixed:
                # AEAD suites only on TLS 1.2 (uvicorn's default list still offers CBC).
                edge = WebServer(canonical_origin(app), cert=cert, ciphers=MODERN_CIPHERS)
                self.https = self._started(edge)
                self.http = self._started(WebServer(redirect_to_https))
            else:
                # planted: apex, www and app all serve the app, and so does plain http.
                self.https = self._started(WebServer(app, cert=cert))
                self.http = self._started(WebServer(app))
            self.dns = self._started(SandboxDNS({DOMAIN: demo_zone(fixed=self.fixed)}))
            build_demo_repo(self.repo_path, fixed=self.fixed)
            sqlite3.connect(self.dir / "scratch.db").close()  # empty: every migration pending
            Path(self.config_path).write_text(self.config_text(), encoding="utf-8")
        except BaseException:
            self.stop()
            raise
        return self

    def _started(self, server: Any) -> Any:
        server.start()
        self._stack.append(server.stop)
        return server

    def connect_to(self) -> list[str]:
        assert self.https and self.http
        entries = []
        for label in NAMES:
            name = fqdn(label)
            entries.append(f"{name}:443:{name}:{self.https.port}")
            entries.append(f"{name}:80:{name}:{self.http.port}")
        return entries

    def config_text(self) -> str:
        from launchready.sandbox.demo_app import ADMIN_EMAIL, DEMO_PASSWORD

        assert self.dns and self.smtp
        q = json.dumps
        connect = ",\n  ".join(q(e) for e in self.connect_to())
        return f"""\
# Generated by the launchready sandbox ({"fixed" if self.fixed else "with planted flaws"}).
[web]
urls = ["https://app.{DOMAIN}/login"]
domain = "{DOMAIN}"
subdomains = ["app", "api", "admin"]
# Fetched signed in ([performance.login]) and anonymously: may a shared cache keep them?
authenticated_urls = ["https://app.{DOMAIN}/admin/settings", "https://app.{DOMAIN}/api/clients"]

[email]
domains = ["{DOMAIN}"]
dkim_selectors = ["s1"]
sending_ips = ["127.0.0.1"]

[network]
nameservers = [{q(self.dns.address)}]
ca_bundle = {q(self.ca_bundle)}
connect_to = [
  {connect}
]

[repo]
path = "repo"

[environments.staging]
env_file = "repo/.env.staging"
url = "https://staging.{DOMAIN}"

[environments.production]
env_file = "repo/.env.production"
url = "https://app.{DOMAIN}"

[database]
url = {q("sqlite:///" + self.db_path)}
hot_queries = [
  "SELECT * FROM activity_logs WHERE client_id = 42 ORDER BY created_at DESC LIMIT 50",
]

[migrations]
path = "repo/migrations"
dialect = "sqlite"

[deploy]
# An empty scratch database: every migration is pending, so the rehearsal runs them all.
scratch_database_url = {q("sqlite:///" + str(self.dir / "scratch.db"))}

[performance]
base_url = "https://app.{DOMAIN}"
users = [1, 2, 8]
duration_s = 5

[[performance.endpoints]]
name = "client list"
method = "GET"
path = "/api/clients"
kind = "read"

[[performance.endpoints]]
name = "client activity"
method = "GET"
path = "/api/clients/42/activity"
kind = "read"

[[performance.endpoints]]
name = "update client"
method = "POST"
path = "/api/clients/42"
kind = "write"
body = '{{"notes": "Checked by the launchready load test, request {{{{n}}}} ({{{{uuid}}}})"}}'

[[performance.background]]
name = "csv export"
method = "GET"
path = "/api/export.csv"

# The demo's documented sign-in (a demo credential, not a secret).
[performance.login]
method = "POST"
path = "/login"
form = {{ email = {q(ADMIN_EMAIL)}, password = {q(DEMO_PASSWORD)} }}

[performance.email]
name = "password reset"
method = "POST"
path = "/password-reset"
form = {{ email = {q(ADMIN_EMAIL)} }}
smtp_delay_url = {q(self.smtp.control_url)}

[monitor]
listen = "127.0.0.1:0"

[[monitor.checks]]
name = "login page"
url = "https://app.{DOMAIN}/login"
expect_status = 200
contains = "Sign in"

[owners]
dns = "Dana"
hosting = "Sam"
email = "Dana"
monitoring = "Sam"
secrets = "Sam"
"""

    def stop(self) -> None:
        while self._stack:
            stop = self._stack.pop()
            with contextlib.suppress(Exception):  # keep stopping the rest
                stop()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
