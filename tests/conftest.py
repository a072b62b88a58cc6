"""Shared fixtures: real peers on loopback (DNS, TLS CA, PostgreSQL, Dovecot, Chromium),
and ``interrupt``, which Ctrl-Cs a running ``launchready``."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from launchready.sandbox.tls import TestCA

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from launchready.sandbox.imap_server import DovecotServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _missing(reason: str) -> None:
    """In CI a missing peer is a failure (make test installs it); locally, a skip."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (make test should have installed it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """LAUNCHREADY_TEST_DATABASE_URL when set, else a throwaway cluster."""
    from launchready.sandbox.postgres import PostgresCluster, PostgresUnavailable

    given = os.environ.get("LAUNCHREADY_TEST_DATABASE_URL")
    if given:
        yield given
        return
    try:
        cluster = PostgresCluster().start()
    except PostgresUnavailable as exc:
        _missing(f"PostgreSQL unavailable: {exc}")
        return
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture
def pg_scratch(postgres_url: str) -> Iterator[str]:
    """A database of its own on the test server, dropped afterwards: tests never change
    what LAUNCHREADY_TEST_DATABASE_URL points at."""
    import secrets
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    name = f"lr_test_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(postgres_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def mail_store(test_ca: TestCA) -> Iterator[DovecotServer]:
    """Dovecot on loopback (IMAPS, IMAP + STARTTLS, LMTP), its certificate for
    imap.send.test from the test CA."""
    from launchready.sandbox.imap_server import DovecotServer, MailStoreUnavailable

    try:
        server = DovecotServer(test_ca.issue("imap", "imap.send.test")).start()
    except MailStoreUnavailable as exc:
        _missing(f"Dovecot unavailable: {exc}")
        return
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chromium() -> str:
    if not (Path(CHROMIUM).exists() and shutil.which(CHROMIUM)):
        _missing(f"{CHROMIUM} is not installed")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass(frozen=True)
class Interrupted:
    returncode: int
    stderr: str
    took_s: float  # from SIGINT to the exit


def interrupt(
    cmd: list[str],
    ready: Callable[[], bool],
    *,
    within_s: float = 60,
    env: Mapping[str, str] | None = None,
    settle_s: float = 0.0,
    exit_within_s: float = 30,
) -> Interrupted:
    """Start ``cmd`` (stderr captured), wait until ``ready()`` — at most ``within_s``, or
    until the process exits — then ``settle_s`` more, send SIGINT (Ctrl-C) and wait up to
    ``exit_within_s`` for the exit. A process still running afterwards (or when anything
    fails) is killed. ``ready`` not being reached is the caller's to assert."""
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        deadline = time.monotonic() + within_s
        while proc.poll() is None and time.monotonic() < deadline and not ready():
            time.sleep(0.05)
        time.sleep(settle_s)
        proc.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        _, err = proc.communicate(timeout=exit_within_s)
        took = time.monotonic() - interrupted
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return Interrupted(proc.returncode, err, took)
