"""TLS facts per HTTPS origin: the certificate, its chain and trust, protocols and suites.

stdlib ``ssl`` + ``cryptography`` only (sslyze is AGPL-3.0). Each protocol version is probed
with a context of our own pinned to that one version, at OpenSSL security level 0 so that
*our* client never refuses what the server offers: the question is what the server accepts,
not what this machine's defaults allow. Trust is decided by OpenSSL against ``--ca-bundle``
or the system store, with a context at the default security level — what real clients do.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ssl
import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from launchready.core.outcome import Outcome
from launchready.gatherers.base import GatherContext, bounded
from launchready.gatherers.edge.names import tls_targets
from launchready.gatherers.edge.tls_chain import presented_chain
from launchready.gatherers.edge.x509 import CertInfo, describe
from launchready.gatherers.network import Network

CERTIFICATE = "edge.certificate"
TLS_CONFIG = "edge.tls-config"

LEGACY_OK = "ALL:@SECLEVEL=0"
NO_FORWARD_SECRECY = "kRSA:@SECLEVEL=0"
NO_AEAD = "ALL:!AESGCM:!AESCCM:!CHACHA20:!ARIAGCM:!aNULL:!eNULL:@SECLEVEL=0"
# The TLS 1.2 suites current browsers offer, in their order. Python's own default list drops
# every SHA-1 MAC suite, which browsers still accept: judged with it, a CBC-only server would
# look unreachable instead of weak.
BROWSER_CIPHERS = ":".join(
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-AES256-SHA",
        "ECDHE-ECDSA-AES128-SHA",
        "ECDHE-RSA-AES128-SHA",
        "ECDHE-RSA-AES256-SHA",
        "AES128-GCM-SHA256",
        "AES256-GCM-SHA384",
        "AES128-SHA",
        "AES256-SHA",
    )
)
VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
# Failures that mean *our* OpenSSL cannot speak this, not that the server refused it.
_LOCAL_LIMITS = {"NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE", "NO_CIPHER_MATCH"}


@dataclass(frozen=True)
class CertificateFact:
    host: str
    port: int
    address: str  # where the handshake went (after --resolve/--connect-to)
    observed_at: dt.datetime  # so "days left" is a pure function of the fact
    leaf: CertInfo
    presented: tuple[CertInfo, ...] | None  # as sent, leaf first; None: TLS 1.3-only server
    trust_store: str
    verified: bool | None  # None: the verifying handshake failed before the certificate
    verify_code: int | None  # OpenSSL's X509_V_ERR_* when not verified
    verify_message: str | None


@dataclass(frozen=True)
class ProtocolProbe:
    version: str  # TLSv1, TLSv1.1, TLSv1.2, TLSv1.3
    offered: bool | None  # None: this machine's OpenSSL cannot test it (see detail)
    detail: str


@dataclass(frozen=True)
class TlsConfigFact:
    host: str
    port: int
    protocols: tuple[ProtocolProbe, ...]
    negotiated_version: str | None  # what a browser-like client gets
    negotiated_cipher: str | None
    rsa_key_exchange: bool | None  # a TLS 1.2 handshake with only RSA key exchange worked
    cbc_suites: bool | None  # a TLS 1.2 handshake with only non-AEAD suites worked

    def offered(self, version: str) -> bool | None:
        return next((p.offered for p in self.protocols if p.version == version), None)


class _Refused(Exception):
    """The server ended the handshake: it does not accept what this probe offered."""


class _Untestable(Exception):
    """Our own OpenSSL cannot offer this; the server was never asked."""


@dataclass(frozen=True)
class _Shake:
    version: str
    cipher: str
    leaf: bytes


def _probe_context(
    version: ssl.TLSVersion | None = None, ciphers: str = LEGACY_OK
) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        ctx.set_ciphers(ciphers)
        with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated: that is the point
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = version or ssl.TLSVersion.TLSv1
            ctx.maximum_version = version or ssl.TLSVersion.MAXIMUM_SUPPORTED
    except (ssl.SSLError, ValueError) as exc:
        raise _Untestable(str(exc)) from None
    return ctx


async def _handshake(
    address: str, port: int, host: str, ctx: ssl.SSLContext, timeout_s: float
) -> _Shake:
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(address, port, ssl=ctx, server_hostname=host),
            timeout_s,
        )
    except ssl.SSLCertVerificationError:
        raise
    except ssl.SSLError as exc:
        if exc.reason in _LOCAL_LIMITS:
            raise _Untestable(exc.reason or str(exc)) from None
        raise _Refused(exc.reason or str(exc)) from None
    except (ConnectionResetError, asyncio.IncompleteReadError, BrokenPipeError) as exc:
        raise _Refused(f"connection closed during the handshake ({type(exc).__name__})") from None
    try:
        obj = writer.get_extra_info("ssl_object")
        cipher = obj.cipher()
        return _Shake(obj.version() or "?", cipher[0] if cipher else "?", obj.getpeercert(True))
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 1.0)


async def _offers(
    address: str, port: int, host: str, ctx_factory: Any, timeout_s: float
) -> tuple[bool | None, str]:
    try:
        shake = await _handshake(address, port, host, ctx_factory(), timeout_s)
    except _Untestable as exc:
        return None, f"not testable with this machine's OpenSSL ({exc})"
    except _Refused as exc:
        return False, f"refused: {exc}"
    except TimeoutError:
        return False, "no handshake within the time limit"
    return True, f"accepted ({shake.version}, {shake.cipher})"


class TlsProbe:
    def __init__(self, network: Network, timeout_s: float) -> None:
        self.network = network
        self.timeout_s = timeout_s

    @cached_property
    def _verifying_context(self) -> ssl.SSLContext:
        """Built once per probe (loading the trust store is slow) and shared by every target."""
        ctx = ssl.create_default_context(cafile=self.network.ca_bundle)
        ctx.set_ciphers(BROWSER_CIPHERS)
        ctx.check_hostname = False  # hostname is judged by its own check, from the SANs
        return ctx

    @property
    def trust_store(self) -> str:
        bundle = self.network.ca_bundle
        return f"CA bundle {bundle}" if bundle else "system trust store"

    async def _verify(self, address: str, port: int, host: str) -> tuple[bool | None, int, str]:
        try:
            await _handshake(address, port, host, self._verifying_context, self.timeout_s)
        except ssl.SSLCertVerificationError as exc:
            return False, exc.verify_code, exc.verify_message
        except (_Refused, _Untestable, TimeoutError) as exc:
            return None, 0, f"a default client could not complete a handshake: {exc}"
        return True, 0, ""

    async def probe(self, host: str, port: int) -> tuple[CertificateFact, TlsConfigFact]:
        address, real_port = (await self.network.addresses(host, port))[0]
        now = dt.datetime.now(dt.UTC)
        try:
            first = await _handshake(address, real_port, host, _probe_context(), self.timeout_s)
        except (_Refused, _Untestable) as exc:
            raise OSError(f"TLS handshake with {host}:{port} failed: {exc}") from None
        t = self.timeout_s

        def shake(version: str) -> Any:
            return _offers(address, real_port, host, lambda: _probe_context(VERSIONS[version]), t)

        def suites(ciphers: str) -> Any:
            factory = lambda: _probe_context(ssl.TLSVersion.TLSv1_2, ciphers)  # noqa: E731
            return _offers(address, real_port, host, factory, t)

        verify, chain, modern, *results = await asyncio.gather(
            self._verify(address, real_port, host),
            self._chain(address, real_port, host),
            self._modern(address, real_port, host),
            *(shake(v) for v in VERSIONS),
            suites(NO_FORWARD_SECRECY),
            suites(NO_AEAD),
        )
        protocols = tuple(
            ProtocolProbe(v, offered, detail)
            for v, (offered, detail) in zip(VERSIONS, results[: len(VERSIONS)], strict=True)
        )
        tls12 = next(p.offered for p in protocols if p.version == "TLSv1.2")
        rsa_kex, cbc = (r[0] if tls12 else None for r in results[len(VERSIONS) :])
        verified, code, message = verify
        cert = CertificateFact(
            host=host,
            port=port,
            address=address,
            observed_at=now,
            leaf=describe(first.leaf),
            presented=tuple(describe(der) for der in chain) if chain else None,
            trust_store=self.trust_store,
            verified=verified,
            verify_code=code if verified is False else None,
            verify_message=message or None,
        )
        config = TlsConfigFact(
            host=host,
            port=port,
            protocols=protocols,
            negotiated_version=modern.version if modern else None,
            negotiated_cipher=modern.cipher if modern else None,
            rsa_key_exchange=rsa_kex,
            cbc_suites=cbc,
        )
        return cert, config

    async def _chain(self, address: str, port: int, host: str) -> tuple[bytes, ...] | None:
        try:
            return await asyncio.wait_for(presented_chain(address, port, host), self.timeout_s)
        except (TimeoutError, OSError):
            return None  # the chain is a diagnosis aid; trust is decided by _verify

    @cached_property
    def _modern_context(self) -> ssl.SSLContext:
        """A browser-like client that does not verify; built once per probe."""
        ctx = ssl.create_default_context()
        ctx.set_ciphers(BROWSER_CIPHERS)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx

    async def _modern(self, address: str, port: int, host: str) -> _Shake | None:
        try:
            return await _handshake(address, port, host, self._modern_context, self.timeout_s)
        except (_Refused, _Untestable, TimeoutError):
            return None


class TlsGatherer:
    name: str = "tls"
    provides: tuple[str, ...] = (CERTIFICATE, TLS_CONFIG)

    async def gather(self, ctx: GatherContext) -> list[Outcome[Any]]:
        targets = tls_targets(ctx.config.web)
        if not targets:
            reason = "no https:// URL or domain configured"
            return [Outcome.skipped(fact, "-", reason) for fact in self.provides]
        ctx.progress.started("edge: TLS")
        probe = TlsProbe(ctx.network, ctx.timeout_s)
        groups = await asyncio.gather(*(self._one(probe, h, p, ctx) for h, p in targets))
        ctx.progress.finished("edge: TLS")
        return [o for group in groups for o in group]

    async def _one(
        self, probe: TlsProbe, host: str, port: int, ctx: GatherContext
    ) -> list[Outcome[Any]]:
        target = host if port == 443 else f"{host}:{port}"
        both = await bounded(CERTIFICATE, target, probe.probe(host, port), ctx.timeout_s)
        if both.value is None:
            return [both, Outcome.error(TLS_CONFIG, target, both.reason)]
        cert, config = both.value
        return [Outcome.ok(CERTIFICATE, target, cert), Outcome.ok(TLS_CONFIG, target, config)]
