"""Virtual users: one identity each (cookies or a bearer token), logged in before load.

Cookies are kept in a jar of our own, keyed by name only: every request goes to the one
configured origin, so domain matching has nothing to decide — and unlike aiohttp's default
jar this also works when the target is addressed by IP (127.0.0.1).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from launchready.config.model import LoginConfig
from launchready.gatherers.performance.client import (
    HttpConnection,
    HttpError,
    Origin,
    Reply,
    encode_request,
    exchange,
)


@dataclass(frozen=True)
class Spec:
    """One kind of request in a scenario."""

    name: str
    method: str
    path: str
    body: str | None = None
    content_type: str | None = None

    @property
    def templated(self) -> bool:
        return self.body is not None and "{{" in self.body


def body_bytes(spec: Spec, n: int, vu: int) -> bytes | None:
    """The request body, unique per request when the template asks for it."""
    if spec.body is None:
        return None
    body = spec.body
    if "{{" in body:
        body = (
            body.replace("{{n}}", str(n))
            .replace("{{vu}}", str(vu))
            .replace("{{uuid}}", uuid.uuid4().hex)
        )
    return body.encode()


def content_type_of(spec: Spec) -> str | None:
    if spec.body is None:
        return None
    if spec.content_type:
        return spec.content_type
    looks_json = spec.body.lstrip()[:1] in ("{", "[")
    return "application/json" if looks_json else "application/x-www-form-urlencoded"


class VirtualUser:
    """Identity and prepared requests of one simulated person."""

    def __init__(self, number: int, origin: Origin) -> None:
        self.number = number
        self.origin = origin
        self.cookies: dict[str, str] = {}
        self.token: str | None = None
        self.conn: HttpConnection | None = None
        self._cache: dict[Spec, bytes] = {}

    def headers(self) -> list[tuple[str, str]]:
        out = [("Accept", "application/json, text/html;q=0.9, */*;q=0.8")]
        out.append(("Accept-Encoding", "gzip, deflate"))
        if self.cookies:
            out.append(("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items())))
        if self.token:
            out.append(("Authorization", f"Bearer {self.token}"))
        return out

    def request_bytes(self, spec: Spec, n: int) -> bytes:
        """Wire bytes of ``spec``; fixed requests are built once per identity."""
        cached = self._cache.get(spec)
        if cached is not None:
            return cached
        headers = self.headers()
        ctype = content_type_of(spec)
        if ctype:
            headers.append(("Content-Type", ctype))
        data = encode_request(
            spec.method,
            self.origin.prefix + spec.path,
            self.origin.host_header,
            headers,
            body_bytes(spec, n, self.number),
        )
        if not spec.templated:
            self._cache[spec] = data
        return data

    def absorb(self, reply: Reply) -> None:
        """Keep the cookies a response sets (sessions rotate; a server may clear one)."""
        if not reply.has_set_cookie():
            return
        for key, value in reply.headers():
            if key != "set-cookie":
                continue
            first, _, attrs = value.partition(";")
            name, _, val = first.partition("=")
            expired = "max-age=0" in attrs.lower().replace(" ", "") or not val
            if expired:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = val.strip()
        self._cache.clear()


def form_spec(
    name: str, method: str, path: str, form: dict[str, str] | None, json_body: object | None
) -> Spec:
    """A configured request with a JSON body, else a form (login, the mail-sending probe)."""
    if json_body is not None:
        return Spec(name, method, path, json.dumps(json_body))
    return Spec(name, method, path, urlencode(form or {}), "application/x-www-form-urlencoded")


def login_spec(login: LoginConfig) -> Spec:
    return form_spec("login", login.method, login.path, login.form, login.json_body)


def _dig(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


async def log_in(vu: VirtualUser, login: LoginConfig, timeout_s: float) -> None:
    """Sign ``vu`` in on its own connection; raise HttpError with a reason when refused."""
    assert vu.conn is not None
    spec = login_spec(login)
    reply = await exchange(vu.conn, vu.request_bytes(spec, 0), timeout_s, keep_body=True)
    vu.absorb(reply)
    if reply.status >= 400:
        raise HttpError(f"login at {login.path} answered {reply.status}")
    if login.token_field:
        try:
            token = _dig(json.loads(reply.text()), login.token_field)
        except ValueError:
            token = None
        if not isinstance(token, str) or not token:
            raise HttpError(f"login answer has no {login.token_field!r} token")
        vu.token = token
        vu._cache.clear()
    elif not vu.cookies:
        raise HttpError(f"login at {login.path} set no cookie and no token_field is configured")
