"""Loopback ports for the sandbox's servers."""

from __future__ import annotations

import socket


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the server binds it next)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
