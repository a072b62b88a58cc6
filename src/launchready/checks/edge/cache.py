"""Stage ``edge``, caching: no shared cache may keep a signed-in answer; assets long-cached.

Storability follows RFC 9111 §3 for a *shared* cache: no-store and private forbid it;
public, s-maxage, max-age or a future Expires allow it. Cookie sessions carry no
Authorization header, so §3.5's protection for authenticated requests does not apply.
``Vary: Cookie`` earns no credit: major CDNs ignore Vary beyond Accept-Encoding.
"""

from __future__ import annotations

import email.utils
from collections.abc import Iterator, Mapping

from launchready.checks.base import Verdict, check
from launchready.checks.edge import common
from launchready.core.findings import Harm, Severity, Stage, Status
from launchready.gatherers.edge.assets import ASSETS, AssetsFact
from launchready.gatherers.edge.cache import AUTH_RESPONSE, AuthResponseFact, Snapshot
from launchready.gatherers.edge.http import PAGE, PageFact

RFC_CACHING = "https://www.rfc-editor.org/rfc/rfc9111#section-3"
MDN_CACHE = "https://developer.mozilla.org/en-US/docs/Web/HTTP/Caching"
CLOUDFLARE_DEFAULTS = "https://developers.cloudflare.com/cache/concepts/default-cache-behavior/"
STATIC_MIN_S = 7 * 86400
# Headers where CDNs and proxies say "this answer came from my cache".
CACHE_STATUS_HEADERS = (
    "CF-Cache-Status",
    "X-Cache",
    "X-Cache-Status",
    "X-Proxy-Cache",
    "X-Vercel-Cache",
    "X-Nf-Cache-Status",
    "Cache-Status",
)
HIT_WORDS = ("hit", "stale", "updating", "revalidated")


def cache_control(value: str | None) -> dict[str, str]:
    """RFC 9111 §5.2: Cache-Control directives, split on ','."""
    return common.directives(value, ",")


def _seconds(text: str | None) -> int:
    return int(text) if text and text.isdigit() else 0


def shared_storable(headers: Mapping[str, str | None]) -> str | None:
    """Why a shared cache may store this response, or None if it may not (or has no reason).

    ``headers`` maps lower-case names to values: cache-control, expires, date.
    """
    cc = cache_control(headers.get("cache-control"))
    if "no-store" in cc or "private" in cc:
        return None
    if "public" in cc:
        return "Cache-Control: public"
    if _seconds(cc.get("s-maxage")) > 0:
        return f"s-maxage={cc['s-maxage']}"
    if "no-cache" in cc:
        return None  # stored at most for revalidation with the origin each time
    if _seconds(cc.get("max-age")) > 0:
        return f"max-age={cc['max-age']} without private"
    expires, date = headers.get("expires"), headers.get("date")
    if "max-age" not in cc and expires:
        when = email.utils.parsedate_to_datetime(expires) if _date_ok(expires) else None
        now = email.utils.parsedate_to_datetime(date) if date and _date_ok(date) else None
        if when and now and when > now:
            return f"Expires: {expires}"
    return None


def _date_ok(text: str) -> bool:
    try:
        email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return False
    return True


def _view(lookup: Snapshot | PageFact) -> dict[str, str | None]:
    return {n: lookup.header(n) for n in ("cache-control", "expires", "date")}


def personalised(fact: AuthResponseFact) -> bool:
    """Signed-in and anonymous answers differ: the page depends on who asks."""
    anon, auth = fact.anonymous, fact.authenticated
    return anon.status != auth.status or anon.body_sha256 != auth.body_sha256


def not_signed_in(fact: AuthResponseFact) -> Verdict | None:
    """ "Could not check" when the session evidently did not sign in, else None.

    A stale or wrong ``--cookie`` gets the same redirect to the login page (or 401/403) as
    no session at all. The two answers are then identical, which would otherwise read as
    "a public page, nothing personal to cache" and pass without anything being checked.
    """
    auth = fact.authenticated
    refused = 300 <= auth.status < 400 or auth.status in (401, 403)
    if personalised(fact) or not refused:
        return None
    location = auth.header("Location") if 300 <= auth.status < 400 else None
    to = f" to {location}" if location else ""
    return Verdict(
        Status.ERROR,
        f"could not check: the session did not sign in ({fact.session}): with and without "
        f"it the page answered {auth.status}{to}",
    )


@check(
    id="edge.cache-private",
    stage=Stage.EDGE,
    title="Signed-in pages cannot be stored by a shared cache",
    severity=Severity.HIGH,
    harm=Harm.DATA_EXPOSURE,
    reads=AUTH_RESPONSE,
    impact="A CDN or proxy that stores a signed-in page hands one customer's records (or an "
    "admin's team list) to the next person who asks for the same URL.",
    remediation="Send `Cache-Control: private, no-store` on every response that depends on the "
    "session (HTML and JSON); never `public` or `s-maxage` there.",
    references=[RFC_CACHING, MDN_CACHE, CLOUDFLARE_DEFAULTS],
)
def cache_private(fact: AuthResponseFact) -> Verdict:
    """Judged on the signed-in answer, only when it differs from the anonymous one."""
    if (unusable := not_signed_in(fact)) is not None:
        return unusable
    auth = fact.authenticated
    if auth.status >= 400:
        return Verdict(
            Status.ERROR,
            f"could not check: the signed-in request was answered {auth.status} ({fact.session})",
        )
    if not personalised(fact):
        return Verdict.ok(f"same answer with and without the session ({auth.status}): public")
    cc = auth.header("Cache-Control")
    shown = f"Cache-Control: {cc}" if cc is not None else "no Cache-Control"
    why = shared_storable(_view(auth))
    cookie = "; it also sets a cookie" if auth.header("Set-Cookie") else ""
    if why:
        return Verdict.fail(f"personalised {auth.status} answer is storable ({why}){cookie}")
    directives = cache_control(cc)
    if "no-store" in directives or "private" in directives:
        return Verdict.ok(f"personalised answer marked {shown}")
    if "no-cache" in directives:
        return Verdict.warn(
            f"{shown}: a shared cache may store it (revalidating each use); add private",
            severity=Severity.LOW,
        )
    return Verdict.warn(
        f"personalised {auth.status} answer with {shown}: caches may keep it by heuristic",
        severity=Severity.MEDIUM,
    )


