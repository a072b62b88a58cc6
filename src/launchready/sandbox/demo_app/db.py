"""The demo app's SQLite database: schema, seed data and the queries the handlers run.

The data is generated from a fixed random seed, so every sandbox has the same clients and logs.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from launchready.sandbox.demo_app.passwords import ADMIN_EMAIL, DEMO_PASSWORD, hash_password

SEEDED_VERSION = 1  # PRAGMA user_version once the seed transaction committed
CLIENT_COUNT = 500
ACTIVITY_INDEX = "idx_activity_logs_client_id"
BUSY_TIMEOUT_S = 5.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS clients (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    contact_name TEXT,
    contact_email TEXT,
    phone TEXT,
    plan TEXT NOT NULL DEFAULT 'standard',
    status TEXT NOT NULL DEFAULT 'active',
    billing_address TEXT,
    notes TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- No index on client_id here: SQLite does not create one for a foreign key.
CREATE TABLE IF NOT EXISTS activity_logs (
    id INTEGER PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients (id),
    user_id INTEGER REFERENCES users (id),
    action TEXT NOT NULL,
    created_at TEXT NOT NULL,
    details TEXT
);
CREATE TABLE IF NOT EXISTS invites (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    invited_by INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    accepted_at TEXT
);
CREATE TABLE IF NOT EXISTS password_resets (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
"""

ACTIVITY_QUERY = (
    "SELECT id, client_id, user_id, action, created_at, details FROM activity_logs "
    "WHERE client_id = ? ORDER BY created_at DESC LIMIT 50"
)

CLIENT_FIELDS = (
    "name",
    "contact_name",
    "contact_email",
    "phone",
    "plan",
    "status",
    "billing_address",
    "notes",
)
PLANS = ("starter", "standard", "premium", "enterprise")
STATUSES = ("active", "onboarding", "paused", "churned")
ACTIONS = (
    ("client.viewed", 30),
    ("note.added", 18),
    ("client.updated", 14),
    ("invoice.sent", 10),
    ("file.uploaded", 9),
    ("login", 8),
    ("task.completed", 6),
    ("export.run", 3),
    ("invite.sent", 1),
    ("password.reset", 1),
)
STAFF = (
    (ADMIN_EMAIL, "Avery Admin", "admin"),
    ("dana@demo.test", "Dana Ortiz", "member"),
    ("sam@demo.test", "Sam Becker", "member"),
    ("priya@demo.test", "Priya Nair", "member"),
)

# The newest seeded activity; logs spread over the year before it.
_SEED_END = 1_751_241_600  # 2025-06-30 00:00:00 UTC
_YEAR_S = 365 * 24 * 3600
_WORDS_A = (
    "Harbor",
    "Summit",
    "Maple",
    "Granite",
    "Blue Fern",
    "Northwind",
    "Copper",
    "Lakeside",
    "Redwood",
    "Silver Oak",
    "Brightline",
    "Ironbridge",
    "Juniper",
    "Meridian",
    "Orchard",
    "Pinecrest",
    "Riverbend",
    "Stonegate",
    "Westfield",
    "Evergreen",
)
_WORDS_B = (
    "Dental",
    "Logistics",
    "Legal",
    "Accounting",
    "Realty",
    "Cleaning",
    "HVAC",
    "Landscaping",
    "Physio",
    "Consulting",
    "Catering",
    "Plumbing",
    "Architects",
    "Insurance",
    "Events",
)
_SUFFIX = ("LLC", "Inc.", "Group", "& Co.", "Partners", "Ltd.")
_FIRST = ("Alex", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Quinn", "Drew", "Kai")
_LAST = ("Smith", "Garcia", "Chen", "Okafor", "Novak", "Larsen", "Haddad", "Kowalski", "Reyes")
_STREETS = ("Main St", "Oak Ave", "Harbor Rd", "Mill Lane", "Station Sq", "Elm Court")


def utc_text(epoch_s: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch_s))


def now_text() -> str:
    return utc_text(time.time())


def connect(path: str, *, any_thread: bool = False) -> sqlite3.Connection:
    """Autocommit connection: writers open their transaction explicitly (see `transaction`)."""
    db = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=not any_thread
    )
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA foreign_keys = ON")
    return db


@contextmanager
def opened(path: str) -> Iterator[sqlite3.Connection]:
    db = connect(path)
    try:
        yield db
    finally:
        db.close()


@contextmanager
def transaction(db: sqlite3.Connection, *, immediate: bool = False) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


# --- seeding -------------------------------------------------------------------------------


