"""The demo admin app: a small Starlette app with the launch blockers teams typically ship.

`create_app(fixed=False)` plants them (each marked `# planted:` where it lives); `fixed=True`
builds the same app with every one of them fixed, so `launchready demo` can show both audits.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from launchready.sandbox.demo_app import api, db, views
from launchready.sandbox.demo_app.mail import Outbox, SmtpTarget
from launchready.sandbox.demo_app.state import DemoState

SESSION_MAX_AGE_S = 12 * 3600
WEAK_CSP = "default-src * 'unsafe-inline' 'unsafe-eval'"
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def security_headers(*, fixed: bool) -> list[tuple[str, str]]:
    if not fixed:
        # planted: no Strict-Transport-Security, so the first visit can be downgraded to http;
        # planted: a CSP that allows any origin, inline script and eval - it blocks nothing.
        return [("Content-Security-Policy", WEAK_CSP)]
    return [
        ("Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload"),
        ("Content-Security-Policy", STRICT_CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    ]


class SecurityHeaders:
    """Adds the variant's security headers to every response that does not set its own."""

    def __init__(self, app: ASGIApp, *, fixed: bool) -> None:
        self.app = app
        self.headers = security_headers(fixed=fixed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


ROUTES = [
    Route("/", views.dashboard),
    Route("/login", views.login, methods=["GET", "POST"]),
    Route("/logout", views.logout, methods=["POST"]),
    Route("/clients", views.clients_page),
    Route("/admin/settings", views.settings_page),
    Route("/invites", views.send_invite, methods=["POST"]),
    Route("/invite", views.accept_invite, methods=["GET", "POST"]),
    Route("/password-reset", views.password_reset, methods=["GET", "POST"]),
    Route("/reset", views.choose_password, methods=["GET", "POST"]),
    Route("/healthz", views.healthz),
    Route("/static/app.css", views.stylesheet),
    Route("/api/clients", api.clients_collection, methods=["GET", "POST"]),
    Route("/api/clients/{client_id:int}", api.client_item, methods=["GET", "POST"]),
    Route("/api/clients/{client_id:int}/activity", api.client_activity),
    Route("/api/export.csv", api.export_csv),
]


def create_app(
    *,
    db_path: str,
    smtp_host: str,
    smtp_port: int,
    fixed: bool = False,
) -> Starlette:
    """The demo app over an already seeded database (see `seed_database`).

    The app's state, including update-lock counters, is at `app.state.demo` (a DemoState).
    """
    smtp = SmtpTarget(smtp_host, smtp_port)
    state = DemoState(
        db_path=db_path, smtp=smtp, fixed=fixed, outbox=Outbox(smtp) if fixed else None
    )
    if fixed:
        with db.opened(db_path) as conn:
            db.apply_variant(conn, fixed=True)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        state.close()  # lets queued emails go out before the process ends

    middleware = [Middleware(SecurityHeaders, fixed=fixed)]
    if fixed:
        middleware.append(Middleware(GZipMiddleware, minimum_size=1024))
    # else planted: no compression; the unpaginated client list travels at full size.
    middleware.append(
        Middleware(
            SessionMiddleware,
            secret_key=secrets.token_urlsafe(32),
            session_cookie="session",
            max_age=SESSION_MAX_AGE_S,
            same_site="lax",
            # planted (when not fixed): the session cookie lacks Secure, so any plain-http
            # request to the domain sends it in clear text. HttpOnly and SameSite=Lax are set.
            https_only=fixed,
        )
    )
    app = Starlette(routes=ROUTES, middleware=middleware, lifespan=lifespan)
    app.state.demo = state
    return app
