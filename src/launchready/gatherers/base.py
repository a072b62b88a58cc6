"""The gatherer interface and the helpers every gatherer shares."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import aiohttp

from launchready.config.model import AuditConfig
from launchready.core.outcome import Outcome
from launchready.gatherers.network import Network

T = TypeVar("T")


class Progress(Protocol):
    """What the engine tells a progress display; the CLI decides how to show it."""

    def started(self, label: str) -> None: ...

    def finished(self, label: str) -> None: ...


class NoProgress:
    def started(self, label: str) -> None:
        return None

    def finished(self, label: str) -> None:
        return None


@dataclass(frozen=True)
class GatherContext:
    config: AuditConfig
    network: Network
    progress: Progress
    timeout_s: float = 30.0


class Gatherer(Protocol):
    name: str
    provides: tuple[str, ...]

    async def gather(self, ctx: GatherContext) -> list[Outcome[Any]]: ...


async def bounded(fact: str, target: str, work: Awaitable[T], timeout_s: float) -> Outcome[T]:
    """Run one target's probe with a deadline; an exception becomes an error outcome.

    Only ``OSError``-like and protocol failures are expected here; they carry a reason a
    user can act on ("connection refused"), never a traceback.
    """
    try:
        value = await asyncio.wait_for(work, timeout_s)
    except TimeoutError:
        return Outcome.error(fact, target, f"no answer within {timeout_s:g} s")
    except Exception as exc:  # noqa: BLE001 - the reason goes into the report
        return Outcome.error(fact, target, describe_error(exc))
    return Outcome.ok(fact, target, value)


def describe_error(exc: BaseException) -> str:
    """A one-line, human reason for a failed probe."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"TLS certificate not accepted: {exc.certificate_error}"
    if isinstance(exc, aiohttp.ClientConnectorSSLError | ssl.SSLError):
        return f"TLS handshake failed: {getattr(exc, 'reason', None) or exc}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        why = exc.os_error.strerror or str(exc.os_error) or type(exc.os_error).__name__
        return f"cannot connect to {exc.host}:{exc.port}: {why}"
    if isinstance(exc, aiohttp.ClientError | OSError):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"