def _client_rows(rng: random.Random) -> list[tuple[Any, ...]]:
    rows = []
    for i in range(1, CLIENT_COUNT + 1):
        name = f"{rng.choice(_WORDS_A)} {rng.choice(_WORDS_B)} {rng.choice(_SUFFIX)}"
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        created = _SEED_END - _YEAR_S - rng.randrange(2 * _YEAR_S)
        notes = (
            f"Onboarded by {rng.choice(STAFF)[1]}. Prefers email over phone; monthly review on "
            f"the {rng.randrange(1, 28)}th. Billing contact: {first} {last}. "
            + "Renewal terms negotiated last quarter; see shared drive for the signed order form."
        )
        rows.append(
            (
                i,
                name,
                f"{first} {last}",
                f"{first.lower()}.{last.lower()}@client{i}.example",
                f"+1-555-{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}",
                rng.choice(PLANS),
                rng.choices(STATUSES, (70, 15, 10, 5))[0],
                f"{rng.randrange(1, 999)} {rng.choice(_STREETS)}, Springfield",
                notes,
                utc_text(created),
                utc_text(created + rng.randrange(_YEAR_S)),
            )
        )
    return rows


def _activity_rows(
    rng: random.Random, count: int, user_ids: Sequence[int]
) -> Iterator[tuple[Any, ...]]:
    # Some clients are much busier than others, as in real books of business.
    weights = [rng.paretovariate(1.5) for _ in range(CLIENT_COUNT)]
    client_ids = rng.choices(range(1, CLIENT_COUNT + 1), weights, k=count)
    actions = rng.choices([a for a, _ in ACTIONS], [w for _, w in ACTIONS], k=count)
    for client_id, action in zip(client_ids, actions, strict=True):
        user_id = rng.choice(user_ids)
        yield (
            client_id,
            user_id,
            action,
            utc_text(_SEED_END - rng.randrange(_YEAR_S)),
            f'{{"ip": "10.0.{user_id}.{rng.randrange(2, 254)}", "source": "web"}}',
        )


def _is_seeded(db: sqlite3.Connection) -> bool:
    return int(db.execute("PRAGMA user_version").fetchone()[0]) >= SEEDED_VERSION


def _seed(db: sqlite3.Connection, activity_rows: int) -> None:
    rng = random.Random(20250630)
    created = utc_text(_SEED_END - 2 * _YEAR_S)
    users = [(e, n, r, hash_password(DEMO_PASSWORD), created) for e, n, r in STAFF]
    with transaction(db):
        for statement in SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        db.executemany(
            "INSERT INTO users (email, name, role, password_hash, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            users,
        )
        user_ids = [row[0] for row in db.execute("SELECT id FROM users ORDER BY id")]
        db.executemany(
            "INSERT INTO clients (id, name, contact_name, contact_email, phone, plan, status, "
            "billing_address, notes, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _client_rows(rng),
        )
        db.executemany(
            "INSERT INTO activity_logs (client_id, user_id, action, created_at, details) "
            "VALUES (?, ?, ?, ?, ?)",
            _activity_rows(rng, activity_rows, user_ids),
        )
        db.execute(f"PRAGMA user_version = {SEEDED_VERSION}")


def apply_variant(db: sqlite3.Connection, *, fixed: bool) -> None:
    """Bring the schema to the variant: the fixed app has the index and WAL, the other not."""
    if fixed:
        db.execute(f"CREATE INDEX IF NOT EXISTS {ACTIVITY_INDEX} ON activity_logs (client_id)")
        # WAL lets the CSV export read while updates commit.
        db.execute("PRAGMA journal_mode = WAL")
    else:
        # planted: no index on activity_logs.client_id, so a client's activity is a full scan.
        db.execute(f"DROP INDEX IF EXISTS {ACTIVITY_INDEX}")
        # planted: rollback journal, so a long read (the export) makes writers wait.
        db.execute("PRAGMA journal_mode = DELETE")


def seed_database(path: str, *, activity_rows: int = 120_000, fixed: bool = False) -> None:
    """Create and fill the demo database; on an already seeded file only apply the variant."""
    db = connect(path)
    try:
        if not _is_seeded(db):
            _seed(db, activity_rows)
        apply_variant(db, fixed=fixed)
    finally:
        db.close()


# --- queries -------------------------------------------------------------------------------


def row_dict(row: sqlite3.Row | None) -> dict[str, Any] | None:
    return None if row is None else dict(row)


def user_by_email(db: sqlite3.Connection, email: str) -> dict[str, Any] | None:
    return row_dict(
        db.execute("SELECT * FROM users WHERE email = ? COLLATE NOCASE", (email,)).fetchone()
    )


def user_by_id(db: sqlite3.Connection, user_id: int) -> dict[str, Any] | None:
    return row_dict(db.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone())


def client_by_id(db: sqlite3.Connection, client_id: int) -> dict[str, Any] | None:
    return row_dict(db.execute("SELECT * FROM clients WHERE id = ?", (client_id,)).fetchone())


def log_activity(
    db: sqlite3.Connection, client_id: int, user_id: int | None, action: str, details: str = ""
) -> None:
    db.execute(
        "INSERT INTO activity_logs (client_id, user_id, action, created_at, details) "
        "VALUES (?, ?, ?, ?, ?)",
        (client_id, user_id, action, now_text(), details),
    )
