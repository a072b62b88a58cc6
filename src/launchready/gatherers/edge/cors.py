"""CORS as another site sees it: the page fetched, and preflighted, from a foreign Origin.

A simple GET with credentials needs no preflight, so both answers matter; Mozilla's
Observatory looks at the preflight only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp

from launchready.gatherers.edge.http import HasHeaders

CORS = "edge.cors"
PROBE_ORIGIN = "https://launchready-probe.invalid"


@dataclass(frozen=True)
class CorsAnswer(HasHeaders):
    method: str  # GET or OPTIONS (preflight)
    status: int
    headers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class CorsFact:
    url: str
    origin: str  # the foreign Origin we sent
    answers: tuple[CorsAnswer, ...]


async def probe_cors(
    session: aiohttp.ClientSession, url: str, credentials: Mapping[str, str]
) -> CorsFact:
    answers = []
    requests = (
        ("GET", {"Origin": PROBE_ORIGIN}),
        ("OPTIONS", {"Origin": PROBE_ORIGIN, "Access-Control-Request-Method": "GET"}),
    )
    for method, extra in requests:
        headers = {**credentials, **extra}
        async with session.request(method, url, headers=headers, allow_redirects=False) as resp:
            await resp.content.read(64 * 1024)
            answers.append(CorsAnswer(method, resp.status, tuple(resp.headers.items())))
    return CorsFact(url, PROBE_ORIGIN, tuple(answers))
