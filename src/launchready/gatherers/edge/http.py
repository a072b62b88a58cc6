"""HTTP facts: the page at each configured URL and the redirect chain from plain http.

Redirects are followed by hand, one hop at a time, so the report can show every hop
(status, location) — the redirect map is a deliverable, not an implementation detail.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import aiohttp

from launchready.core.outcome import Outcome
from launchready.gatherers.base import GatherContext, bounded

PAGE = "edge.page"
REDIRECTS = "edge.redirects"
REACH = "edge.reach"
MAX_HOPS = 10
BODY_LIMIT = 2 * 1024 * 1024


@dataclass(frozen=True)
class Cookie:
    name: str
    secure: bool
    http_only: bool
    same_site: str | None  # as sent; None when absent
    attributes: tuple[str, ...]


@dataclass(frozen=True)
class PageFact:
    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    cookies: tuple[Cookie, ...]
    elapsed_ms: float
    body_bytes: int

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


@dataclass(frozen=True)
class Reach:
    """Whether an HTTP answer came back at all; ``problem`` says why not."""

    url: str
    status: int | None
    problem: str | None


@dataclass(frozen=True)
class Hop:
    url: str
    status: int | None
    location: str | None
    error: str | None = None


@dataclass(frozen=True)
class RedirectChain:
    start: str
    hops: tuple[Hop, ...]

    @property
    def final(self) -> Hop:
        return self.hops[-1]


def parse_set_cookie(header: str) -> Cookie:
    """RFC 6265 §5.2: name=value, then attributes separated by ';' (case-insensitive)."""
    first, *attrs = header.split(";")
    name = first.partition("=")[0].strip()
    secure = http_only = False
    same_site: str | None = None
    names: list[str] = []
    for attr in attrs:
        key, _, value = attr.strip().partition("=")
        low = key.strip().lower()
        names.append(low)
        if low == "secure":
            secure = True
        elif low == "httponly":
            http_only = True
        elif low == "samesite":
            same_site = value.strip()
    return Cookie(name, secure, http_only, same_site, tuple(names))


async def fetch_page(session: aiohttp.ClientSession, url: str) -> PageFact:
    started = time.perf_counter()
    async with session.get(url, allow_redirects=False) as resp:
        body = await resp.content.read(BODY_LIMIT)
        elapsed = (time.perf_counter() - started) * 1000
        cookies = tuple(parse_set_cookie(h) for h in resp.headers.getall("Set-Cookie", []))
        return PageFact(
            url=url,
            status=resp.status,
            headers=tuple((k, v) for k, v in resp.headers.items()),
            cookies=cookies,
            elapsed_ms=round(elapsed, 1),
            body_bytes=len(body),
        )


async def follow_redirects(session: aiohttp.ClientSession, start: str) -> RedirectChain:
    hops: list[Hop] = []
    url = start
    seen: set[str] = set()
    for _ in range(MAX_HOPS):
        seen.add(url)
        try:
            async with session.get(url, allow_redirects=False) as resp:
                location = resp.headers.get("Location")
                hops.append(Hop(url, resp.status, location))
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            from launchready.gatherers.base import describe_error

            hops.append(Hop(url, None, None, describe_error(exc)))
            break
        if not (300 <= resp.status < 400 and location):
            break
        url = urljoin(url, location)
        if url in seen:
            hops.append(Hop(url, None, None, "redirect loop"))
            break
    return RedirectChain(start, tuple(hops))


def http_counterpart(url: str) -> str | None:
    """The plain-http address a person typing the host would reach first.

    Only for the default HTTPS port: behind a custom port nobody types the bare host.
    """
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.port not in (None, 443):
        return None
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    return urlunsplit(("http", netloc, "/", "", ""))


def reach_of(page: Outcome[PageFact]) -> Outcome[Reach]:
    """A page that did not answer is itself a fact: the customer cannot reach it either."""
    if page.value is not None:
        return Outcome.ok(REACH, page.target, Reach(page.target, page.value.status, None))
    return Outcome.ok(REACH, page.target, Reach(page.target, None, page.reason))


class HttpGatherer:
    name: str = "http"
    provides: tuple[str, ...] = (PAGE, REACH, REDIRECTS)

    async def gather(self, ctx: GatherContext) -> list[Outcome[Any]]:
        urls = ctx.config.web.urls
        if not urls:
            reason = "no URL configured ([web].urls or --url)"
            return [Outcome.skipped(fact, "-", reason) for fact in self.provides]
        ctx.progress.started("edge: pages and redirects")
        starts: dict[str, str | None] = {u: http_counterpart(u) for u in urls}
        async with ctx.network.http_session() as session:
            pages = [bounded(PAGE, u, fetch_page(session, u), ctx.timeout_s) for u in urls]
            chains = [
                bounded(REDIRECTS, s, follow_redirects(session, s), ctx.timeout_s)
                for s in dict.fromkeys(s for s in starts.values() if s)
            ]
            page_results = await asyncio.gather(*pages)
            chain_results = await asyncio.gather(*chains)
        ctx.progress.finished("edge: pages and redirects")
        unchained: list[Outcome[Any]] = [
            Outcome.skipped(REDIRECTS, u, "not on the default HTTPS port: no plain-http twin")
            for u, s in starts.items()
            if s is None
        ]
        reaches = [reach_of(p) for p in page_results]
        return [*page_results, *reaches, *chain_results, *unchained]
