"""One resolver and one TLS context for every gatherer.

``--nameserver``, ``--resolve``, ``--connect-to`` and ``--ca-bundle`` end up here, so DNS,
HTTP and TLS probes all see the same world the user pointed us at.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import aiohttp
import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.resolver
from aiohttp.abc import AbstractResolver, ResolveResult

from launchready.config.errors import ConfigError
from launchready.config.model import NetworkConfig
from launchready.config.netspec import (
    HostPort,
    parse_connect_to,
    parse_nameserver,
    parse_resolve,
)


@dataclass(frozen=True)
class Network:
    nameservers: tuple[HostPort, ...] = ()
    ca_bundle: str | None = None
    resolve: dict[HostPort, str] = field(default_factory=dict)
    connect_to: dict[HostPort, HostPort] = field(default_factory=dict)
    timeout_s: float = 10.0

    @classmethod
    def from_config(cls, cfg: NetworkConfig, base_dir: str = ".") -> Network:
        import os

        ca = cfg.ca_bundle
        if ca is not None:
            ca = ca if os.path.isabs(ca) else os.path.join(base_dir, ca)
            if not os.path.isfile(ca):
                raise ConfigError(f"CA bundle {ca!r} does not exist")
        return cls(
            nameservers=tuple(parse_nameserver(n) for n in cfg.nameservers),
            ca_bundle=ca,
            resolve=dict(parse_resolve(r) for r in cfg.resolve),
            connect_to=dict(parse_connect_to(c) for c in cfg.connect_to),
            timeout_s=cfg.timeout_s,
        )

    # --- DNS -------------------------------------------------------------------------
    @cached_property
    def dns(self) -> dns.asyncresolver.Resolver:
        """Our nameservers when given (port included), else the system's."""
        if not self.nameservers:
            resolver = dns.asyncresolver.Resolver()
        else:
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = [
                dns.nameserver.Do53Nameserver(host, port) for host, port in self.nameservers
            ]
        resolver.lifetime = min(self.timeout_s, 5.0)
        resolver.cache = None  # answers from different resolvers must never mix
        return resolver

    async def addresses(self, host: str, port: int) -> list[HostPort]:
        """Where a connection to ``host:port`` goes, after --connect-to and --resolve."""
        key = (host.lower().rstrip("."), port)
        if key in self.connect_to:
            host, port = self.connect_to[key]
            key = (host.lower(), port)
        if key in self.resolve:
            return [(self.resolve[key], port)]
        if is_ip(host):
            return [(host, port)]
        if not self.nameservers:
            loop_infos = await _system_lookup(host, port)
            return loop_infos
        found: list[HostPort] = []
        for rdtype in ("A", "AAAA"):
            try:
                answer = await self.dns.resolve(host, rdtype)
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
                continue
            except dns.exception.DNSException as exc:
                raise OSError(f"DNS lookup of {host} failed: {exc}") from None
            found.extend((r.to_text(), port) for r in answer)
        if not found:
            raise OSError(f"{host} does not resolve")
        return found

    # --- TLS -------------------------------------------------------------------------
    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.ca_bundle)
        return ctx

    # --- HTTP ------------------------------------------------------------------------
    def http_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            resolver=_Resolver(self), ssl=self.ssl_context, use_dns_cache=False
        )
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        return aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=True,
        )


def is_ip(host: str) -> bool:
    """A literal IPv4 or IPv6 address (no brackets), not a name to look up."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def _system_lookup(host: str, port: int) -> list[HostPort]:
    import asyncio

    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return _unique((str(info[4][0]), port) for info in infos)


def _unique(items: Iterable[HostPort]) -> list[HostPort]:
    return list(dict.fromkeys(items))


class _Resolver(AbstractResolver):
    """aiohttp resolver that consults ``Network`` (and so may change the port too)."""

    def __init__(self, network: Network) -> None:
        self._network = network

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results: list[ResolveResult] = []
        for addr, real_port in await self._network.addresses(host, port):
            fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
            results.append(
                ResolveResult(
                    hostname=host,
                    host=addr,
                    port=real_port,
                    family=fam,
                    proto=0,
                    flags=socket.AI_NUMERICHOST,
                )
            )
        return results

    async def close(self) -> None:
        return None
