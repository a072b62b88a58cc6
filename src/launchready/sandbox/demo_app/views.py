"""HTML pages: sign-in, dashboard, clients, settings, invites and password resets."""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
import time
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from launchready.sandbox.demo_app import db
from launchready.sandbox.demo_app.mail import SENDER, invite_message, reset_message, send
from launchready.sandbox.demo_app.passwords import hash_password, verify_password
from launchready.sandbox.demo_app.state import DemoState, state_of
from launchready.sandbox.demo_app.templates import CSS
from launchready.sandbox.demo_app.web import (
    User,
    check_csrf,
    current_user,
    login_required,
    page,
    private_cache,
    read_checked_payload,
    read_payload,
    safe_next,
    start_session,
)

CLIENTS_PER_PAGE = 25
RESET_TTL_S = 3600
INVITE_TTL_S = 7 * 24 * 3600
MIN_PASSWORD = 12

auth_log = logging.getLogger("launchready.sandbox.demo_app.auth")


def token_hash(token: str) -> str:
    """Only a hash of each emailed token is stored: a database leak must not allow resets."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- sign in / out -------------------------------------------------------------------------


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _check_login(path: str, email: str, password: str) -> User | None:
    with db.opened(path) as conn:
        user = db.user_by_email(conn, email)
    if user is None:
        # Spend the same time as a real check, so response times do not reveal who has an account.
        verify_password(password, _dummy_hash())
        return None
    return user if verify_password(password, user["password_hash"]) else None


async def login(request: Request) -> Response:
    next_path = safe_next(request.query_params.get("next"))
    if request.method == "GET":
        if await current_user(request) is not None:
            return RedirectResponse(next_path, status_code=303)
        return page(request, "login.html", user=None, title="Sign in", email="", next=next_path)
    # No CSRF check on sign-in: the form is public and SameSite=Lax keeps cross-site posts
    # from carrying a session; scripted logins (the load test) post just email and password.
    data, _ = await read_payload(request)
    email, password = str(data.get("email", "")).strip(), str(data.get("password", ""))
    next_path = safe_next(str(data.get("next") or next_path))
    user = await run_in_threadpool(_check_login, state_of(request).db_path, email, password)
    if user is None:
        auth_log.warning("sign-in failed for %r from %s", email, request.client)
        return page(
            request,
            "login.html",
            user=None,
            status_code=401,
            title="Sign in",
            email=email,
            next=next_path,
            error="Email or password is wrong.",
        )
    start_session(request, user["id"])
    auth_log.info("user %s signed in", user["id"])
    return RedirectResponse(next_path, status_code=303)


async def logout(request: Request) -> Response:
    data, _ = await read_payload(request)
    check_csrf(request, data)  # also without a body: a forced sign-out is still a forgery
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


# --- pages ---------------------------------------------------------------------------------


def _dashboard_stats(path: str) -> dict[str, Any]:
    with db.opened(path) as conn:
        by_action = [
            (row[0], row[1])
            for row in conn.execute(
                "SELECT action, COUNT(*) FROM activity_logs GROUP BY action ORDER BY 2 DESC"
            )
        ]
        recent = [
            dict(row)
            for row in conn.execute(
                "SELECT a.created_at, a.action, c.name AS client_name FROM activity_logs a "
                "JOIN clients c ON c.id = a.client_id ORDER BY a.created_at DESC LIMIT 10"
            )
        ]
        return {
            "clients": conn.execute("SELECT COUNT(*) FROM clients").fetchone()[0],
            "users": conn.execute("SELECT COUNT(*) FROM users").fetchone()[0],
            "activity_total": sum(count for _, count in by_action),
            "by_action": by_action,
            "recent": recent,
        }


async def _stats(state: DemoState) -> dict[str, Any]:
    if not state.fixed:
        # planted: aggregates over every activity log are recomputed on each dashboard view.
        return await run_in_threadpool(_dashboard_stats, state.db_path)
    stats = state.dashboard_cache.fresh()
    if stats is None:
        stats = await run_in_threadpool(_dashboard_stats, state.db_path)
        state.dashboard_cache.store(stats)
    return stats


@login_required()
async def dashboard(request: Request, user: User) -> Response:
    stats = await _stats(state_of(request))
    return page(
        request,
        "dashboard.html",
        user=user,
        headers=private_cache(request),
        title="Dashboard",
        stats=stats,
        notice=request.query_params.get("notice"),
    )


def _clients_page(path: str, page_no: int) -> tuple[list[dict[str, Any]], int]:
    with db.opened(path) as conn:
        total = conn.execute("SELECT COUNT(*) FROM clients").fetchone()[0]
        rows = conn.execute(
            "SELECT id, name, contact_name, contact_email, plan, status, updated_at FROM clients "
            "ORDER BY name, id LIMIT ? OFFSET ?",
            (CLIENTS_PER_PAGE, (page_no - 1) * CLIENTS_PER_PAGE),
        )
        return [dict(r) for r in rows], max(1, -(-total // CLIENTS_PER_PAGE))


@login_required()
async def clients_page(request: Request, user: User) -> Response:
    try:
        page_no = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page_no = 1
    clients, pages = await run_in_threadpool(_clients_page, state_of(request).db_path, page_no)
    return page(
        request,
        "clients.html",
        user=user,
        headers=private_cache(request),
        title="Clients",
        clients=clients,
        page=page_no,
        pages=pages,
    )


def _team(path: str) -> list[dict[str, Any]]:
    with db.opened(path) as conn:
        rows = conn.execute("SELECT name, email, role FROM users ORDER BY id")
        return [dict(r) for r in rows]


@login_required(admin=True)
async def settings_page(request: Request, user: User) -> Response:
    state = state_of(request)
    team = await run_in_threadpool(_team, state.db_path)
    settings = [
        ("Organisation", "Demo Services Ltd."),
        ("Sending address", SENDER),
        ("SMTP relay", f"{state.smtp.host}:{state.smtp.port}"),
        ("Email delivery", "background queue" if state.fixed else "inside the request"),
        ("Session lifetime", "12 hours"),
    ]
    if state.fixed:
        cache = {"Cache-Control": "no-store"}
    else:
        # planted: an admin-only page marked publicly cacheable for ten minutes; a CDN or proxy
        # may hand the team list to the next visitor.
        cache = {"Cache-Control": "public, max-age=600"}
    return page(
        request,
        "settings.html",
        user=user,
        headers=cache,
        title="Settings",
        settings=settings,
        team=team,
    )


async def stylesheet(request: Request) -> Response:
    # The page links the stylesheet by content hash (?v=), so the fixed app can let browsers
    # and CDNs keep it for a year; the unfixed one revalidates hourly.
    cache = (
        "public, max-age=31536000, immutable" if state_of(request).fixed else "public, max-age=3600"
    )
    return Response(CSS, media_type="text/css", headers={"Cache-Control": cache})


async def healthz(request: Request) -> Response:
    try:
        await run_in_threadpool(_ping, state_of(request).db_path)
    except Exception:  # any database failure makes the app unhealthy
        return JSONResponse({"status": "error", "database": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


def _ping(path: str) -> None:
    with db.opened(path) as conn:
        conn.execute("SELECT 1").fetchone()


# --- email flows ---------------------------------------------------------------------------


async def deliver(state: DemoState, msg: EmailMessage) -> None:
    if state.outbox is not None:
        state.outbox.submit(msg)  # returns at once; the worker talks to the mail server
        return
    # planted: the request waits for the whole SMTP conversation; a slow or unreachable mail
    # server makes invites and resets slow or fail with a server error.
    await run_in_threadpool(send, msg, state.smtp)


def _create_invite(path: str, email: str, inviter_id: int) -> str:
    token = secrets.token_urlsafe(32)
    now = time.time()
    with db.opened(path) as conn, db.transaction(conn):
        conn.execute(
            "INSERT INTO invites (email, token_hash, invited_by, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                email,
                token_hash(token),
                inviter_id,
                db.utc_text(now),
                db.utc_text(now + INVITE_TTL_S),
            ),
        )
    return token


@login_required()
async def send_invite(request: Request, user: User) -> Response:
    data, is_form = await read_checked_payload(request)
    email = str(data.get("email", "")).strip()
    if "@" not in email or len(email) > 254:
        return JSONResponse({"error": "a valid email is required"}, status_code=422)
    state = state_of(request)
    token = await run_in_threadpool(_create_invite, state.db_path, email, user["id"])
    await deliver(state, invite_message(email, token, user["name"]))
    if is_form:
        notice = urlencode({"notice": f"Invitation sent to {email}"})
        return RedirectResponse(f"/?{notice}", status_code=303)
    status = "queued" if state.fixed else "sent"
    return JSONResponse({"status": status, "email": email}, status_code=202)


def _create_reset(path: str, email: str) -> tuple[str, str] | None:
    with db.opened(path) as conn:
        user = db.user_by_email(conn, email)
        if user is None:
            return None
        token = secrets.token_urlsafe(32)
        now = time.time()
        with db.transaction(conn):
            conn.execute(
                "INSERT INTO password_resets (user_id, token_hash, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (user["id"], token_hash(token), db.utc_text(now), db.utc_text(now + RESET_TTL_S)),
            )
        return user["email"], token


async def password_reset(request: Request) -> Response:
    notice = "If an account exists for that address, a reset link is on its way."
    if request.method == "GET":
        return page(request, "forgot.html", user=None, title="Reset your password")
    data, is_form = await read_payload(request)
    state = state_of(request)
    found = await run_in_threadpool(_create_reset, state.db_path, str(data.get("email", "")))
    if found is not None:
        await deliver(state, reset_message(*found))
    # The same answer whether or not the account exists: no way to probe for customers' emails.
    if is_form:
        return page(request, "forgot.html", user=None, title="Reset your password", notice=notice)
    return JSONResponse({"status": "ok", "message": notice})


def _valid_token(conn: Any, table: str, token: str) -> dict[str, Any] | None:
    done = "used_at" if table == "password_resets" else "accepted_at"
    row = conn.execute(
        f"SELECT * FROM {table} WHERE token_hash = ? AND {done} IS NULL AND expires_at > ?",
        (token_hash(token), db.now_text()),
    ).fetchone()
    return db.row_dict(row)


def _use_reset(path: str, token: str, password: str) -> bool:
    with db.opened(path) as conn, db.transaction(conn, immediate=True):
        reset = _valid_token(conn, "password_resets", token)
        if reset is None:
            return False
        conn.execute(
            "UPDATE users SET password_hash = ? WHERE id = ?",
            (hash_password(password), reset["user_id"]),
        )
        conn.execute(
            "UPDATE password_resets SET used_at = ? WHERE id = ?", (db.now_text(), reset["id"])
        )
        return True


def _token_is_valid(path: str, table: str, token: str) -> bool:
    with db.opened(path) as conn:
        return _valid_token(conn, table, token) is not None


def _choose_password(
    request: Request,
    title: str,
    action: str,
    *,
    ask_name: bool,
    token: str,
    error: str | None,
    status_code: int = 200,
) -> Response:
    """The set-a-password page that both the reset and the invitation links open."""
    return page(
        request,
        "choose_password.html",
        user=None,
        status_code=status_code,
        title=title,
        action=action,
        token=token,
        ask_name=ask_name,
        error=error,
    )


async def choose_password(request: Request) -> Response:
    """/reset: the page the reset email links to."""
    path = state_of(request).db_path
    form = functools.partial(
        _choose_password, request, "Choose a new password", "/reset", ask_name=False
    )
    if request.method == "GET":
        token = request.query_params.get("token", "")
        ok = bool(token) and await run_in_threadpool(
            _token_is_valid, path, "password_resets", token
        )
        error = None if ok else "This reset link is invalid or has expired."
        return form(token=token if ok else "", error=error)
    data, _ = await read_payload(request)
    token, password = str(data.get("token", "")), str(data.get("password", ""))
    if len(password) < MIN_PASSWORD:
        return form(token=token, error=f"Use at least {MIN_PASSWORD} characters.", status_code=422)
    if not await run_in_threadpool(_use_reset, path, token, password):
        return form(token="", error="This reset link is invalid or has expired.", status_code=400)
    return RedirectResponse("/login", status_code=303)


def _accept_invite(path: str, token: str, name: str, password: str) -> int | None:
    with db.opened(path) as conn, db.transaction(conn, immediate=True):
        invite = _valid_token(conn, "invites", token)
        if invite is None or db.user_by_email(conn, invite["email"]) is not None:
            return None
        cur = conn.execute(
            "INSERT INTO users (email, name, role, password_hash, created_at) "
            "VALUES (?, ?, 'member', ?, ?)",
            (invite["email"], name, hash_password(password), db.now_text()),
        )
        conn.execute(
            "UPDATE invites SET accepted_at = ? WHERE id = ?", (db.now_text(), invite["id"])
        )
        return cur.lastrowid


async def accept_invite(request: Request) -> Response:
    """/invite: the page the invitation email links to."""
    path = state_of(request).db_path
    form = functools.partial(_choose_password, request, "Join Demo Admin", "/invite", ask_name=True)
    if request.method == "GET":
        token = request.query_params.get("token", "")
        ok = bool(token) and await run_in_threadpool(_token_is_valid, path, "invites", token)
        error = None if ok else "This invitation is invalid or has expired."
        return form(token=token if ok else "", error=error)
    data, _ = await read_payload(request)
    token, password = str(data.get("token", "")), str(data.get("password", ""))
    name = str(data.get("name", "")).strip()[:100] or "New teammate"
    if len(password) < MIN_PASSWORD:
        return form(token=token, error=f"Use at least {MIN_PASSWORD} characters.", status_code=422)
    user_id = await run_in_threadpool(_accept_invite, path, token, name, password)
    if user_id is None:
        return form(
            token="", error="This invitation is invalid, expired or already used.", status_code=400
        )
    start_session(request, user_id)
    return RedirectResponse("/", status_code=303)
