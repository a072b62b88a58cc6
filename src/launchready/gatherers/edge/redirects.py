"""The redirect map: where each name goes from http:// and from https://, hop by hop.

It is a deliverable ("redirect map documented"), so the fact is ``Publishable``: the report
carries it whole under ``redirect_map``, besides the checks that judge it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from launchready.gatherers.edge.http import Hop, RedirectChain

REDIRECT_MAP = "edge.redirect-map"


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass(frozen=True)
class RedirectMap:
    domain: str | None  # [web] domain: its apex and www must agree on one origin
    names: tuple[str, ...]
    chains: tuple[RedirectChain, ...]  # http:// of each name, then https:// of each

    def chain(self, start: str) -> RedirectChain | None:
        return next((c for c in self.chains if c.start == start), None)

    def publish(self) -> tuple[str, list[dict[str, object]]]:
        rows: list[dict[str, object]] = []
        for chain in self.chains:
            final = chain.final
            rows.append(
                {
                    "start": chain.start,
                    "hops": [_hop(h) for h in chain.hops],
                    "redirects": sum(1 for h in chain.hops if h.location and not h.error),
                    "ends_at": None if final.error else final.url,
                    "final_status": final.status,
                    "error": final.error,
                }
            )
        return "redirect_map", rows


def _hop(hop: Hop) -> dict[str, object]:
    return {"url": hop.url, "status": hop.status, "location": hop.location, "error": hop.error}


def failed_chain(start: str, reason: str) -> RedirectChain:
    """A chain that could not be followed at all (timeout), so the map still lists it."""
    return RedirectChain(start, (Hop(start, None, None, reason),))
