"""The JSON API: clients, a client's activity, and the CSV export of every activity log."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from launchready.sandbox.demo_app import db
from launchready.sandbox.demo_app.state import DemoState, state_of
from launchready.sandbox.demo_app.web import (
    User,
    login_required,
    private_cache,
    read_checked_payload,
)

# What an update spends besides SQL: validating the address, recomputing the client's billing
# summary, an audit hook. Small on its own; it is what the global lock makes everyone wait for.
UPDATE_WORK_S = 0.05
PER_PAGE_DEFAULT, PER_PAGE_MAX = 50, 200
LIST_FIELDS = ("id", "name", "contact_name", "contact_email", "plan", "status", "updated_at")
EXPORT_CHUNK_ROWS = 2000
EXPORT_COLUMNS = ("id", "client_id", "client_name", "user_id", "action", "created_at", "details")
_LIMITS = {"notes": 4000}
_CHOICES = {"plan": db.PLANS, "status": db.STATUSES}


class Invalid(ValueError):
    pass


def client_changes(data: dict[str, Any], *, creating: bool) -> dict[str, str]:
    """Validated column values from a request body; unknown fields are refused."""
    fields = {k: v for k, v in data.items() if k != "csrf_token"}
    unknown = sorted(set(fields) - set(db.CLIENT_FIELDS))
    if unknown:
        raise Invalid(f"unknown field(s): {', '.join(unknown)}")
    changes: dict[str, str] = {}
    for key, value in fields.items():
        if not isinstance(value, str):
            raise Invalid(f"{key} must be a string")
        value = value.strip()
        if len(value) > _LIMITS.get(key, 200):
            raise Invalid(f"{key} is too long")
        if key in _CHOICES and value not in _CHOICES[key]:
            raise Invalid(f"{key} must be one of {', '.join(_CHOICES[key])}")
        changes[key] = value
    if (creating or "name" in changes) and not changes.get("name"):
        raise Invalid("name is required")
    return changes


def _invalid(exc: Invalid) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=422)


# --- list and create -----------------------------------------------------------------------


def _all_clients(path: str) -> list[dict[str, Any]]:
    with db.opened(path) as conn:
        return [dict(r) for r in conn.execute("SELECT * FROM clients ORDER BY id")]


def _clients_page(path: str, page: int, per_page: int) -> tuple[list[dict[str, Any]], int]:
    with db.opened(path) as conn:
        total = int(conn.execute("SELECT COUNT(*) FROM clients").fetchone()[0])
        rows = conn.execute(
            f"SELECT {', '.join(LIST_FIELDS)} FROM clients ORDER BY id LIMIT ? OFFSET ?",
            (per_page, (page - 1) * per_page),
        )
        return [dict(r) for r in rows], total


def _int_param(request: Request, name: str, default: int, high: int) -> int:
    try:
        return min(high, max(1, int(request.query_params.get(name, default))))
    except ValueError:
        return default


async def _list_clients(request: Request) -> Response:
    state = state_of(request)
    if not state.fixed:
        # planted: every client with every column (notes, addresses) in one unpaginated payload.
        clients = await run_in_threadpool(_all_clients, state.db_path)
        return JSONResponse(clients, headers=private_cache(request))
    page = _int_param(request, "page", 1, 1_000_000)
    per_page = _int_param(request, "per_page", PER_PAGE_DEFAULT, PER_PAGE_MAX)
    items, total = await run_in_threadpool(_clients_page, state.db_path, page, per_page)
    headers = {**private_cache(request), "X-Total-Count": str(total)}
    next_page = None
    if page * per_page < total:
        next_page = f"/api/clients?{urlencode({'page': page + 1, 'per_page': per_page})}"
        headers["Link"] = f'<{next_page}>; rel="next"'
    body = {"items": items, "page": page, "per_page": per_page, "total": total, "next": next_page}
    return JSONResponse(body, headers=headers)


def _create_client(path: str, values: dict[str, str], user_id: int) -> dict[str, Any]:
    now = db.now_text()
    columns = [*values, "created_at", "updated_at"]
    with db.opened(path) as conn:
        with db.transaction(conn):
            cur = conn.execute(
                f"INSERT INTO clients ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})",
                [*values.values(), now, now],
            )
            client_id = int(cur.lastrowid or 0)
            db.log_activity(conn, client_id, user_id, "client.created")
        client = db.client_by_id(conn, client_id)
    assert client is not None
    return client


@login_required(api=True)
async def clients_collection(request: Request, user: User) -> Response:
    if request.method == "GET":
        return await _list_clients(request)
    data, is_form = await read_checked_payload(request)
    try:
        values = client_changes(data, creating=True)
    except Invalid as exc:
        return _invalid(exc)
    client = await run_in_threadpool(_create_client, state_of(request).db_path, values, user["id"])
    if is_form:
        return RedirectResponse("/clients", status_code=303)
    return JSONResponse(client, status_code=201, headers=private_cache(request))


# --- read and update one client ------------------------------------------------------------


def _get_client(path: str, client_id: int) -> dict[str, Any] | None:
    with db.opened(path) as conn:
        return db.client_by_id(conn, client_id)


def _update_serialised(
    state: DemoState, client_id: int, changes: dict[str, str], user_id: int
) -> dict[str, Any] | None:
    # planted: one process-wide lock around read-modify-write (added once to stop lost updates):
    # two people saving any clients at the same time queue behind each other.
    stats = state.update_stats
    with stats.holding(state.update_lock), stats.working(), db.opened(state.db_path) as conn:
        current = db.client_by_id(conn, client_id)
        if current is None:
            return None
        time.sleep(UPDATE_WORK_S)
        merged = {**current, **changes}
        with db.transaction(conn):
            conn.execute(
                f"UPDATE clients SET {', '.join(f'{f} = ?' for f in db.CLIENT_FIELDS)}, "
                "version = ?, updated_at = ? WHERE id = ?",
                [
                    *(merged[f] for f in db.CLIENT_FIELDS),
                    current["version"] + 1,
                    db.now_text(),
                    client_id,
                ],
            )
            db.log_activity(conn, client_id, user_id, "client.updated")
        return db.client_by_id(conn, client_id)


def _update_atomic(
    state: DemoState, client_id: int, changes: dict[str, str], user_id: int
) -> dict[str, Any] | None:
    # The same work without any lock; one UPDATE sets only the changed columns, so concurrent
    # edits of different fields cannot overwrite each other.
    with state.update_stats.working():
        time.sleep(UPDATE_WORK_S)
        assignments = [f"{f} = ?" for f in changes] + ["version = version + 1", "updated_at = ?"]
        with db.opened(state.db_path) as conn:
            with db.transaction(conn, immediate=True):
                cur = conn.execute(
                    f"UPDATE clients SET {', '.join(assignments)} WHERE id = ?",
                    [*changes.values(), db.now_text(), client_id],
                )
                if cur.rowcount == 0:
                    return None
                db.log_activity(conn, client_id, user_id, "client.updated")
            return db.client_by_id(conn, client_id)


@login_required(api=True)
async def client_item(request: Request, user: User) -> Response:
    state = state_of(request)
    client_id = int(request.path_params["client_id"])
    if request.method == "GET":
        client = await run_in_threadpool(_get_client, state.db_path, client_id)
    else:
        data, is_form = await read_checked_payload(request)
        try:
            changes = client_changes(data, creating=False)
        except Invalid as exc:
            return _invalid(exc)
        update = _update_atomic if state.fixed else _update_serialised
        client = await run_in_threadpool(update, state, client_id, changes, user["id"])
    if client is None:
        return JSONResponse({"error": "no such client"}, status_code=404)
    return JSONResponse(client, headers=private_cache(request))


def _activity(path: str, client_id: int) -> list[dict[str, Any]] | None:
    with db.opened(path) as conn:
        if db.client_by_id(conn, client_id) is None:
            return None
        return [dict(r) for r in conn.execute(db.ACTIVITY_QUERY, (client_id,))]


@login_required(api=True)
async def client_activity(request: Request, user: User) -> Response:
    client_id = int(request.path_params["client_id"])
    items = await run_in_threadpool(_activity, state_of(request).db_path, client_id)
    if items is None:
        return JSONResponse({"error": "no such client"}, status_code=404)
    return JSONResponse({"client_id": client_id, "items": items}, headers=private_cache(request))


# --- export --------------------------------------------------------------------------------


class _ExportReader:
    """A cursor over every activity log, read a chunk at a time from worker threads.

    The statement stays open for the whole download: with the rollback journal (unfixed) that
    read lock makes every write wait until the export finishes.
    """

    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()  # chunks and close come from different threads
        self._conn = db.connect(path, any_thread=True)
        self._cursor = self._conn.execute(
            "SELECT a.id, a.client_id, c.name, a.user_id, a.action, a.created_at, a.details "
            "FROM activity_logs a JOIN clients c ON c.id = a.client_id ORDER BY a.id"
        )

    def chunk(self) -> str | None:
        with self._lock:
            rows = self._cursor.fetchmany(EXPORT_CHUNK_ROWS)
        if not rows:
            return None
        out = io.StringIO()
        csv.writer(out).writerows(tuple(r) for r in rows)
        return out.getvalue()

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _header() -> str:
    out = io.StringIO()
    csv.writer(out).writerow(EXPORT_COLUMNS)
    return out.getvalue()


async def _export_rows(path: str) -> AsyncIterator[str]:
    reader = await run_in_threadpool(_ExportReader, path)
    try:
        yield _header()
        while (chunk := await run_in_threadpool(reader.chunk)) is not None:
            yield chunk
    finally:
        reader.close()  # also when the client goes away mid-download


@login_required(api=True)
async def export_csv(request: Request, user: User) -> Response:
    headers = {
        **private_cache(request),
        "Content-Disposition": 'attachment; filename="activity-logs.csv"',
    }
    return StreamingResponse(
        _export_rows(state_of(request).db_path),
        media_type="text/csv; charset=utf-8",
        headers=headers,
    )
