"""The demo admin app: its features work, and its planted launch blockers are really there."""

from __future__ import annotations

import csv
import io
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.testclient import TestClient

from launchready.sandbox.demo_app import (
    ACTIVITY_QUERY,
    ADMIN_EMAIL,
    DEMO_PASSWORD,
    DemoState,
    create_app,
    seed_database,
)
from launchready.sandbox.demo_app.api import EXPORT_COLUMNS, UPDATE_WORK_S
from launchready.sandbox.demo_app.app import STRICT_CSP, WEAK_CSP
from launchready.sandbox.ports import free_tcp_port

SMALL_ROWS = 2000
# Test passwords are joined at run time, like DEMO_PASSWORD: no password-shaped literals.
WRONG_PASSWORD = "-".join(("not", "the", "one"))
NEW_PASSWORD = "-".join(("a", "brand", "new", "one"))
VARIANTS = [pytest.param(False, id="unfixed"), pytest.param(True, id="fixed")]


# --- databases and apps --------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo-db") / "template.db"
    seed_database(str(path), activity_rows=SMALL_ROWS)
    return path


@pytest.fixture
def db_path(small_template: Path, tmp_path: Path) -> str:
    """A fresh copy of the small seeded database for each test (seeding hashes passwords)."""
    path = tmp_path / "demo.db"
    shutil.copy(small_template, path)
    return str(path)


def make_app(db_path: str, *, fixed: bool, smtp_port: int | None = None) -> Starlette:
    seed_database(db_path, activity_rows=SMALL_ROWS, fixed=fixed)  # applies the variant
    return create_app(
        db_path=db_path, smtp_host="127.0.0.1", smtp_port=smtp_port or free_tcp_port(), fixed=fixed
    )


def demo_state(app: Starlette) -> DemoState:
    state = app.state.demo
    assert isinstance(state, DemoState)
    return state


def https_client(app: Starlette, **kwargs: Any) -> TestClient:
    # https so the fixed variant's Secure cookie is sent back, as a browser would.
    return TestClient(app, base_url="https://app.demo.test", **kwargs)


