"""How often launchready's edge verdicts agree with Mozilla's HTTP Observatory.

Both scan the same servers — the edge lab (``launchready.sandbox.edge_servers``), one clean
page and one planted problem per page — and the script prints, per Observatory test, how
many verdicts agree, how many launchready did not judge (its checks errored, were skipped or
not applicable: "n/a", counted apart, never as agreement), then every disagreement with the
reason for it.

    .venv/bin/python bench/observatory_agreement.py [--observatory-dir DIR] [--json FILE]

The Observatory (``@mdn/mdn-http-observatory``, MPL-2.0) is installed with npm into a
temporary folder (or DIR, kept for the next run). Its command line takes only a host name
and always scans ports 80/443, so a small Node driver calls its own ``retrieve()`` with the
``httpPort``/``httpsPort``/``path`` options that function already supports, then runs its
ten tests exactly as its scanner does. It reaches the lab as ``localhost`` (Node resolves
through the system, not our DNS server), trusts the lab's test CA through
``NODE_EXTRA_CA_CERTS``, and finds each profile under ``/p/<profile>/``. launchready audits
the same profiles by name (``https://<profile>.lab.test/``) through ``--nameserver`` and
``--connect-to``. Install-time scripts are skipped (they download the HSTS preload list and
CA bundles from the internet); an empty preload list stands in, as no lab name is preloaded.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from launchready.sandbox.edge_servers import EdgeLab

OBSERVATORY = "@mdn/mdn-http-observatory@1.4.8"
# Observatory test → the launchready checks that answer the same question.
MAPPING: dict[str, tuple[str, ...]] = {
    "content-security-policy": ("edge.csp", "edge.csp-unsafe-eval", "edge.csp-strict"),
    "strict-transport-security": ("edge.hsts",),
    "cookies": ("edge.cookie-secure", "edge.cookie-httponly", "edge.cookie-samesite"),
    "x-frame-options": ("edge.frame-protection",),
    "x-content-type-options": ("edge.nosniff",),
    "referrer-policy": ("edge.referrer-policy",),
    "redirection": ("edge.https-redirect",),
    "subresource-integrity": ("edge.sri",),
    "cross-origin-resource-sharing": ("edge.cors",),
}
# Profiles that plant something one of those tests looks at, and the clean page.
PROFILES = (
    "clean",
    "no-headers",
    "hsts-short",
    "hsts-nosub",
    "csp-unsafe-inline",
    "csp-unsafe-eval",
    "csp-broad",
    "csp-no-fallback",
    "csp-nonce",
    "csp-lax-profile",
    "csp-report-only",
    "xfo-missing",
    "xfo-allow-from",
    "nosniff-missing",
    "referrer-unsafe",
    "referrer-missing",
    "cors-credentials",
    "cors-reflect",
    "sri-missing",
    "mixed-active",
    "cookie-insecure",
    "cookie-no-httponly",
    "cookie-no-samesite",
    "no-redirect",
    "temp-redirect",
    "plainhop",
    "offhost",
)
# Why we disagree, keyed by (Observatory test, launchready check that differs); the first
# reason whose needle appears in what was seen applies. Anything else prints UNEXPLAINED.
WHY: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("content-security-policy", "edge.csp-strict"): [
        (
            "missing or weak",
            "stricter on purpose: an admin app's policy must also set default-src, "
            "frame-ancestors, base-uri and form-action (internet.nl's profile); the "
            "Observatory only scores those as bonuses",
        )
    ],
    ("x-frame-options", "edge.frame-protection"): [
        (
            "ALLOW-FROM",
            "stricter on purpose: X-Frame-Options ALLOW-FROM is ignored by every current "
            "browser, so the page can be framed; the Observatory still passes it",
        )
    ],
    ("referrer-policy", "edge.referrer-policy"): [
        (
            "no Referrer-Policy",
            "stricter on purpose: no Referrer-Policy is a warning here (admin URLs carry "
            "record ids and reset tokens); the Observatory passes it, trusting the browser "
            "default",
        )
    ],
    ("cookies", "edge.cookie-samesite"): [
        (
            "no SameSite",
            "stricter on purpose: a session cookie without SameSite fails (low); the "
            "Observatory asks SameSite only of anti-CSRF cookies",
        )
    ],
    ("redirection", "edge.https-redirect"): [
        (
            "temporary",
            "stricter on purpose: a temporary (302/307) first redirect is a low warning, as "
            "browsers do not remember it; the Observatory accepts any redirect code",
        )
    ],
    ("cross-origin-resource-sharing", "edge.cors"): [
        (
            "with credentials",
            "the Observatory's bug: it reads the Origin it sent from `response.request.headers`, "
            "which a live axios request does not have (only its unit tests set it), so the "
            "'universal access with credentials' result (-50) can never fire in a real scan",
        ),
        (
            "without credentials",
            "stricter on purpose: echoing any Origin is a low warning even without "
            "credentials; the Observatory counts it as restricted access and passes",
        ),
    ],
}


def install(folder: Path) -> Path:
    package = folder / "node_modules" / "@mdn" / "mdn-http-observatory"
    if not package.exists():
        print(f"installing {OBSERVATORY} into {folder} …", file=sys.stderr)
        subprocess.run(
            ["npm", "install", "--prefix", str(folder), OBSERVATORY, "--ignore-scripts"]
            + ["--no-audit", "--no-fund", "--loglevel=error"],
            check=True,
        )
    preload = package / "conf" / "hsts-preload.json"
    if not preload.exists():
        preload.write_text("{}")  # normally downloaded by a postinstall script
    return package


DRIVER = """
const [pkg, targetsJson] = process.argv.slice(2);
const { retrieve } = await import(pkg + "/src/retriever/retriever.js");
const { ALL_TESTS } = await import(pkg + "/src/constants.js");
const out = {};
for (const t of JSON.parse(targetsJson)) {
  try {
    const options = {httpPort: t.httpPort, httpsPort: t.httpsPort, path: t.path};
    const r = await retrieve(t.hostname, options);
    if (!r.responses.auto) { out[t.name] = {error: "the site seems to be down"}; continue; }
    const tests = {};
    for (const test of ALL_TESTS) {
      const o = test(r);
      tests[o.constructor.name] = {pass: o.pass, result: o.result};
    }
    out[t.name] = {tests};
  } catch (e) { out[t.name] = {error: String(e)}; }
}
console.log(JSON.stringify(out));
"""


def observatory(package: Path, lab: EdgeLab, work: Path) -> dict[str, Any]:
    driver = work / "driver.mjs"
    driver.write_text(DRIVER)
    targets = [
        {
            "name": p,
            "hostname": "localhost",
            "httpPort": lab.ports["http"],
            "httpsPort": lab.ports["main"],
            "path": f"/p/{p}/",
        }
        for p in PROFILES
    ]
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": lab.ca_bundle}
    result = subprocess.run(
        ["node", str(driver), str(package), json.dumps(targets)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
    )
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def launchready_args(lab: EdgeLab) -> list[str]:
    args = ["audit", "--only", "edge", "--format", "json"]
    args += ["--ca-bundle", lab.ca_bundle, "--nameserver", lab.nameserver]
    for profile in PROFILES:
        args += ["--url", f"https://{lab.host(profile)}/"]
    # Every lab name to its listener, so that off-host redirects complete their chains too.
    for entry in lab.connect_to():
        args += ["--connect-to", entry]
    return args


def ours(lab: EdgeLab) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "launchready", *launchready_args(lab)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_COLOR": "1"},
    )
    if result.returncode not in (0, 1):
        raise SystemExit(f"launchready failed:\n{result.stderr}")
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def profile_of(target: str) -> str:
    host = target.split("://", 1)[-1].split("/", 1)[0].split(" ")[0]
    return host.removesuffix(".lab.test")


def our_verdicts(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, str]]:
    """(profile, check id) → {status: evidence} over that profile's findings."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    for f in report["findings"]:
        # The Observatory's redirection test follows http:// only; edge.https-redirect also
        # judges the chains from https:// (a fall back to http), which it never looks at.
        if f["id"] == "edge.https-redirect" and f["target"].startswith("https://"):
            continue
        found.setdefault((profile_of(f["target"]), f["id"]), {})[f["status"]] = f["evidence"]
    return found


