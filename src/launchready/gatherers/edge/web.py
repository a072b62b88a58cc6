"""The edge stage's HTTP gatherer: pages, their CORS answers and assets, redirect chains.

Requests for the configured pages, their CORS probes and assets carry the credentials of
``[web] headers/cookies`` (``--header``, ``--cookie``), so pages behind a login can be
audited. Redirect chains carry none: they start on plain ``http://`` and follow whatever
host a Location names, and a session must reach neither.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from launchready.core.outcome import Outcome
from launchready.gatherers.base import GatherContext, bounded
from launchready.gatherers.edge.assets import ASSETS, fetch_assets
from launchready.gatherers.edge.cors import CORS, probe_cors
from launchready.gatherers.edge.credentials import credential_headers
from launchready.gatherers.edge.http import (
    PAGE,
    REACH,
    REDIRECTS,
    PageFact,
    fetch_page,
    follow_redirects,
    reach_of,
)
from launchready.gatherers.edge.names import host_port, web_names
from launchready.gatherers.edge.redirects import REDIRECT_MAP, RedirectMap, failed_chain


class HttpGatherer:
    """Pages, their assets and CORS answers; redirect chains of every name; the redirect map."""

    name: str = "http"
    provides: tuple[str, ...] = (PAGE, REACH, REDIRECTS, REDIRECT_MAP, CORS, ASSETS)

    async def gather(self, ctx: GatherContext) -> list[Outcome[Any]]:
        web = ctx.config.web
        names = web_names(web)
        if not web.urls and not names:
            reason = "no URL or domain configured ([web] urls/domain, --url, --domain)"
            return [Outcome.skipped(fact, "-", reason) for fact in self.provides]
        ctx.progress.started("edge: pages and redirects")
        creds = credential_headers(web)
        async with ctx.network.http_session() as session:
            per_page = asyncio.gather(*(self._page(ctx, session, u, creds) for u in web.urls))
            # Both kinds of chain are REDIRECTS facts: edge.https-redirect also looks for a
            # fall back to http inside the chains that start on https.
            http = [
                bounded(REDIRECTS, s, follow_redirects(session, s), ctx.timeout_s)
                for s in (f"http://{_netloc(n)}/" for n in names)
            ]
            https = [
                bounded(REDIRECTS, s, follow_redirects(session, s), ctx.timeout_s)
                for s in (f"https://{_netloc(n)}/" for n in names)
            ]
            pages, http_chains, https_chains = await asyncio.gather(
                per_page, asyncio.gather(*http), asyncio.gather(*https)
            )
        ctx.progress.finished("edge: pages and redirects")
        chained = {urlsplit(c.target).hostname for c in http_chains}
        unchained: list[Outcome[Any]] = [
            Outcome.skipped(REDIRECTS, u, "not on the default HTTPS port: no plain-http twin")
            for u in web.urls
            if urlsplit(u).hostname not in chained
        ]
        chains = [
            o.value if o.value is not None else failed_chain(o.target, o.reason)
            for o in (*http_chains, *https_chains)
        ]
        target = web.domain or (names[0] if names else "-")
        redirect_map: Outcome[Any] = Outcome.ok(
            REDIRECT_MAP, target, RedirectMap(web.domain, tuple(names), tuple(chains))
        )
        if not names:
            redirect_map = Outcome.skipped(REDIRECT_MAP, "-", "no name on the default ports")
        return [
            *(o for group in pages for o in group),
            *http_chains,
            *https_chains,
            *unchained,
            redirect_map,
        ]

    async def _page(
        self, ctx: GatherContext, session: aiohttp.ClientSession, url: str, creds: dict[str, str]
    ) -> list[Outcome[Any]]:
        """The page, whether it answered, its CORS answers, then its own assets.

        Assets need the page's markup; they get what is left of the page's time limit, so
        a host that never answers still costs one timeout, not two.
        """
        started = time.perf_counter()
        page, cors = await asyncio.gather(
            bounded(PAGE, url, self._fetch(ctx, session, url, creds), ctx.timeout_s),
            bounded(CORS, url, probe_cors(session, url, creds), ctx.timeout_s),
        )
        if page.value is None:
            assets: Outcome[Any] = Outcome.error(ASSETS, url, f"page not fetched: {page.reason}")
        else:
            left = max(ctx.timeout_s - (time.perf_counter() - started), 1.0)
            assets = await bounded(ASSETS, url, fetch_assets(session, page.value, creds), left)
        return [page, reach_of(page), cors, assets]

    async def _fetch(
        self, ctx: GatherContext, session: aiohttp.ClientSession, url: str, creds: dict[str, str]
    ) -> PageFact:
        host, port = host_port(url)
        address = (await ctx.network.addresses(host, port))[0][0]
        return await fetch_page(session, url, creds, peer=address)


def _netloc(host: str) -> str:
    return f"[{host}]" if ":" in host else host