def sign_in(client: TestClient, password: str = DEMO_PASSWORD) -> Any:
    client.get("/login")
    return client.post(
        "/login", data={"email": ADMIN_EMAIL, "password": password}, follow_redirects=False
    )


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def set_cookie(response: Any, name: str = "session") -> list[str]:
    """The attributes of the named Set-Cookie, lower-cased, e.g. ['httponly', 'samesite=lax']."""
    for header in response.headers.get_list("set-cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        if first.startswith(f"{name}="):
            return [a.lower() for a in attributes]
    raise AssertionError(f"no {name} cookie set: {response.headers}")


# --- a real SMTP server --------------------------------------------------------------------


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_tcp_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def body_of(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


# --- a real HTTP server --------------------------------------------------------------------


@contextmanager
def served(app: Starlette) -> Iterator[str]:
    port = free_tcp_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def session_header(base_url: str) -> dict[str, str]:
    """Sign in over plain http and return the cookie as a header (httpx keeps Secure cookies
    for https, and the fixed variant's cookie is Secure)."""
    with httpx.Client(base_url=base_url) as c:
        r = c.post("/login", data={"email": ADMIN_EMAIL, "password": DEMO_PASSWORD})
        assert r.status_code == 303, r.text
        return {"Cookie": f"session={r.cookies['session']}"}


def wait_until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


# --- seeding -------------------------------------------------------------------------------


def test_seed_creates_schema_and_data_once(db_path: str) -> None:
    conn = sqlite3.connect(db_path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"users", "clients", "activity_logs", "invites", "password_resets"} <= tables
    counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
    assert counts["clients"] == 500 and counts["activity_logs"] == SMALL_ROWS
    stored = conn.execute("SELECT password_hash FROM users WHERE email = ?", (ADMIN_EMAIL,))
    password_hash = stored.fetchone()[0]
    assert password_hash.startswith("scrypt$") and DEMO_PASSWORD not in password_hash
    spread = conn.execute("SELECT COUNT(DISTINCT client_id) FROM activity_logs").fetchone()[0]
    assert spread > 300  # logs belong to many clients, not a handful
    conn.close()

    seed_database(db_path, activity_rows=50)  # already seeded: nothing is added
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT COUNT(*) FROM activity_logs").fetchone()[0] == SMALL_ROWS
    assert conn.execute("SELECT password_hash FROM users WHERE id = 1").fetchone()[0] == (
        password_hash
    )
    conn.close()


def _plan(path: str) -> str:
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("EXPLAIN QUERY PLAN " + ACTIVITY_QUERY, (42,)).fetchall()
    return " | ".join(str(r[-1]) for r in rows)


def test_activity_query_scans_without_the_index_and_uses_it_when_fixed(tmp_path: Path) -> None:
    path = str(tmp_path / "big.db")
    started = time.perf_counter()
    seed_database(path)  # the default size, as `launchready demo` runs it
    seconds = time.perf_counter() - started
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM activity_logs").fetchone()[0] >= 100_000
    unfixed = _plan(path)
    assert "SCAN activity_logs" in unfixed and "USING INDEX" not in unfixed, unfixed

    seed_database(path, fixed=True)  # a seeded file: only the variant's schema changes
    fixed = _plan(path)
    assert "USING INDEX idx_activity_logs_client_id" in fixed and "SCAN activity_logs" not in fixed

    seed_database(path, fixed=False)
    assert "SCAN activity_logs" in _plan(path)
    print(f"seeded 120k activity rows in {seconds:.2f} s")


# --- sign-in -------------------------------------------------------------------------------


@pytest.mark.parametrize("fixed", VARIANTS)
def test_login_page_sets_the_session_cookie_for_anonymous_visitors(
    db_path: str, fixed: bool
) -> None:
    client = https_client(make_app(db_path, fixed=fixed))
    r = client.get("/login")
    assert r.status_code == 200 and "Sign in" in r.text
    assert "httponly" in set_cookie(r)


@pytest.mark.parametrize("fixed", VARIANTS)
def test_sign_in_with_the_right_password_only(db_path: str, fixed: bool) -> None:
    client = https_client(make_app(db_path, fixed=fixed))
    wrong = sign_in(client, WRONG_PASSWORD)
    assert wrong.status_code == 401 and "Email or password is wrong" in wrong.text
    assert client.get("/", follow_redirects=False).status_code == 303

    right = sign_in(client)
    assert right.status_code == 303 and right.headers["location"] == "/"
    dashboard = client.get("/")
    assert dashboard.status_code == 200 and "Dashboard" in dashboard.text
    assert 'Clients</div><div class="stat">500' in dashboard.text

    logout = client.post(
        "/logout", data={"csrf_token": csrf_from(dashboard.text)}, follow_redirects=False
    )
    assert logout.status_code == 303
    assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=/"


def test_form_posts_need_the_csrf_token(db_path: str) -> None:
    client = https_client(make_app(db_path, fixed=False))
    sign_in(client)
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/invites", data={"email": "x@demo.test"}).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200  # still signed in


@pytest.mark.parametrize("fixed", VARIANTS)
def test_anonymous_requests_get_401_from_the_api_and_a_redirect_from_pages(
    db_path: str, fixed: bool
) -> None:
    client = https_client(make_app(db_path, fixed=fixed))
    for path in ("/api/clients", "/api/clients/1", "/api/clients/1/activity", "/api/export.csv"):
        r = client.get(path)
        assert r.status_code == 401 and r.json() == {"error": "authentication required"}, path
    assert client.post("/api/clients/1", json={"name": "x"}).status_code == 401
    assert client.post("/invites", json={"email": "x@demo.test"}).status_code == 401
    for path in ("/", "/clients", "/admin/settings"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    assert client.get("/healthz").json() == {"status": "ok"}


# --- planted flaws and their fixes ---------------------------------------------------------


def test_unfixed_app_plants_the_edge_and_cache_flaws(db_path: str) -> None:
    client = https_client(make_app(db_path, fixed=False))
    login_page = client.get("/login")
    assert "strict-transport-security" not in login_page.headers
    assert login_page.headers["content-security-policy"] == WEAK_CSP
    flags = set_cookie(login_page)
    assert "secure" not in flags and "httponly" in flags and "samesite=lax" in flags

    sign_in(client)
    settings = client.get("/admin/settings")
    assert settings.status_code == 200 and ADMIN_EMAIL in settings.text
    assert settings.headers["cache-control"] == "public, max-age=600"

    clients = client.get("/api/clients", headers={"Accept-Encoding": "gzip"})
    body = clients.json()
    assert isinstance(body, list) and len(body) == 500  # everything, unpaginated
    assert {"notes", "billing_address", "phone"} <= set(body[0])
    assert "content-encoding" not in clients.headers
    assert "cache-control" not in client.get("/").headers


def test_fixed_app_sets_the_headers_cookie_flags_and_pagination(db_path: str) -> None:
    client = https_client(make_app(db_path, fixed=True))
    login_page = client.get("/login")
    headers = login_page.headers
    assert headers["strict-transport-security"] == "max-age=63072000; includeSubDomains; preload"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]
    assert headers["content-security-policy"] == STRICT_CSP
    assert headers["x-content-type-options"] == "nosniff" and "referrer-policy" in headers
    assert {"secure", "httponly", "samesite=lax"} <= set(set_cookie(login_page))

    sign_in(client)
    assert client.get("/admin/settings").headers["cache-control"] == "no-store"
    assert client.get("/").headers["cache-control"] == "private, no-store"

    first = client.get("/api/clients", headers={"Accept-Encoding": "gzip"})
    page = first.json()
    assert (page["page"], page["per_page"], page["total"]) == (1, 50, 500)
    assert len(page["items"]) == 50 and "notes" not in page["items"][0]
    assert first.headers["content-encoding"] == "gzip"
    assert first.headers["cache-control"] == "private, no-store"
    last = client.get("/api/clients", params={"page": 5, "per_page": 100}).json()
    assert len(last["items"]) == 100 and last["next"] is None
    assert last["items"][-1]["id"] == 500


@pytest.mark.parametrize("fixed", VARIANTS)
def test_dashboard_aggregates_are_recomputed_unless_fixed(db_path: str, fixed: bool) -> None:
    client = https_client(make_app(db_path, fixed=fixed))
    sign_in(client)
    assert f'<div class="stat">{SMALL_ROWS}</div>' in client.get("/").text
    with closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
        conn.execute(
            "INSERT INTO activity_logs (client_id, user_id, action, created_at) "
            "VALUES (1, 1, 'login', '2025-07-01 00:00:00')"
        )
    shown = SMALL_ROWS if fixed else SMALL_ROWS + 1  # fixed: cached for a minute
    assert f'<div class="stat">{shown}</div>' in client.get("/").text


# --- clients API ---------------------------------------------------------------------------


@pytest.mark.parametrize("fixed", VARIANTS)
def test_clients_can_be_created_read_and_updated(db_path: str, fixed: bool) -> None:
    client = https_client(make_app(db_path, fixed=fixed))
    sign_in(client)
    created = client.post("/api/clients", json={"name": "Acme Dental", "plan": "premium"})
    assert created.status_code == 201
    new = created.json()
    assert new["name"] == "Acme Dental" and new["version"] == 1

    updated = client.post(f"/api/clients/{new['id']}", json={"notes": "Call on Mondays"})
    assert updated.status_code == 200
    assert updated.json()["notes"] == "Call on Mondays" and updated.json()["version"] == 2
    assert client.get(f"/api/clients/{new['id']}").json()["plan"] == "premium"

    assert client.post(f"/api/clients/{new['id']}", json={"plan": "gold"}).status_code == 422
    assert client.post(f"/api/clients/{new['id']}", json={"owner": "x"}).status_code == 422
    assert client.post("/api/clients/99999", json={"notes": "x"}).status_code == 404

    activity = client.get(f"/api/clients/{new['id']}/activity").json()["items"]
    assert sorted(a["action"] for a in activity) == ["client.created", "client.updated"]


def test_client_activity_is_the_latest_fifty_of_that_client(db_path: str) -> None:
    client = https_client(make_app(db_path, fixed=False))
    sign_in(client)
    with closing(sqlite3.connect(db_path)) as conn:
        busiest, count = conn.execute(
            "SELECT client_id, COUNT(*) FROM activity_logs GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        ).fetchone()
    items = client.get(f"/api/clients/{busiest}/activity").json()["items"]
    assert len(items) == min(50, count)
    assert {i["client_id"] for i in items} == {busiest}
    stamps = [i["created_at"] for i in items]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize("fixed", VARIANTS)
def test_export_streams_every_activity_log_as_csv(db_path: str, fixed: bool) -> None:
    client = https_client(make_app(db_path, fixed=fixed))
    sign_in(client)
    r = client.get("/api/export.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert len(rows) - 1 == SMALL_ROWS
    assert all(len(row) == len(EXPORT_COLUMNS) for row in rows)


@pytest.fixture(scope="module")
def big_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo-big") / "template.db"
    seed_database(str(path))
    return path


@pytest.mark.parametrize("fixed", VARIANTS)
def test_a_running_export_blocks_writes_unless_fixed(
    big_template: Path, tmp_path: Path, fixed: bool
) -> None:
    """The export keeps its read open while the client downloads; with the rollback journal
    (unfixed) no write can commit until it ends, with WAL (fixed) writes go through."""
    path = str(tmp_path / "demo.db")
    shutil.copy(big_template, path)
    seed_database(path, fixed=fixed)
    app = create_app(db_path=path, smtp_host="127.0.0.1", smtp_port=free_tcp_port(), fixed=fixed)
    with (
        served(app) as base,
        httpx.Client(base_url=base, headers=session_header(base)) as http,
        http.stream("GET", "/api/export.csv") as download,
        closing(sqlite3.connect(path, timeout=0.3, isolation_level=None)) as writer,
    ):
        assert next(download.iter_lines()).startswith("id,client_id")
        # 14 MB of CSV: the server is now blocked on a full socket, mid-export.
        if fixed:
            writer.execute("UPDATE clients SET notes = 'during export' WHERE id = 1")
        else:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                writer.execute("UPDATE clients SET notes = 'during export' WHERE id = 1")


# --- email ---------------------------------------------------------------------------------


def test_password_reset_email_arrives_during_the_request_with_a_working_link(
    db_path: str, smtp: tuple[Mailbox, int]
) -> None:
    box, port = smtp
    client = https_client(make_app(db_path, fixed=False, smtp_port=port))
    r = client.post("/password-reset", data={"email": ADMIN_EMAIL})
    assert r.status_code == 200 and "reset link is on its way" in r.text
    # Sent synchronously: the message is in the mailbox before the response returned.
    assert len(box.messages) == 1
    msg = box.messages[0]
    assert msg["To"] == ADMIN_EMAIL and "no-reply@demo.test" in msg["From"]
    assert msg["Subject"] and msg["Message-ID"] and msg["Date"]
    match = re.search(r"https://app\.demo\.test/reset\?token=([\w-]+)", body_of(msg))
    assert match, body_of(msg)

    token = match.group(1)
    assert "Save password" in client.get("/reset", params={"token": token}).text
    done = client.post(
        "/reset", data={"token": token, "password": NEW_PASSWORD}, follow_redirects=False
    )
    assert done.status_code == 303
    assert sign_in(client, NEW_PASSWORD).status_code == 303
    assert client.post("/reset", data={"token": token, "password": "x" * 12}).status_code == 400

    # Unknown addresses get the same answer and no email.
    assert client.post("/password-reset", data={"email": "nobody@demo.test"}).status_code == 200
    assert len(box.messages) == 1


def test_fixed_app_queues_email_and_a_worker_delivers_it(
    db_path: str, smtp: tuple[Mailbox, int]
) -> None:
    box, port = smtp
    app = make_app(db_path, fixed=True, smtp_port=port)
    client = https_client(app)
    assert client.post("/password-reset", json={"email": ADMIN_EMAIL}).json()["status"] == "ok"
    outbox = demo_state(app).outbox
    assert outbox is not None and outbox.join(10)
    assert box.arrived.wait(10) and outbox.sent == 1
    assert "https://app.demo.test/reset?token=" in body_of(box.messages[0])


@pytest.mark.parametrize("fixed", VARIANTS)
def test_an_unreachable_mail_server_fails_the_request_unless_fixed(
    db_path: str, fixed: bool
) -> None:
    app = make_app(db_path, fixed=fixed, smtp_port=free_tcp_port())  # nothing listens there
    client = https_client(app, raise_server_exceptions=False)
    r = client.post("/password-reset", data={"email": ADMIN_EMAIL})
    if fixed:
        outbox = demo_state(app).outbox
        assert r.status_code == 200 and outbox is not None and outbox.join(10)
        assert outbox.failed == 1
    else:
        assert r.status_code == 500  # the SMTP error surfaced in the customer's request


def test_invite_email_links_to_a_working_invitation(
    db_path: str, smtp: tuple[Mailbox, int]
) -> None:
    box, port = smtp
    app = make_app(db_path, fixed=False, smtp_port=port)
    client = https_client(app)
    sign_in(client)
    form = client.get("/")
    sent = client.post(
        "/invites", data={"email": "new@demo.test", "csrf_token": csrf_from(form.text)}
    )
    assert sent.status_code == 200 and "Invitation sent to new@demo.test" in sent.text
    assert len(box.messages) == 1 and box.messages[0]["To"] == "new@demo.test"
    match = re.search(r"https://app\.demo\.test/invite\?token=([\w-]+)", body_of(box.messages[0]))
    assert match

    newcomer = https_client(app)
    joined = newcomer.post(
        "/invite",
        data={"token": match.group(1), "name": "New Person", "password": NEW_PASSWORD},
        follow_redirects=False,
    )
    assert joined.status_code == 303
    assert "new@demo.test" in newcomer.get("/").text


# --- concurrency: the global update lock ---------------------------------------------------


def _post_update(base: str, headers: dict[str, str], client_id: int) -> tuple[int, float, float]:
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        started = time.monotonic()
        r = http.post(f"/api/clients/{client_id}", json={"notes": f"edited {client_id}"})
        return r.status_code, started, time.monotonic()


def _concurrent_updates(base: str, headers: dict[str, str], ids: list[int]) -> list[Any]:
    barrier = threading.Barrier(len(ids))
    results: list[Any] = [None] * len(ids)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = _post_update(base, headers, ids[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(ids))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_an_update_waits_while_the_global_lock_is_held(db_path: str) -> None:
    app = make_app(db_path, fixed=False)
    state = demo_state(app)
    with served(app) as base:
        headers = session_header(base)
        result: list[Any] = []
        state.update_lock.acquire()
        try:
            worker = threading.Thread(target=lambda: result.append(_post_update(base, headers, 7)))
            worker.start()
            wait_until(lambda: state.update_stats.waiting == 1)
            assert worker.is_alive() and not result  # queued behind the lock, not answered
        finally:
            state.update_lock.release()
        worker.join(30)
    assert result and result[0][0] == 200
    assert state.update_stats.contended == 1


def test_two_concurrent_updates_of_different_clients_queue_behind_each_other(db_path: str) -> None:
    app = make_app(db_path, fixed=False)
    stats = demo_state(app).update_stats
    with served(app) as base:
        results = _concurrent_updates(base, session_header(base), [11, 12])
    assert [status for status, _, _ in results] == [200, 200]
    assert stats.updates == 2 and stats.peak_in_flight == 1  # never two at once
    assert stats.contended >= 1 and stats.max_wait_s > 0
    wall = max(end for _, _, end in results) - min(start for _, start, _ in results)
    assert wall >= 2 * UPDATE_WORK_S  # one after the other


def test_fixed_updates_run_side_by_side(db_path: str) -> None:
    app = make_app(db_path, fixed=True)
    stats = demo_state(app).update_stats
    with served(app) as base:
        results = _concurrent_updates(base, session_header(base), [11, 12])
    assert [status for status, _, _ in results] == [200, 200]
    assert stats.updates == 2 and stats.contended == 0
    assert stats.peak_in_flight == 2  # both did their work at the same moment