def verdict(statuses: dict[str, str]) -> str:
    if {"fail", "warn"} & statuses.keys():
        return "fail"
    return "pass" if "pass" in statuses else "n/a"


def combined(per_check: dict[str, str]) -> str:
    """One verdict for an Observatory test from the checks mapped to it: any failure fails;
    a pass needs every one of them to have passed. When one reached no verdict (error,
    skipped, not applicable) and none failed, "n/a": it agrees with nothing, so a check that
    never ran is not counted as agreeing with an Observatory pass."""
    if "fail" in per_check.values():
        return "fail"
    return "n/a" if "n/a" in per_check.values() else "pass"


def compare(obs: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    found = our_verdicts(report)
    rows: list[tuple[str, int, int, int]] = []
    disagreements: list[tuple[str, str, str, str, list[str], str]] = []
    not_judged: list[tuple[str, str, str, str]] = []
    for test, checks in MAPPING.items():
        agree = total = na = 0
        for profile in PROFILES:
            scanned = obs.get(profile, {})
            if "tests" not in scanned:
                disagreements.append((test, profile, "?", "?", [], scanned.get("error", "")))
                continue
            theirs = "pass" if scanned["tests"][test]["pass"] else "fail"
            per_check = {c: verdict(found.get((profile, c), {})) for c in checks}
            mine = combined(per_check)
            if mine == "n/a":
                na += 1
                evidence = "; ".join(
                    e for c in checks for e in found.get((profile, c), {}).values()
                )
                not_judged.append((test, profile, theirs, evidence or "no finding"))
                continue
            total += 1
            if theirs == mine:
                agree += 1
                continue
            differing = [
                c for c, v in per_check.items() if v == ("fail" if mine == "fail" else "pass")
            ]
            evidence = "; ".join(e for c in differing for e in found.get((profile, c), {}).values())
            result = scanned["tests"][test]["result"]
            disagreements.append((test, profile, theirs, mine, differing, f"{result} | {evidence}"))
        rows.append((test, agree, total, na))
    return {"rows": rows, "disagreements": disagreements, "not_judged": not_judged}


def explain(test: str, differing: list[str], seen: str) -> str:
    reasons = [
        next((why for needle, why in WHY.get((test, c), []) if needle in seen), "")
        for c in differing
    ]
    return " / ".join(r for r in reasons if r) or "UNEXPLAINED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--observatory-dir", help="install (or reuse) the Observatory here")
    parser.add_argument("--json", help="also write the comparison to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="observatory-bench-") as tmp:
        work = Path(tmp)
        package = install(Path(args.observatory_dir) if args.observatory_dir else work / "npm")
        with EdgeLab(work / "lab") as lab:
            obs = observatory(package, lab, work)
            report = ours(lab)
    result = compare(obs, report)
    agree = sum(a for _, a, _, _ in result["rows"])
    total = sum(t for _, _, t, _ in result["rows"])
    na = sum(n for _, _, _, n in result["rows"])
    print(f"Mozilla HTTP Observatory ({OBSERVATORY}) vs launchready, {len(PROFILES)} lab pages\n")
    print(f"{'Observatory test':34} agree  n/a")
    for test, a, t, n in result["rows"]:
        print(f"{test:34} {a:>3}/{t:<3} {n:>3}")
    print(f"{'all':34} {agree:>3}/{total} ({100 * agree / max(total, 1):.1f}%), n/a {na}\n")
    print(f"Not judged by launchready ({na}; counted neither as agreeing nor disagreeing):")
    for test, profile, theirs, evidence in result["not_judged"]:
        print(f"- {test} on /p/{profile}/: Observatory {theirs}; ours: {evidence[:200]}")
    print(f"\nDisagreements ({len(result['disagreements'])}):")
    for test, profile, theirs, mine, differing, detail in result["disagreements"]:
        print(f"- {test} on /p/{profile}/: Observatory {theirs}, launchready {mine}")
        print(f"    why: {explain(test, differing, detail)}")
        print(f"    seen: {detail[:300]}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    unexplained = [d for d in result["disagreements"] if explain(d[0], d[4], d[5]) == "UNEXPLAINED"]
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