@check(
    id="edge.cdn-cache-hit",
    stage=Stage.EDGE,
    title="No signed-in page is served from a CDN cache",
    severity=Severity.BLOCKER,
    harm=Harm.DATA_EXPOSURE,
    reads=AUTH_RESPONSE,
    impact="A cache HIT on a personalised page means the CDN is already serving stored "
    "signed-in content: other people can receive it right now.",
    remediation="Purge the CDN cache now; bypass the cache for authenticated paths (a cache "
    "rule on the session cookie) and send `Cache-Control: private, no-store`.",
    references=[CLOUDFLARE_DEFAULTS, "https://www.rfc-editor.org/rfc/rfc9211"],
)
def cdn_cache_hit(fact: AuthResponseFact) -> Verdict:
    """CDN status headers (CF-Cache-Status, X-Cache, Cache-Status…) or an Age header."""
    if (unusable := not_signed_in(fact)) is not None:
        return unusable
    auth = fact.authenticated
    seen = [(h, auth.header(h)) for h in CACHE_STATUS_HEADERS if auth.header(h)]
    hits = [f"{h}: {v}" for h, v in seen if any(w in (v or "").lower() for w in HIT_WORDS)]
    age = auth.header("Age")
    if age and age.strip().isdigit() and int(age) > 0:
        hits.append(f"Age: {age}")
    if hits and personalised(fact):
        return Verdict.fail(f"signed-in answer came from a cache: {', '.join(hits)}")
    if hits:
        return Verdict.ok(f"cached ({', '.join(hits)}), but identical without the session")
    status = ", ".join(f"{h}: {v}" for h, v in seen) or "no cache status header"
    return Verdict.ok(f"not served from a cache ({status})")


@check(
    id="edge.cache-set-cookie",
    stage=Stage.EDGE,
    title="No cacheable response sets a cookie",
    severity=Severity.HIGH,
    harm=Harm.DATA_EXPOSURE,
    reads=PAGE,
    impact="A shared cache that stores a response with Set-Cookie replays that cookie — often a "
    "session — to everyone who gets the cached copy.",
    remediation="Mark responses that set cookies `Cache-Control: private, no-store`, or set the "
    "cookie on a response that is not cacheable.",
    references=[RFC_CACHING, "https://www.rfc-editor.org/rfc/rfc9111#section-7.3"],
)
def cache_set_cookie(page: PageFact) -> Verdict:
    """Cloudflare and others refuse to cache Set-Cookie by default, but not under "cache
    everything" rules, and many proxies store it as is."""
    if not page.cookies:
        return Verdict.ok("no cookie set")
    names = ", ".join(c.name for c in page.cookies)
    why = shared_storable(_view(page))
    if why:
        return Verdict.fail(f"sets {names} on a response a shared cache may store ({why})")
    cc = page.header("Cache-Control")
    return Verdict.ok(
        f"sets {names}; not storable ({'Cache-Control: ' + cc if cc else 'no Cache-Control'})"
    )


@check(
    id="edge.static-cache",
    stage=Stage.EDGE,
    title="Static assets are cached for a long time",
    severity=Severity.LOW,
    harm=Harm.SLOW,
    reads=ASSETS,
    impact="Short-lived styles and scripts are downloaded again on every visit, slowing each "
    "page for every user.",
    remediation="Serve fingerprinted assets (app.3f9c.css) with `Cache-Control: public, "
    "max-age=31536000, immutable`.",
    references=[MDN_CACHE, "https://web.dev/articles/http-cache"],
)
def static_cache(fact: AssetsFact) -> Iterator[Verdict]:
    """At least a week, or immutable; one verdict per asset so each fix is visible."""
    if not fact.assets:
        yield Verdict.ok("the page loads no same-origin asset")
        return
    for asset in fact.assets:
        cc = cache_control(asset.header("Cache-Control"))
        shown = f"{asset.kind}, Cache-Control: {asset.header('Cache-Control') or 'none'}"
        if asset.status >= 400:
            yield Verdict.fail(f"answered {asset.status} ({shown})", target=asset.url)
        elif "no-store" in cc or "no-cache" in cc:
            yield Verdict.warn(f"never reused ({shown})", target=asset.url)
        elif "immutable" in cc or _seconds(cc.get("max-age")) >= STATIC_MIN_S:
            yield Verdict.ok(shown, target=asset.url)
        else:
            yield Verdict.warn(f"cached under a week ({shown})", target=asset.url)
