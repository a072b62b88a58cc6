"""A deliberately flawed demo admin app (clients, activity logs, invites, resets, exports).

`seed_database` fills a SQLite file; `create_app` serves it. With `fixed=True` both build the
same app with its launch blockers fixed. Sign in as ADMIN_EMAIL with DEMO_PASSWORD.
"""

from launchready.sandbox.demo_app.app import create_app
from launchready.sandbox.demo_app.db import ACTIVITY_QUERY, seed_database
from launchready.sandbox.demo_app.passwords import ADMIN_EMAIL, DEMO_PASSWORD
from launchready.sandbox.demo_app.state import DemoState, UpdateStats

__all__ = [
    "ACTIVITY_QUERY",
    "ADMIN_EMAIL",
    "DEMO_PASSWORD",
    "DemoState",
    "UpdateStats",
    "create_app",
    "seed_database",
]
