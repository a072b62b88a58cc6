"""The edge lab: real HTTPS and HTTP servers on loopback with deliberately bad configurations.

One clean origin and, beside it, one planted problem per server, host or path — expired,
soon-expiring, self-signed and wrong-host certificates, a missing intermediate, TLS 1.0
(where this machine's OpenSSL can still speak it), a 1024-bit SHA-1 certificate with only
CBC and RSA-key-exchange suites, a TLS 1.3-only server; every header problem; cacheable
signed-in pages; redirects that loop, hop over plain http, fall back to it from https or stay
temporary. The edge tests and ``bench/observatory_agreement.py`` audit it; nothing leaves
127.0.0.1.

Servers are a few lines of HTTP/1.1 over asyncio streams (no framework) so each can send
exactly the bytes a misconfigured server sends. All run on one event loop in one thread.

Names: ``<profile>.lab.test`` selects a profile by host (through the lab's DNS zone and
``connect_to``); ``localhost`` and ``127.0.0.1`` select it by path, ``/p/<profile>/``, for
tools that cannot be pointed at our DNS (Mozilla's Observatory).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gzip
import json
import ssl
import threading
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from launchready.sandbox.dns_server import SandboxDNS
from launchready.sandbox.tls import ServerCert, TestCA

DOMAIN = "lab.test"
TWIN = "twin.test"  # a second domain whose apex and www both serve: no canonical origin
SESSION = "lab-session-token"
VENDOR = "https://cdn.lab-vendor.test"
CLEAN_CSP = (
    f"default-src 'none'; script-src 'self' {VENDOR}; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
CLEAN_HEADERS: dict[str, str] = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "Content-Security-Policy": CLEAN_CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}
CLEAN_COOKIE = "session=anonymous; Path=/; Secure; HttpOnly; SameSite=Lax"
VENDOR_SCRIPT = (
    f'<script src="{VENDOR}/lib.js" crossorigin="anonymous" '
    'integrity="sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC">'
    "</script>"
)


@dataclass(frozen=True)
class Profile:
    """How one planted problem differs from the clean page."""

    drop: tuple[str, ...] = ()  # clean headers left out
    set: tuple[tuple[str, str], ...] = ()  # headers replaced or added
    cookie: str | None = CLEAN_COOKIE
    head: str = VENDOR_SCRIPT  # extra markup in <head>
    compress: bool = True
    delay_s: float = 0.0
    cors: str = ""  # "reflect" or "reflect-credentials"
    http: str = "redirect"  # plain-http behaviour: redirect, none, temporary, plainhop, offhost


def _csp(**changes: str) -> tuple[tuple[str, str], ...]:
    directives = dict(d.strip().split(" ", 1) for d in CLEAN_CSP.split(";"))
    for name, value in changes.items():
        directives[name.replace("_", "-")] = value
    policy = "; ".join(f"{k} {v}".strip() for k, v in directives.items() if v != "-")
    return (("Content-Security-Policy", policy),)


PROFILES: dict[str, Profile] = {
    "clean": Profile(),
    "no-headers": Profile(drop=tuple(CLEAN_HEADERS), cookie="session=abc; Path=/"),
    "hsts-short": Profile(set=(("Strict-Transport-Security", "max-age=86400"),)),
    "hsts-nosub": Profile(set=(("Strict-Transport-Security", "max-age=63072000"),)),
    "csp-unsafe-inline": Profile(set=_csp(script_src=f"'self' 'unsafe-inline' {VENDOR}")),
    "csp-unsafe-eval": Profile(set=_csp(script_src=f"'self' 'unsafe-eval' {VENDOR}")),
    "csp-broad": Profile(set=_csp(script_src="'self' https:")),
    "csp-no-fallback": Profile(
        set=(
            (
                "Content-Security-Policy",
                f"script-src 'self' {VENDOR}; frame-ancestors 'none'; base-uri 'none'; "
                "form-action 'self'",
            ),
        )
    ),
    "csp-nonce": Profile(set=_csp(script_src="'nonce-r4nd0m' 'unsafe-inline' 'strict-dynamic'")),
    "csp-lax-profile": Profile(
        set=(("Content-Security-Policy", "default-src 'self'; object-src 'none'"),)
    ),
    "csp-report-only": Profile(
        drop=("Content-Security-Policy",),
        set=(("Content-Security-Policy-Report-Only", CLEAN_CSP),),
    ),
    "xfo-missing": Profile(drop=("X-Frame-Options",), set=_csp(frame_ancestors="-")),
    "xfo-allow-from": Profile(
        set=(("X-Frame-Options", "ALLOW-FROM https://partner.lab.test"), *_csp(frame_ancestors="-"))
    ),
    "nosniff-missing": Profile(drop=("X-Content-Type-Options",)),
    "referrer-unsafe": Profile(set=(("Referrer-Policy", "unsafe-url"),)),
    "referrer-missing": Profile(drop=("Referrer-Policy",)),
    "permissions-missing": Profile(drop=("Permissions-Policy",)),
    "coop-missing": Profile(drop=("Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy")),
    "cors-credentials": Profile(cors="reflect-credentials"),
    "cors-reflect": Profile(cors="reflect"),
    "sri-missing": Profile(head=f'<script src="{VENDOR}/lib.js"></script>'),
    "sri-sibling": Profile(head='<script src="https://static.lab.test/app.js"></script>'),
    "mixed-active": Profile(head='<script src="http://cdn.lab-vendor.test/lib.js"></script>'),
    "mixed-passive": Profile(head='<img src="http://cdn.lab-vendor.test/logo.png" alt="">'),
    "cookie-insecure": Profile(cookie="session=abc; Path=/; HttpOnly; SameSite=Lax"),
    "cookie-no-httponly": Profile(cookie="session=abc; Path=/; Secure; SameSite=Lax"),
    "cookie-no-samesite": Profile(cookie="session=abc; Path=/; Secure; HttpOnly"),
    "cookie-cacheable": Profile(set=(("Cache-Control", "public, max-age=600"),)),
    "uncompressed": Profile(compress=False),
    "slow": Profile(delay_s=2.2),
    "static-short": Profile(head='<link rel="stylesheet" href="/static/short.css">'),
    "behind-cdn": Profile(set=(("Server", "cloudflare"), ("CF-Ray", "8f1c2a3b4c5d6e7f-AMS"))),
    "no-redirect": Profile(http="none"),
    "temp-redirect": Profile(http="temporary"),
    "plainhop": Profile(http="plainhop"),
    "offhost": Profile(http="offhost"),
    "hops": Profile(),
    "loop": Profile(),
    "downgrade": Profile(),  # https:// → http:// → https://: a fall back inside the chain
}
# Signed-in pages at https://clean.lab.test/admin/<variant>: the headers each answers with.
ADMIN_PAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "ok": (("Cache-Control", "private, no-store"),),
    "public": (("Cache-Control", "public, max-age=600"),),
    "s-maxage": (("Cache-Control", "s-maxage=300"),),
    "no-cache-control": (),
    "cdn-hit": (("Cache-Control", "max-age=60"), ("CF-Cache-Status", "HIT"), ("Age", "42")),
    "set-cookie": (("Cache-Control", "max-age=300"), ("Set-Cookie", "seen=1; Path=/; Secure")),
}
# Certificates and TLS settings with a listener of their own; every other name is "main".
TLS_PROFILES = (
    "expired",
    "expiring",
    "wronghost",
    "nochain",
    "selfsigned",
    "tls10",
    "legacy",
    "tls13only",
    "cbc",
)
EXTRA_NAMES = ("www", "static", "hops2", "hops3")  # targets of redirects and sibling hosts


# --- a minimal HTTP/1.1 server ---------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    host: str  # without port
    port: int | None  # from the Host header

    @property
    def cookies(self) -> dict[str, str]:
        pairs = (p.strip().partition("=") for p in self.headers.get("cookie", "").split(";"))
        return {k: v for k, _, v in pairs if k}


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    delay_s: float = 0.0


Handler = Callable[[Request], Reply]
_REASONS = {200: "OK", 204: "No Content", 301: "Moved Permanently", 302: "Found"}
_REASONS |= {303: "See Other", 307: "Temporary Redirect", 404: "Not Found", 405: "Not Allowed"}


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = await reader.readexactly(length) if length else b""
    path, _, query = target.partition("?")
    host, _, port = headers.get("host", "").rpartition(":")
    if not host or not port.isdigit():
        host, port = headers.get("host", ""), ""
    return Request(method, path, query, headers, body, host.lower(), int(port) if port else None)


def _serialise(reply: Reply, request: Request) -> bytes:
    headers = list(reply.headers)
    body = reply.body
    wants_gzip = "gzip" in request.headers.get("accept-encoding", "")
    if ("Content-Encoding", "gzip") in headers and not wants_gzip:
        headers.remove(("Content-Encoding", "gzip"))
    elif ("Content-Encoding", "gzip") in headers:
        body = gzip.compress(body)
    headers += [("Content-Length", str(len(body))), ("Connection", "close")]
    lines = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}"]
    lines += [f"{k}: {v}" for k, v in headers]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + (b"" if request.method == "HEAD" else body)


def _connection(handler: Handler) -> Callable[..., Awaitable[None]]:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await _read_request(reader)
            if request is not None:
                reply = handler(request)
                if reply.delay_s:
                    await asyncio.sleep(reply.delay_s)
                writer.write(_serialise(reply, request))
                await writer.drain()
        except (OSError, ValueError, asyncio.IncompleteReadError, TimeoutError, ssl.SSLError):
            pass  # a probe that hangs up mid-handshake or mid-request is expected here
        finally:
            writer.close()

    return serve


async def _blackhole(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accepts the connection and never says a word: a host that does not answer."""
    try:
        await asyncio.sleep(3600)
    finally:
        writer.close()


