"""An authoritative DNS server on loopback serving zones given as zone-file text.

Real wire protocol over UDP and TCP (dnslib), so the product's resolver path — dnspython
with a custom nameserver and port — is exercised exactly as against a real server.
Unlike dnslib's example ZoneResolver it answers NXDOMAIN vs. NODATA correctly, follows
CNAMEs inside its zones and refuses names it is not authoritative for.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping
from typing import Any

from dnslib import QTYPE, RCODE, RR, DNSLabel, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class ZoneSet(BaseResolver):  # type: ignore[misc]
    def __init__(self, zones: Mapping[str, str]) -> None:
        self._lock = threading.Lock()
        self._zones: dict[DNSLabel, list[Any]] = {}
        for origin, text in zones.items():
            self.set_zone(origin, text)

    def set_zone(self, origin: str, text: str) -> None:
        """Replace one zone; relative names in ``text`` are taken relative to ``origin``."""
        origin = origin.rstrip(".") + "."
        records = list(RR.fromZone(f"$ORIGIN {origin}\n$TTL 300\n{text}"))
        with self._lock:
            self._zones[DNSLabel(origin)] = records

    def _zone_of(self, qname: DNSLabel) -> list[Any] | None:
        best: tuple[int, list[Any]] | None = None
        for origin, records in self._zones.items():
            if qname.matchSuffix(origin) and (best is None or len(origin.label) > best[0]):
                best = (len(origin.label), records)
        return best[1] if best else None

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        reply = request.reply()
        qname, qtype = request.q.qname, request.q.qtype
        with self._lock:
            zone = self._zone_of(qname)
            if zone is None:
                reply.header.rcode = RCODE.REFUSED
                return reply
            reply.header.aa = 1
            seen: set[str] = set()
            name = qname
            while True:
                at_name = [rr for rr in zone if rr.rname == name]
                answers = [rr for rr in at_name if qtype in (rr.rtype, QTYPE.ANY)]
                cname = [rr for rr in at_name if rr.rtype == QTYPE.CNAME]
                if answers:
                    reply.add_answer(*answers)
                    break
                if cname and qtype != QTYPE.CNAME and str(name) not in seen:
                    seen.add(str(name))
                    reply.add_answer(*cname)
                    name = cname[0].rdata.label
                    if self._zone_of(name) is not zone:
                        break  # the target lives elsewhere; the resolver chases it
                    continue
                exists = at_name or any(rr.rname.matchSuffix(name) for rr in zone)
                if not exists and not reply.rr:
                    reply.header.rcode = RCODE.NXDOMAIN
                break
            soa = [rr for rr in zone if rr.rtype == QTYPE.SOA]
            if not reply.rr and soa:
                reply.add_auth(*soa)
        return reply


def _free_port() -> int:
    # One port free for both UDP and TCP, so clients can retry over TCP on truncation.
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise OSError("no free port for the sandbox DNS server")


class SandboxDNS:
    """Start with ``start()``; ``address`` is ``127.0.0.1:PORT`` for ``--nameserver``."""

    def __init__(self, zones: Mapping[str, str], port: int | None = None) -> None:
        self.zones = ZoneSet(zones)
        self.port = port or _free_port()
        quiet = DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)
        self._servers = [
            DNSServer(self.zones, port=self.port, address="127.0.0.1", logger=quiet),
            DNSServer(self.zones, port=self.port, address="127.0.0.1", tcp=True, logger=quiet),
        ]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> SandboxDNS:
        for server in self._servers:
            server.start_thread()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.stop()
            server.server.server_close()

    def __enter__(self) -> SandboxDNS:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
