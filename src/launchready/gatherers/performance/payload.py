"""One GET of each list endpoint, as a browser would ask for it, measured for size."""

from __future__ import annotations

import json
from typing import Any

from launchready.gatherers.performance.client import exchange
from launchready.gatherers.performance.facts import Payload
from launchready.gatherers.performance.session import Spec, VirtualUser

BODY_LIMIT = 64 * 1024 * 1024
_PAGE_KEYS = ("next", "next_page", "nextPage", "cursor", "next_cursor", "page", "offset", "links")


def _largest_list(data: Any, depth: int = 0) -> int | None:
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict) and depth < 3:
        sizes = [s for v in data.values() if (s := _largest_list(v, depth + 1)) is not None]
        return max(sizes) if sizes else None
    return None


def pagination_hint(headers: dict[str, str], data: Any) -> str | None:
    link = headers.get("link", "")
    if 'rel="next"' in link or "rel=next" in link:
        return "Link: rel=next"
    for name in ("x-total-count", "x-next-page", "x-page"):
        if name in headers:
            return name
    if isinstance(data, dict):
        for key in _PAGE_KEYS:
            if key in data:
                return f'"{key}" in the body'
    return None


async def probe(vu: VirtualUser, spec: Spec, timeout_s: float) -> Payload:
    """Keeps at most BODY_LIMIT bytes, on the wire and once decompressed; every byte on the
    wire is still counted. A body cut at the limit is reported as at least that big."""
    assert vu.conn is not None
    data_out = vu.request_bytes(spec, 0)
    reply = await exchange(vu.conn, data_out, timeout_s, keep_body=True, keep_limit=BODY_LIMIT)
    vu.absorb(reply)
    headers = dict(reply.headers())
    decoded = reply.decoded(BODY_LIMIT)
    data: Any = None
    if not reply.truncated:  # half a JSON document parses as nothing anyway
        try:
            data = json.loads(decoded.decode("utf-8", "replace"))
        except ValueError:
            data = None
    return Payload(
        name=spec.name,
        path=spec.path,
        status=reply.status,
        wire_bytes=reply.body_bytes,
        decoded_bytes=len(decoded),
        content_type=headers.get("content-type", ""),
        content_encoding=headers.get("content-encoding"),
        top_level_array=isinstance(data, list),
        largest_list=_largest_list(data),
        pagination_hint=pagination_hint(headers, data),
        truncated=reply.truncated,
    )
