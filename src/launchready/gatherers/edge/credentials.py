"""Credentials for pages behind a login: ``[web] headers/cookies`` or ``[performance.login]``.

Values are secrets: only their names ever reach a fact, so no report can leak them.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

import aiohttp

from launchready.config.model import AuditConfig, LoginConfig, WebConfig
from launchready.config.netspec import parse_cookie, parse_header
from launchready.gatherers.edge.http import parse_set_cookie


class LoginFailed(Exception):
    """The configured login did not yield a session."""


def credential_headers(web: WebConfig) -> dict[str, str]:
    """The request headers ``--header``/``--cookie`` ask for (empty when none are given)."""
    headers = dict(parse_header(h) for h in web.headers)
    cookies = [parse_cookie(c) for c in web.cookies]
    if cookies:
        jar = "; ".join(f"{name}={value}" for name, value in cookies)
        headers["Cookie"] = f"{headers['Cookie']}; {jar}" if "Cookie" in headers else jar
    return headers


def describe_credentials(web: WebConfig) -> str:
    parts = [f"header {parse_header(h)[0]}" for h in web.headers]
    parts += [f"cookie {parse_cookie(c)[0]}" for c in web.cookies]
    return "--header/--cookie: " + ", ".join(parts)


def login_url(config: AuditConfig) -> str | None:
    perf = config.performance
    if perf.login is None or not perf.base_url:
        return None
    return urljoin(perf.base_url.rstrip("/") + "/", perf.login.path.lstrip("/"))


async def log_in(session: aiohttp.ClientSession, url: str, login: LoginConfig) -> dict[str, str]:
    """Sign in once; the session's cookies (and a bearer token, when configured) as headers."""
    kwargs: dict[str, Any] = {"allow_redirects": False}
    if login.form is not None:
        kwargs["data"] = login.form
    elif login.json_body is not None:
        kwargs["json"] = login.json_body
    async with session.request(login.method, url, **kwargs) as resp:
        body = await resp.read()
        set_cookies = resp.headers.getall("Set-Cookie", [])
        cookies = [parse_set_cookie(h) for h in set_cookies]
        values = [h.split(";", 1)[0].strip() for h in set_cookies]
        status = resp.status
    headers: dict[str, str] = {}
    if values:
        headers["Cookie"] = "; ".join(values)
    if login.token_field:  # a token login ("data.token")
        token = _dig(body, login.token_field)
        if token:
            headers["Authorization"] = f"Bearer {token}"
    if status >= 400 or not headers:
        names = ", ".join(c.name for c in cookies) or "no cookie"
        raise LoginFailed(f"login {login.method} {url} answered {status} and set {names}")
    return headers


def _dig(body: bytes, path: str) -> str | None:
    try:
        value: Any = json.loads(body)
    except ValueError:
        return None
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value if isinstance(value, str) else None
