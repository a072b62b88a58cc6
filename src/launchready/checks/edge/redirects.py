"""Stage ``edge``, the redirect map: one canonical origin, few hops, no loops.

``edge.https-redirect`` (in ``basics``) judges each name's first hop from plain http and any
fall back to http; these judge hop counts and the whole map. The map itself is published in
the report as ``redirect_map``.
"""

from __future__ import annotations

from collections.abc import Iterator

from launchready.checks.base import Verdict, check
from launchready.core.findings import Harm, Severity, Stage, Status
from launchready.gatherers.edge.http import LOOP, REDIRECTS, TOO_MANY, RedirectChain
from launchready.gatherers.edge.redirects import REDIRECT_MAP, RedirectMap, origin

MAX_ORIGIN_HOPS = 2  # http→https, then apex→www (or the reverse): anything more is waste
MDN_REDIRECTS = "https://developer.mozilla.org/en-US/docs/Web/HTTP/Redirections"
LOOP_ERRORS = (LOOP, TOO_MANY)


def describe(chain: RedirectChain) -> str:
    """``http://a/ [301] → https://a/ [200]``: one line per chain, for evidence."""
    return " → ".join(
        f"{h.url} [{h.status if h.status is not None else h.error}]" for h in chain.hops
    )


def origin_hops(chain: RedirectChain) -> int:
    """Redirects that change scheme, host or port; moves within one origin are the app's."""
    return sum(
        1
        for a, b in zip(chain.hops, chain.hops[1:], strict=False)
        if a.location and origin(a.url) != origin(b.url)
    )


@check(
    id="edge.redirect-hops",
    stage=Stage.EDGE,
    title="Plain http reaches the final origin in at most two permanent redirects",
    severity=Severity.LOW,
    harm=Harm.SLOW,
    reads=REDIRECTS,
    impact="Each extra redirect is another round trip (and TLS handshake) before the first "
    "byte, on every first visit and from every old link.",
    remediation="Redirect http://name/ straight to the canonical https:// origin (one hop), or at "
    "most http→https on the same host then to the canonical host, with 301 or 308.",
    references=[MDN_REDIRECTS],
)
def redirect_hops(chain: RedirectChain) -> list[Verdict]:
    """Counted in origins changed, so the app's own /→/login hop is not held against the edge."""
    if chain.start.startswith("https://"):
        # The chains from https:// are in this fact for edge.https-redirect's downgrade test;
        # what this check counts is the way in from a typed http:// address.
        return []
    return [_hops(chain)]


def _hops(chain: RedirectChain) -> Verdict:
    if chain.final.error:
        return Verdict(Status.SKIPPED, f"chain broke (see edge.https-redirect): {describe(chain)}")
    hops = origin_hops(chain)
    if hops > MAX_ORIGIN_HOPS:
        return Verdict.warn(f"{hops} origin changes: {describe(chain)}")
    # The first hop's code is edge.https-redirect's; later moves between origins count here.
    temporary = [
        f"{a.url} [{a.status}]"
        for a, b in zip(chain.hops[1:], chain.hops[2:], strict=False)
        if a.location and a.status in (302, 303, 307) and origin(a.url) != origin(b.url)
    ]
    if temporary:
        listed = ", ".join(temporary)
        return Verdict.warn(f"temporary redirect between origins ({listed}): {describe(chain)}")
    return Verdict.ok(f"{hops} origin change(s), permanent: {describe(chain)}")


@check(
    id="edge.redirect-loop",
    stage=Stage.EDGE,
    title="No name redirects in a loop",
    severity=Severity.HIGH,
    harm=Harm.LOGIN,
    reads=REDIRECT_MAP,
    impact="A redirect loop is a 'too many redirects' error page: the name is down for everyone.",
    remediation="Fix the rule that sends the request back (often http→https at the CDN and "
    "https→http at the origin, or www↔apex set in two places).",
    references=[MDN_REDIRECTS, "https://www.rfc-editor.org/rfc/rfc9110#section-15.4"],
)
def redirect_loop(rmap: RedirectMap) -> Iterator[Verdict]:
    """Covers https:// starts too, where loops between CDN and origin usually hide."""
    loops = [c for c in rmap.chains if (c.final.error or "").startswith(LOOP_ERRORS)]
    for chain in loops:
        yield Verdict.fail(describe(chain), target=chain.start)
    if not loops:
        yield Verdict.ok(f"no loop in {len(rmap.chains)} chains from {', '.join(rmap.names)}")


@check(
    id="edge.canonical-origin",
    stage=Stage.EDGE,
    title="The apex and www agree on one canonical https origin",
    severity=Severity.MEDIUM,
    harm=Harm.TRUST,
    reads=REDIRECT_MAP,
    impact="Two live origins split sessions and cookies (signed in on one, signed out on the "
    "other), dilute HSTS and confuse customers about which address is real.",
    remediation="Pick one origin (e.g. https://www.acme.com) and answer the other with a 301/308 "
    "to it, from both http:// and https://.",
    references=[
        MDN_REDIRECTS,
        "https://developers.google.com/search/docs/crawling-indexing/canonicalization",
    ],
)
def canonical_origin(rmap: RedirectMap) -> Verdict:
    """The evidence documents where every name ends, so the map also reads in any report."""
    summary = "; ".join(f"{c.start} → {_end(c)}" for c in rmap.chains)
    if not rmap.domain:
        return Verdict(Status.SKIPPED, f"no [web] domain, so no apex/www pair: {summary}")
    apex = rmap.domain.lower().strip(".")
    ends = {n: rmap.chain(f"https://{n}/") for n in (apex, f"www.{apex}")}
    broken = [n for n, c in ends.items() if c is None or c.final.error]
    if len(broken) == 2:
        return Verdict.warn(f"neither {apex} nor www.{apex} answers over https: {summary}")
    if broken:
        return Verdict.warn(
            f"{broken[0]} does not answer over https, so people who type it get an error: "
            f"{summary}",
            severity=Severity.LOW,
        )
    finals = {n: origin(c.final.url) for n, c in ends.items() if c is not None}
    if len(set(finals.values())) > 1:
        both = " and ".join(f"{n} stays on {o}" for n, o in finals.items())
        return Verdict.fail(f"two origins serve the site: {both}. Map: {summary}")
    return Verdict.ok(f"{apex} and www.{apex} both end on {finals[apex]}. Map: {summary}")


def _end(chain: RedirectChain) -> str:
    final = chain.final
    if final.error:
        return f"error ({final.error})"
    hops = sum(1 for h in chain.hops if h.location)
    return f"{final.url} [{final.status}] ({hops} redirect{'s' if hops != 1 else ''})"
