"""Signed-in responses next to anonymous ones: what a shared cache would be handed.

Each page of ``[web] authenticated_urls`` (default: ``[web] urls``) is fetched twice, without
credentials and with the session — from ``--header``/``--cookie`` when given, else by
signing in with ``[performance.login]``. No tool checks "this personalised page is storable
by a CDN" end to end; comparing the two answers is how we know a page is personalised.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from launchready.core.outcome import Outcome
from launchready.gatherers.base import GatherContext, bounded, describe_error
from launchready.gatherers.edge.credentials import (
    LoginFailed,
    credential_headers,
    describe_credentials,
    log_in,
    login_url,
)
from launchready.gatherers.edge.http import BODY_LIMIT, HasHeaders

AUTH_RESPONSE = "edge.auth-response"


@dataclass(frozen=True)
class Snapshot(HasHeaders):
    status: int
    headers: tuple[tuple[str, str], ...]
    body_sha256: str
    body_bytes: int


@dataclass(frozen=True)
class AuthResponseFact:
    url: str
    session: str  # how we signed in (names only, never values)
    anonymous: Snapshot
    authenticated: Snapshot


async def snapshot(
    session: aiohttp.ClientSession, url: str, headers: Mapping[str, str]
) -> Snapshot:
    async with session.get(url, headers=headers, allow_redirects=False) as resp:
        body = await resp.content.read(BODY_LIMIT)
        return Snapshot(
            resp.status,
            tuple(resp.headers.items()),
            hashlib.sha256(body).hexdigest(),
            len(body),
        )


async def compare(
    session: aiohttp.ClientSession, url: str, how: str, headers: Mapping[str, str]
) -> AuthResponseFact:
    anonymous, authenticated = await asyncio.gather(
        snapshot(session, url, {}), snapshot(session, url, headers)
    )
    return AuthResponseFact(url, how, anonymous, authenticated)


class CacheGatherer:
    name: str = "cache"
    provides: tuple[str, ...] = (AUTH_RESPONSE,)

    async def gather(self, ctx: GatherContext) -> list[Outcome[Any]]:
        web = ctx.config.web
        urls = web.authenticated_urls or web.urls
        if not urls:
            return [Outcome.skipped(AUTH_RESPONSE, "-", "no URL configured")]
        given = credential_headers(web)
        login = ctx.config.performance.login
        where = login_url(ctx.config)
        if not given and (login is None or where is None):
            reason = (
                "no session to compare with: set [performance.login] (with base_url), "
                "or give --header/--cookie"
            )
            return [Outcome.skipped(AUTH_RESPONSE, u, reason) for u in urls]
        ctx.progress.started("edge: signed-in responses")
        try:
            async with ctx.network.http_session() as session:
                if given:
                    how, headers = describe_credentials(web), given
                else:
                    assert login is not None and where is not None
                    how = f"[performance.login] {login.method} {where}"
                    headers = await asyncio.wait_for(log_in(session, where, login), ctx.timeout_s)
                results = await asyncio.gather(
                    *(
                        bounded(AUTH_RESPONSE, u, compare(session, u, how, headers), ctx.timeout_s)
                        for u in urls
                    )
                )
        except (LoginFailed, TimeoutError, aiohttp.ClientError, OSError) as exc:
            reason = str(exc) if isinstance(exc, LoginFailed) else describe_error(exc)
            if isinstance(exc, TimeoutError):
                reason = f"login: no answer within {ctx.timeout_s:g} s"
            return [Outcome.error(AUTH_RESPONSE, u, f"could not sign in: {reason}") for u in urls]
        finally:
            ctx.progress.finished("edge: signed-in responses")
        return list(results)
