"""``launchready audit --only edge`` against the lab, as a user runs it: every planted
problem is flagged, nothing fails on the clean server, and bad --header/--cookie values are
usage errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from launchready.sandbox.edge_servers import SESSION, EdgeLab

# Profiles audited on their own ports (curl-style --resolve), and names audited on the
# default ports through --connect-to, so their plain-http redirects are judged too.
ON_PORTS = ("clean", "no-headers", "csp-unsafe-eval", "cors-credentials", "mixed-active")
ON_PORTS += ("cookie-cacheable", "expired", "wronghost", "nochain", "selfsigned", "legacy")
NAMED = ("no-redirect", "temp-redirect")
# (check id, target without the port) that must be a problem; any other status fails.
PLANTED = {
    ("edge.hsts", "no-headers"),
    ("edge.csp", "no-headers"),
    ("edge.nosniff", "no-headers"),
    ("edge.frame-protection", "no-headers"),
    ("edge.csp-unsafe-eval", "csp-unsafe-eval"),
    ("edge.cors", "cors-credentials"),
    ("edge.mixed-content", "mixed-active"),
    ("edge.sri", "mixed-active"),
    ("edge.cache-set-cookie", "cookie-cacheable"),
    ("edge.tls-expiry", "expired"),
    ("edge.tls-hostname", "wronghost"),
    ("edge.tls-chain", "nochain"),
    ("edge.tls-chain", "selfsigned"),
    ("edge.tls-key", "legacy"),
    ("edge.tls-signature", "legacy"),
    ("edge.https-redirect", "no-redirect"),
    ("edge.https-redirect", "temp-redirect"),
    ("edge.cache-private", "admin/public"),
    ("edge.cdn-cache-hit", "admin/cdn-hit"),
    ("edge.dns-dangling", "dangling"),
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EdgeLab]:
    with EdgeLab(tmp_path_factory.mktemp("edge-cli")) as lab:
        yield lab


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "launchready", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )


def audit_args(lab: EdgeLab) -> list[str]:
    args = ["audit", "--only", "edge", "--format", "json", "--timeout", "15"]
    args += ["--ca-bundle", lab.ca_bundle, "--nameserver", lab.nameserver]
    args += ["--domain", "lab.test", "--cookie", f"session={SESSION}"]
    for profile in ON_PORTS:
        host = lab.host(profile)
        port = lab.ports[lab.listener_of(host)]
        args += ["--url", f"https://{host}:{port}/", "--resolve", f"{host}:{port}:127.0.0.1"]
    for profile in NAMED:
        host = lab.host(profile)
        args += ["--url", f"https://{host}/"]
        args += ["--connect-to", f"{host}:443:127.0.0.1:{lab.ports['main']}"]
        args += ["--connect-to", f"{host}:80:127.0.0.1:{lab.ports['http']}"]
    clean = f"clean.lab.test:{lab.ports['main']}"
    for variant in ("ok", "public", "cdn-hit"):
        args += ["--url", f"https://{clean}/admin/{variant}"]
    # The domain's own names (apex, www, subdomains) need no flags beyond --nameserver for
    # DNS; their connections go through the lab's listeners like everything else.
    args += ["--url", "https://dangling.lab.test/"]  # a CNAME to a name that is gone
    for name in ("lab.test", "www.lab.test", "dangling.lab.test"):
        args += ["--connect-to", f"{name}:443:127.0.0.1:{lab.ports['main']}"]
        args += ["--connect-to", f"{name}:80:127.0.0.1:{lab.ports['http']}"]
    return args


def bare(target: str) -> str:
    """``https://legacy.lab.test:4123/`` → ``legacy``; ``…/admin/public`` → ``admin/public``."""
    rest = target.split("://", 1)[-1]
    host, _, path = rest.partition("/")
    host = host.split(":")[0].removesuffix(".lab.test").split(" ")[0]
    return path.split(" ")[0] if path.startswith("admin/") else host


@pytest.fixture(scope="module")
def report(lab: EdgeLab) -> tuple[int, dict[str, Any]]:
    result = run(*audit_args(lab))
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_every_planted_problem_is_flagged(report: tuple[int, dict[str, Any]]) -> None:
    code, data = report
    flagged = {
        (f["id"], bare(f["target"])) for f in data["findings"] if f["status"] in ("fail", "warn")
    }
    assert flagged >= PLANTED, PLANTED - flagged
    assert code == 1  # must-fix present


def test_nothing_fails_on_the_clean_server(report: tuple[int, dict[str, Any]]) -> None:
    _, data = report
    clean = [
        (f["id"], f["target"], f["status"], f["evidence"])
        for f in data["findings"]
        if bare(f["target"]) in ("clean", "admin/ok")
        and f["status"] in ("fail", "warn", "error")  # skipped: not applicable (custom port)
        and f["id"] != "edge.cdn"  # information only: no CDN in front of the lab
    ]
    assert clean == []


def test_the_redirect_map_is_in_the_json(report: tuple[int, dict[str, Any]]) -> None:
    _, data = report
    starts = {row["start"]: row for row in data["redirect_map"]}
    assert starts["http://no-redirect.lab.test/"]["ends_at"] == "http://no-redirect.lab.test/"
    assert starts["https://lab.test/"]["ends_at"] == "https://www.lab.test/"


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--header", "no colon here", "expected 'Name: value'"),
        ("--cookie", "novalue", "name=value"),
    ],
)
def test_malformed_credentials_are_usage_errors(flag: str, value: str, words: str) -> None:
    result = run("audit", "--only", "edge", "--url", "https://a.test/", flag, value)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and words in lines[0]
