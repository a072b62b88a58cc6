"""The page's own static assets (styles, scripts, images, fonts) and how they are cached.

Only same-origin assets are fetched: a third party's caching is not the app's to fix, and
the audit sends no traffic beyond the origins it was pointed at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import aiohttp

from launchready.gatherers.edge.http import HasHeaders, PageFact

ASSETS = "edge.assets"
MAX_ASSETS = 6
_KINDS = {"script": "script", "img": "image", "source": "media", "video": "media"}


@dataclass(frozen=True)
class Asset(HasHeaders):
    url: str
    kind: str  # stylesheet, script, image, icon, font, media
    status: int
    headers: tuple[tuple[str, str], ...]
    body_bytes: int


@dataclass(frozen=True)
class AssetsFact:
    page_url: str
    assets: tuple[Asset, ...]


def own_assets(page: PageFact) -> list[tuple[str, str]]:
    """``(absolute URL, kind)`` of same-origin assets the page loads, first MAX_ASSETS."""
    origin = urlsplit(page.url)[:2]
    found: dict[str, str] = {}
    for ref in page.document.references:
        if ref.tag == "link":
            rels = ref.rel.split()
            kind = "stylesheet" if "stylesheet" in rels else "icon" if "icon" in rels else ""
            kind = kind or ("font" if "preload" in rels and ref.url.endswith(".woff2") else "")
        else:
            kind = _KINDS.get(ref.tag, "")
        url = urljoin(page.url, ref.url)
        if kind and urlsplit(url)[:2] == origin:
            found.setdefault(url.split("#")[0], kind)
    return list(found.items())[:MAX_ASSETS]


async def fetch_assets(
    session: aiohttp.ClientSession, page: PageFact, credentials: Mapping[str, str]
) -> AssetsFact:
    assets = []
    for url, kind in own_assets(page):
        async with session.get(url, headers=credentials, allow_redirects=False) as resp:
            body = await resp.content.read(1024 * 1024)
            assets.append(Asset(url, kind, resp.status, tuple(resp.headers.items()), len(body)))
    return AssetsFact(page.url, tuple(assets))