# --- certificates ----------------------------------------------------------------------


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(folder: Path, name: str, cert_pem: bytes, key: Any) -> ServerCert:
    cert_file, key_file = folder / f"{name}.pem", folder / f"{name}-key.pem"
    cert_file.write_bytes(cert_pem)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ServerCert(str(cert_file), str(key_file))


def self_signed(folder: Path, host: str) -> ServerCert:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .issuer_name(_name(host))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _write(folder, "selfsigned", cert.public_bytes(serialization.Encoding.PEM), key)


_SHA256_RSA = bytes.fromhex("06092a864886f70d01010b")
_SHA1_RSA = bytes.fromhex("06092a864886f70d010105")


def legacy_certificate(folder: Path, host: str) -> tuple[ServerCert, str]:
    """A 1024-bit RSA certificate signed with SHA-1, living five years, from its own RSA root.

    ``cryptography`` no longer signs with SHA-1, so the certificate is built with SHA-256,
    its two algorithm identifiers are swapped for sha1WithRSAEncryption (same length in DER)
    and the new to-be-signed part is signed again. Returns the cert and the root's PEM.
    """
    root_key = rsa.generate_private_key(65537, 2048)
    now = dt.datetime.now(dt.UTC)
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("launchready legacy lab root"))
        .issuer_name(_name("launchready legacy lab root"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(65537, 1024)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=5 * 365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    der = leaf.public_bytes(serialization.Encoding.DER).replace(_SHA256_RSA, _SHA1_RSA)
    tbs = x509.load_der_x509_certificate(der).tbs_certificate_bytes
    signature = root_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    der = der[: -len(signature)] + signature  # the BIT STRING ends the certificate
    pem = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
    return _write(folder, "legacy", pem, key), root.public_bytes(
        serialization.Encoding.PEM
    ).decode()


def tls10_unavailable() -> str | None:
    """Why this machine's OpenSSL cannot do a TLS 1.0 handshake with itself, or None."""
    folder_ca = trustme.CA()
    leaf = folder_ca.issue_cert("tls10.check")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            for ctx in (server, client):
                ctx.set_ciphers("ALL:@SECLEVEL=0")
                ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1
        leaf.configure_cert(server)
        client.check_hostname, client.verify_mode = False, ssl.CERT_NONE
        s_in, s_out, c_in, c_out = (ssl.MemoryBIO() for _ in range(4))
        s = server.wrap_bio(s_in, s_out, server_side=True)
        c = client.wrap_bio(c_in, c_out, server_hostname="tls10.check")
        for _ in range(10):
            for side, outgoing, incoming in ((c, c_out, s_in), (s, s_out, c_in)):
                with contextlib.suppress(ssl.SSLWantReadError):
                    side.do_handshake()
                incoming.write(outgoing.read())
            if c.version() == "TLSv1" and s.version() == "TLSv1":
                return None
        return "the TLS 1.0 handshake did not complete"
    except (ssl.SSLError, ValueError, AttributeError) as exc:
        return f"this machine's OpenSSL refuses TLS 1.0: {exc}"


# --- pages -----------------------------------------------------------------------------

_STATIC = {
    "/static/app.css": (
        b"body{font:15px system-ui}",
        "text/css",
        "public, max-age=31536000, immutable",
    ),
    "/static/app.js": (
        b"console.log('lab')",
        "text/javascript",
        "public, max-age=31536000, immutable",
    ),
    "/static/short.css": (b"main{margin:0}", "text/css", "public, max-age=60"),
}
_FILLER = " ".join(["Every client, every activity log, every invite: all in one place."] * 24)


def page_html(profile: Profile, title: str) -> bytes:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title><link rel='stylesheet' href='/static/app.css'>"
        f"<script src='/static/app.js'></script>{profile.head}</head><body><main>"
        "<h1>Sign in</h1><form method='post' action='/login'><input name='email'>"
        f"<input name='password' type='password'><button>Sign in</button></form><p>{_FILLER}</p>"
        "</main></body></html>"
    ).encode()


def _cors(profile: Profile, request: Request) -> list[tuple[str, str]]:
    origin = request.headers.get("origin")
    if not origin or not profile.cors:
        return []
    headers = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
    if profile.cors == "reflect-credentials":
        headers.append(("Access-Control-Allow-Credentials", "true"))
    return headers


class LabSite:
    """The request handler behind every lab listener; it knows the lab's ports.

    ``seen`` logs every request as ``(scheme, request)``, so tests can see which headers
    went where (credentials must never reach plain http or another host).
    """

    def __init__(self) -> None:
        self.main_port = 0
        self.http_port = 0
        self.seen: list[tuple[str, Request]] = []

    def profile_of(self, request: Request) -> tuple[str, str]:
        """``(profile, rest of path)`` from the host name or, for localhost, the path."""
        if request.host in ("localhost", "127.0.0.1"):
            parts = request.path.split("/", 3)
            if len(parts) > 2 and parts[1] == "p":
                return parts[2], "/" + (parts[3] if len(parts) > 3 else "")
            return "clean", request.path
        label = request.host.removesuffix("." + DOMAIN).removesuffix(DOMAIN)
        return (label.split(".")[-1] or "clean"), request.path

    def https(self, request: Request) -> Reply:
        self.seen.append(("https", request))
        name, path = self.profile_of(request)
        if name == "downgrade" and path == "/":
            return Reply(301, [("Location", f"http://{request.host}/step")])
        if path in _STATIC:
            body, kind, cache = _STATIC[path]
            return Reply(200, [("Content-Type", kind), ("Cache-Control", cache)], body)
        if name == "loop":
            step = "/again" if path == "/" else "/"
            return Reply(302, [("Location", f"https://{request.host}{step}")])
        if request.host.startswith("hops"):  # hops → hops2 → hops3: three origin changes
            nxt = {"hops": "hops2", "hops2": "hops3"}.get(request.host.split(".")[0])
            if nxt:
                return Reply(301, [("Location", f"https://{nxt}.{DOMAIN}/")])
        if request.host == DOMAIN:  # the lab's canonical origin is www
            return Reply(301, [("Location", f"https://www.{DOMAIN}{path}")])
        if path == "/login" and request.method == "POST":
            if b"email=admin%40lab.test" not in request.body:
                return Reply(401, [("Content-Type", "text/plain")], b"wrong email or password")
            cookie = f"session={SESSION}; Path=/; Secure; HttpOnly; SameSite=Lax"
            return Reply(303, [("Location", "/admin/ok"), ("Set-Cookie", cookie)])
        if path.startswith("/admin/"):
            return self.admin(request, path.removeprefix("/admin/"))
        profile = PROFILES.get(name, PROFILES["clean"])
        if request.method == "OPTIONS":
            return Reply(204, [("Allow", "GET, POST, OPTIONS"), *_cors(profile, request)])
        return self.page(profile, name, request)

    def page(self, profile: Profile, name: str, request: Request) -> Reply:
        headers = [(k, v) for k, v in CLEAN_HEADERS.items() if k not in profile.drop]
        for key, value in profile.set:
            headers = [(k, v) for k, v in headers if k != key] + [(key, value)]
        headers.append(("Content-Type", "text/html; charset=utf-8"))
        if profile.cookie:
            headers.append(("Set-Cookie", profile.cookie))
        if profile.compress:
            headers.append(("Content-Encoding", "gzip"))
        headers += _cors(profile, request)
        return Reply(200, headers, page_html(profile, f"lab: {name}"), profile.delay_s)

    def admin(self, request: Request, variant: str) -> Reply:
        if request.cookies.get("session") != SESSION:
            return Reply(302, [("Location", "/login"), ("Cache-Control", "no-store")])
        if variant not in ADMIN_PAGES:
            return Reply(404, [("Content-Type", "text/plain")], b"no such admin page")
        body = json.dumps({"signed_in_as": "admin@lab.test", "team": ["Avery", "Sam"]})
        security = [(k, v) for k, v in CLEAN_HEADERS.items() if k != "Cache-Control"]
        headers = [*security, ("Content-Type", "application/json"), *ADMIN_PAGES[variant]]
        return Reply(200, headers, body.encode())

    def http(self, request: Request) -> Reply:
        self.seen.append(("http", request))
        name, path = self.profile_of(request)
        profile = PROFILES.get(name, PROFILES["clean"])
        local = request.host in ("localhost", "127.0.0.1")
        port = f":{self.main_port}" if local else ""
        here = f"https://{request.host}{port}{request.path}"
        if profile.http == "none":
            return self.page(profile, name, request)
        if profile.http == "temporary":
            return Reply(302, [("Location", here)])
        if profile.http == "plainhop" and not request.path.endswith("/step2"):
            hop = f"http://{request.host}{':' + str(self.http_port) if local else ''}"
            return Reply(301, [("Location", f"{hop}{request.path.rstrip('/')}/step2")])
        if profile.http == "plainhop":
            return Reply(301, [("Location", here.removesuffix("step2"))])
        if profile.http == "offhost":
            other = (
                f"https://127.0.0.1{port}{request.path}" if local else f"https://clean.{DOMAIN}/"
            )
            return Reply(301, [("Location", other)])
        return Reply(301, [("Location", here)])


# --- the lab ---------------------------------------------------------------------------


class EdgeLab:
    """``with EdgeLab(folder) as lab:`` then audit ``lab.url(profile)`` with ``lab.network``."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.ca = TestCA(self.folder / "ca")
        self.site = LabSite()
        self.tls10_reason = tls10_unavailable()
        self.ports: dict[str, int] = {}  # listener name → port
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(lambda loop, context: None)  # probes hang up a lot
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="edge-lab")
        self._servers: list[asyncio.AbstractServer] = []
        self.dns: SandboxDNS | None = None
        self.ca_bundle = ""

    # names ---------------------------------------------------------------------------
    @staticmethod
    def host(profile: str) -> str:
        return f"{profile}.{DOMAIN}"

    def url(self, profile: str, path: str = "/") -> str:
        return f"https://{self.host(profile)}{path}"

    def names(self) -> list[str]:
        labels = [*PROFILES, *TLS_PROFILES, *EXTRA_NAMES]
        return [DOMAIN, *(self.host(p) for p in labels), TWIN, f"www.{TWIN}"]

    def listener_of(self, name: str) -> str:
        label = name.removesuffix("." + DOMAIN)
        return label if label in TLS_PROFILES else "main"

    def connect_to(self) -> list[str]:
        entries = []
        for name in self.names():
            entries.append(f"{name}:443:127.0.0.1:{self.ports[self.listener_of(name)]}")
            entries.append(f"{name}:80:127.0.0.1:{self.ports['http']}")
        return entries

    def zones(self) -> dict[str, str]:
        soa = "@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\nns IN A 127.0.0.1\n"
        labels = [*PROFILES, *TLS_PROFILES, *EXTRA_NAMES]
        lab = soa + "@ IN A 127.0.0.1\n" + "".join(f"{p} IN A 127.0.0.1\n" for p in labels)
        lab += f"dangling IN CNAME gone.{DOMAIN}.\n" + '@ IN CAA 0 issue "letsencrypt.org"\n'
        twin = soa + "@ IN A 127.0.0.1\nwww IN A 127.0.0.1\n"  # and no CAA anywhere
        return {DOMAIN: lab, TWIN: twin}

    # servers -------------------------------------------------------------------------
    def _contexts(self) -> dict[str, ssl.SSLContext]:
        now = dt.datetime.now(dt.UTC)
        names = ("localhost", "127.0.0.1", DOMAIN, f"*.{DOMAIN}", TWIN, f"*.{TWIN}")
        main = self.ca.issue("main", *names, via_intermediate=True)
        certs: dict[str, ServerCert] = {
            "main": main,
            "expired": self.ca.issue(
                "expired",
                self.host("expired"),
                not_before=now - dt.timedelta(days=100),
                not_after=now - dt.timedelta(days=1),
            ),
            "expiring": self.ca.issue(
                "expiring", self.host("expiring"), not_after=now + dt.timedelta(days=10)
            ),
            "wronghost": self.ca.issue("wronghost", self.host("other")),
            "nochain": self.ca.issue(
                "nochain", self.host("nochain"), via_intermediate=True, send_chain=False
            ),
            "selfsigned": self_signed(self.folder, self.host("selfsigned")),
            "tls10": main,
            "tls13only": main,
            "cbc": main,
        }
        legacy, legacy_root = legacy_certificate(self.folder, self.host("legacy"))
        certs["legacy"] = legacy
        self.ca_bundle = str(self.folder / "lab-bundle.pem")
        Path(self.ca_bundle).write_text(Path(self.ca.bundle).read_text() + legacy_root)
        contexts = {}
        for name, cert in certs.items():
            if name == "tls10" and self.tls10_reason:
                continue
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                if name == "tls10":
                    ctx.set_ciphers("ALL:@SECLEVEL=0")
                    ctx.minimum_version = ssl.TLSVersion.TLSv1
                if name == "legacy":  # CBC only, RSA key exchange allowed, no TLS 1.3
                    ctx.set_ciphers("AES128-SHA:AES256-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0")
                    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
                if name == "tls13only":
                    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
                if name == "cbc":  # forward secret, but CBC only and no TLS 1.3
                    ctx.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA")
                    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
                if name in ("main", "expired", "expiring", "wronghost", "nochain", "selfsigned"):
                    ctx.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")  # Mozilla "intermediate"
            ctx.load_cert_chain(cert.cert_file, cert.key_file)
            contexts[name] = ctx
        return contexts

    async def _listen(self, name: str, handler: Any, ctx: ssl.SSLContext | None) -> None:
        server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=ctx)
        self._servers.append(server)
        self.ports[name] = server.sockets[0].getsockname()[1]

    async def _start_servers(self) -> None:
        for name, ctx in self._contexts().items():
            await self._listen(name, _connection(self.site.https), ctx)
        await self._listen("http", _connection(self.site.http), None)
        await self._listen("blackhole", _blackhole, None)
        self.site.main_port, self.site.http_port = self.ports["main"], self.ports["http"]

    def start(self) -> EdgeLab:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start_servers(), self._loop).result(30)
        self.dns = SandboxDNS(self.zones()).start()
        return self

    def stop(self) -> None:
        async def close() -> None:
            for server in self._servers:
                server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        if self.dns:
            self.dns.stop()

    def __enter__(self) -> EdgeLab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # what an audit needs -------------------------------------------------------------
    @property
    def nameserver(self) -> str:
        assert self.dns
        return self.dns.address

    def network(self) -> dict[str, Any]:
        """``[network]`` settings that route every lab name to its listener."""
        return {
            "nameservers": [self.nameserver],
            "ca_bundle": self.ca_bundle,
            "connect_to": self.connect_to(),
        }
