"""HTTP facts: the page at each configured URL and redirect chains, hop by hop.

Redirects are followed by hand, one hop at a time, so the report can show every hop
(status, location) — the redirect map is a deliverable, not an implementation detail.
The gatherer that uses these is in ``web.py``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urljoin

import aiohttp

from launchready.core.outcome import Outcome
from launchready.gatherers.base import describe_error
from launchready.gatherers.edge.markup import Document, parse_document

PAGE = "edge.page"
REDIRECTS = "edge.redirects"
REACH = "edge.reach"
MAX_HOPS = 10
# The errors that end a chain which never settles; the redirect-loop check matches on them.
LOOP = "redirect loop"
TOO_MANY = f"more than {MAX_HOPS} redirects"
BODY_LIMIT = 2 * 1024 * 1024
# Text kept for the checks that read the markup (SRI, mixed content, CSP in <meta>).
BODY_TEXT_LIMIT = 512 * 1024
_TEXT_TYPES = ("text/", "application/xhtml+xml", "application/json", "application/xml")
HTML_TYPES = ("text/html", "application/xhtml+xml")


class HasHeaders:
    """Case-insensitive lookups over a response's raw ``headers`` (name, value) pairs,
    shared by every edge fact that keeps them (pages, assets, CORS answers, snapshots)."""

    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def header_values(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]


@dataclass(frozen=True)
class Cookie:
    name: str
    secure: bool
    http_only: bool
    same_site: str | None  # as sent; None when absent
    attributes: tuple[str, ...]


@dataclass(frozen=True)
class PageFact(HasHeaders):
    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    cookies: tuple[Cookie, ...]
    elapsed_ms: float  # request sent → whole body read (capped at BODY_LIMIT)
    body_bytes: int
    ttfb_ms: float | None = None  # request sent → status line and headers in
    body: str = ""  # decoded text of a text response, at most BODY_TEXT_LIMIT characters
    body_truncated: bool = False
    peer: str | None = None  # address the connection went to

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    @property
    def is_html(self) -> bool:
        return self.content_type in HTML_TYPES

    @cached_property
    def document(self) -> Document:
        """The page's markup, parsed (empty for responses that are not HTML)."""
        return parse_document(self.body if self.is_html else "")


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


def _peer(resp: aiohttp.ClientResponse) -> str | None:
    connection = resp.connection
    if connection is None or connection.transport is None:
        return None
    peer = connection.transport.get_extra_info("peername")
    return str(peer[0]) if peer else None


def _text(resp: aiohttp.ClientResponse, body: bytes) -> str:
    content_type = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if not content_type.startswith(_TEXT_TYPES):
        return ""
    return body.decode(resp.charset or "utf-8", errors="replace")


async def fetch_page(
    session: aiohttp.ClientSession,
    url: str,
    headers: Mapping[str, str] | None = None,
    peer: str | None = None,
) -> PageFact:
    """One GET, no redirect followed. ``peer``: where the connection goes, when the caller
    resolved it (aiohttp forgets the socket of a short answer before we can ask)."""
    started = time.perf_counter()
    async with session.get(url, allow_redirects=False, headers=headers) as resp:
        ttfb = (time.perf_counter() - started) * 1000
        peer = _peer(resp) or peer
        body = await resp.content.read(BODY_LIMIT)
        elapsed = (time.perf_counter() - started) * 1000
        cookies = tuple(parse_set_cookie(h) for h in resp.headers.getall("Set-Cookie", []))
        text = _text(resp, body)
        return PageFact(
            url=url,
            status=resp.status,
            headers=tuple((k, v) for k, v in resp.headers.items()),
            cookies=cookies,
            elapsed_ms=round(elapsed, 1),
            body_bytes=len(body),
            ttfb_ms=round(ttfb, 1),
            body=text[:BODY_TEXT_LIMIT],
            body_truncated=len(text) > BODY_TEXT_LIMIT or not resp.content.at_eof(),
            peer=peer,
        )


async def follow_redirects(session: aiohttp.ClientSession, start: str) -> RedirectChain:
    """Every hop from ``start``, without credentials: a chain may pass over plain http and
    to any host a Location names, where a session must never be sent."""
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
            hops.append(Hop(url, None, None, describe_error(exc)))
            break
        if not (300 <= resp.status < 400 and location):
            break
        url = urljoin(url, location)
        if url in seen:
            hops.append(Hop(url, None, None, LOOP))
            break
    else:
        hops.append(Hop(url, None, None, TOO_MANY))
    return RedirectChain(start, tuple(hops))


def reach_of(page: Outcome[PageFact]) -> Outcome[Reach]:
    """A page that did not answer is itself a fact: the customer cannot reach it either."""
    if page.value is not None:
        return Outcome.ok(REACH, page.target, Reach(page.target, page.value.status, None))
    return Outcome.ok(REACH, page.target, Reach(page.target, None, page.reason))
