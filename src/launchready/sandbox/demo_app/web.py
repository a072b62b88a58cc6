"""Request plumbing shared by pages and API: who is signed in, CSRF, bodies, responses."""

from __future__ import annotations

import functools
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from launchready.sandbox.demo_app import db
from launchready.sandbox.demo_app.state import state_of
from launchready.sandbox.demo_app.templates import render

User = dict[str, Any]
Handler = Callable[[Request], Awaitable[Response]]
UserHandler = Callable[[Request, User], Awaitable[Response]]

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (this is what sets a cookie on /login)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf(request: Request, data: dict[str, Any]) -> None:
    given = data.get("csrf_token") or request.headers.get("x-csrf-token") or ""
    if not (isinstance(given, str) and hmac.compare_digest(given, csrf_token(request))):
        raise HTTPException(403, "CSRF token missing or wrong; reload the page and try again.")


async def read_payload(request: Request) -> tuple[dict[str, Any], bool]:
    """The body as a dict and whether it came from an HTML form; an empty body is {}.

    JSON needs its content type: a cross-site form can post text/plain that looks like JSON,
    and only form posts are CSRF-checked.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in _FORM_TYPES:
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}, True
    body = await request.body()
    if not body.strip():
        return {}, False
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise HTTPException(415, "send a form or application/json")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise HTTPException(400, "the body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise HTTPException(400, "expected a JSON object")
    return data, False


async def read_checked_payload(request: Request) -> tuple[dict[str, Any], bool]:
    """`read_payload`, then the CSRF check when the body came from an HTML form."""
    data, is_form = await read_payload(request)
    if is_form:
        check_csrf(request, data)
    return data, is_form


def start_session(request: Request, user_id: int) -> None:
    """Sign `user_id` in on a fresh session (no fixation of a pre-login identifier), with a new
    CSRF token."""
    request.session.clear()
    request.session["user_id"] = user_id
    request.session["csrf"] = secrets.token_urlsafe(32)


def _load_user(path: str, user_id: int) -> User | None:
    with db.opened(path) as conn:
        return db.user_by_id(conn, user_id)


async def current_user(request: Request) -> User | None:
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        return None
    return await run_in_threadpool(_load_user, state_of(request).db_path, user_id)


def wants_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    accept = request.headers.get("accept", "")
    return "json" in content_type or ("application/json" in accept and "text/html" not in accept)


def login_required(*, api: bool = False, admin: bool = False) -> Callable[[UserHandler], Handler]:
    """Pages send anonymous visitors to /login (303); the API (and JSON callers of a page
    endpoint) get 401 with JSON."""

    def wrap(handler: UserHandler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: Request) -> Response:
            user = await current_user(request)
            if user is None:
                if api or wants_json(request):
                    return JSONResponse({"error": "authentication required"}, status_code=401)
                target = quote(request.url.path, safe="/")
                return RedirectResponse(f"/login?next={target}", status_code=303)
            if admin and user["role"] != "admin":
                if api or wants_json(request):
                    return JSONResponse({"error": "admin role required"}, status_code=403)
                raise HTTPException(403, "Only administrators can open this page.")
            return await handler(request, user)

        return guarded

    return wrap


def private_cache(request: Request) -> dict[str, str]:
    """Headers for a response only the signed-in user may see."""
    if state_of(request).fixed:
        return {"Cache-Control": "private, no-store"}
    # planted: authenticated responses carry no Cache-Control, so shared caches may keep them.
    return {}


def page(
    request: Request,
    template: str,
    *,
    user: User | None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    context.setdefault("error", None)
    context.setdefault("notice", None)
    html = render(template, user=user, csrf_token=csrf_token(request), **context)
    return HTMLResponse(html, status_code=status_code, headers=headers)


def safe_next(target: str | None) -> str:
    """Only same-site paths: `next=//evil.example` must not become an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
