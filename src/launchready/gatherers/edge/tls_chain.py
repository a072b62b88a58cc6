"""The certificate chain exactly as the server sends it, read from a TLS 1.2 handshake.

Python 3.11's ``ssl`` only exposes the leaf (``get_unverified_chain`` arrives in 3.13), and
an incomplete chain — the classic "works in Chrome, fails in curl and in API clients" — is
only visible in what the server sends. In TLS 1.2 the Certificate message travels in clear,
so a ClientHello of our own and a small record parser are enough: no key exchange is done,
nothing is decrypted. A server that speaks only TLS 1.3 encrypts it; then we return None and
the checks fall back on OpenSSL's verification result.
"""

from __future__ import annotations

import asyncio
import os
import struct

# ECDHE/DHE/RSA with AES-GCM, ChaCha20 and AES-CBC, plus the renegotiation SCSV: enough that
# any server still speaking TLS 1.2 finds a suite it can answer with.
_SUITES = bytes.fromhex(
    "c02b c02f c02c c030 cca9 cca8 c023 c027 c009 c013 c00a c014 009e 009f 0033 0039"
    " 009c 009d 003c 002f 0035 000a 00ff".replace(" ", "")
)
_GROUPS = bytes.fromhex("001d 0017 0018 0019 0100".replace(" ", ""))
_SIGALGS = bytes.fromhex("0403 0503 0603 0804 0805 0806 0401 0501 0601 0203 0201".replace(" ", ""))
MAX_BYTES = 256 * 1024


def _vector(data: bytes, length_bytes: int) -> bytes:
    return len(data).to_bytes(length_bytes, "big") + data


def _extension(kind: int, data: bytes) -> bytes:
    return struct.pack(">H", kind) + _vector(data, 2)


def client_hello(server_name: str | None) -> bytes:
    extensions = b""
    if server_name:
        name = server_name.encode("idna")
        extensions += _extension(0, _vector(b"\x00" + _vector(name, 2), 2))
    extensions += _extension(10, _vector(_GROUPS, 2))  # supported_groups
    extensions += _extension(11, b"\x01\x00")  # ec_point_formats: uncompressed
    extensions += _extension(13, _vector(_SIGALGS, 2))  # signature_algorithms
    body = (
        b"\x03\x03"  # TLS 1.2; no supported_versions extension, so no TLS 1.3
        + os.urandom(32)
        + b"\x00"  # no session id
        + _vector(_SUITES, 2)
        + b"\x01\x00"  # null compression only
        + _vector(extensions, 2)
    )
    handshake = b"\x01" + _vector(body, 3)
    return b"\x16\x03\x01" + _vector(handshake, 2)


class _Handshake:
    """Reassembles handshake messages from TLS records (they may span records)."""

    def __init__(self) -> None:
        self.buffer = b""

    def messages(self) -> list[tuple[int, bytes]]:
        out = []
        while len(self.buffer) >= 4:
            kind = self.buffer[0]
            length = int.from_bytes(self.buffer[1:4], "big")
            if len(self.buffer) < 4 + length:
                break
            out.append((kind, self.buffer[4 : 4 + length]))
            self.buffer = self.buffer[4 + length :]
        return out


def parse_certificates(body: bytes) -> tuple[bytes, ...]:
    """The DER certificates of a TLS 1.2 Certificate message body, in the order sent."""
    total = int.from_bytes(body[:3], "big")
    data, certs = body[3 : 3 + total], []
    while len(data) >= 3:
        length = int.from_bytes(data[:3], "big")
        certs.append(data[3 : 3 + length])
        data = data[3 + length :]
    return tuple(certs)


async def presented_chain(
    address: str, port: int, server_name: str | None
) -> tuple[bytes, ...] | None:
    """Certificates sent in a TLS 1.2 handshake; None if the server will not do TLS 1.2."""
    reader, writer = await asyncio.open_connection(address, port)
    try:
        writer.write(client_hello(server_name))
        await writer.drain()
        handshake, seen = _Handshake(), 0
        while seen < MAX_BYTES:
            header = await reader.readexactly(5)
            kind, length = header[0], int.from_bytes(header[3:5], "big")
            payload = await reader.readexactly(length)
            seen += 5 + length
            if kind != 22:  # an alert (21: no TLS 1.2 for us) or anything but a handshake
                return None
            handshake.buffer += payload
            for message, body in handshake.messages():
                if message == 11:  # Certificate
                    return parse_certificates(body)
                if message == 14:  # ServerHelloDone without a certificate (anonymous suite)
                    return ()
        return None
    except asyncio.IncompleteReadError:
        return None  # the server hung up on a TLS 1.2 hello
    finally:
        writer.close()
