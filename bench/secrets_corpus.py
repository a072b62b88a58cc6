"""A synthetic repository of a B2B admin app with planted secrets and decoys, and its truth.

Used by ``bench/secrets_bench.py`` (large) and ``tests/test_secrets_corpus.py`` (small).
Everything is generated from a seed at run time; commits are written with ``git
fast-import`` so hundreds of them take seconds.

Ground truth, scored per line for the working tree and per secret for history:
- planted: one secret of every rule, several times, in the contexts real leaks sit in
  (settings, .env, YAML, compose, Dockerfile, JS, docs, shell), some still in HEAD, some
  committed and removed later;
- decoys (never secrets): vendors' documented example keys, placeholders and templates,
  publishable keys, identifiers (UUIDs, account SIDs), lock-file and SRI hashes, commit
  ids, data URIs, public keys, env lookups and descriptive settings;
- ignored for scoring (no tool is credited or blamed): files marked as test fixtures with
  launchready's marker, lines with launchready's inline allow comment, and the key id line
  beside a service-account key.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from random import Random

from launchready.gatherers.secrets.matcher import digest
from launchready.gatherers.secrets.rules import RULES
from launchready.gatherers.secrets.samples import ALNUM, B64, HEX, Sample, pick, sample

ALLOW = "launchready:" + "allow"
FIXTURE = "launchready:" + "test-fixture"
WORDS = [
    "client",
    "invoice",
    "activity",
    "export",
    "invite",
    "reset",
    "account",
    "tenant",
    "report",
    "billing",
    "user",
    "session",
    "audit",
    "note",
    "contact",
    "company",
    "plan",
    "seat",
    "webhook",
    "job",
    "queue",
    "email",
    "template",
    "status",
    "record",
]


@dataclass
class Corpus:
    root: Path
    tree_secrets: set[tuple[str, int]] = field(default_factory=set)
    tree_ignore: set[tuple[str, int]] = field(default_factory=set)
    history_digests: set[str] = field(default_factory=set)
    history_ignore: set[str] = field(default_factory=set)
    values: list[str] = field(default_factory=list)  # every planted value, fixtures too
    decoys: dict[str, int] = field(default_factory=dict)  # decoy class -> lines in HEAD
    commits: int = 0


@dataclass
class _Plant:
    path: str
    secret: str
    locator: str  # text on the line a finding points at (or `offset` lines below it)
    offset: int
    scored: bool = True


# --- file content -------------------------------------------------------------------------


def _ident(r: Random) -> str:
    return "_".join(r.sample(WORDS, 2))


def _python(r: Random, lines: int) -> list[str]:
    out = ['"""Admin views for the ' + r.choice(WORDS) + ' pages."""', "", "import logging", ""]
    templates = [
        "def {a}(request, {b}_id):",
        "    {a} = get_object_or_404({B}, pk={b}_id, tenant=request.tenant)",
        '    logger.info("{a} updated", extra={{"request_id": request.id}})',
        '    return render(request, "{a}.html", {{"{b}": {b}}})',
        '    password = request.POST["password"]',
        "    token = signer.sign({b}.pk)",
        "    if not check_password(password, user.password_hash):",
        '        raise PermissionDenied("bad credentials")',
        '    qs = {B}.objects.filter(client_id=client.id).order_by("-created_at")[:50]',
        "",
        "class {B}Serializer(serializers.ModelSerializer):",
        "    class Meta:",
        '        fields = ["id", "{a}", "{b}", "created_at"]',
    ]
    for _ in range(lines):
        a, b = _ident(r), r.choice(WORDS)
        out.append(r.choice(templates).format(a=a, b=b, B=b.capitalize()))
    return out


def _typescript(r: Random, lines: int) -> list[str]:
    out = ["import { api } from './api';", ""]
    templates = [
        "export async function load{B}(id: string) {{",
        "  const res = await api.get(`/api/{b}s/${{id}}`, "
        "{{ headers: {{ Authorization: `Bearer ${{session.token}}` }} }});",
        "  return res.data as {B}[];",
        "}}",
        "const {a} = useState<{B} | null>(null);",
        "  if (!form.password || form.password.length < 12) setError('password too short');",
        "export const {A}_ROUTE = '/{b}s/{a}';",
    ]
    for _ in range(lines):
        a, b = _ident(r), r.choice(WORDS)
        out.append(r.choice(templates).format(a=a, b=b, B=b.capitalize(), A=a.upper()))
    return out


def _markdown(r: Random, lines: int) -> list[str]:
    out = [f"# {r.choice(WORDS).capitalize()} runbook", ""]
    for _ in range(lines):
        out.append(" ".join(r.choice(WORDS) for _ in range(r.randint(6, 16))).capitalize() + ".")
    return out


def _fixture_json(r: Random, rows: int) -> list[str]:
    out = ["["]
    for i in range(rows):
        row = {
            "id": _uuid(r),
            "client": r.choice(WORDS),
            "checksum": pick(r, HEX, 64),
            "created_at": f"2025-0{r.randint(1, 9)}-1{r.randint(0, 9)}T10:00:00Z",
        }
        out.append("  " + json.dumps(row) + ("," if i < rows - 1 else ""))
    out.append("]")
    return out


def _lockfile(r: Random, packages: int) -> list[str]:
    out = ["{", '  "name": "acme-admin",', '  "lockfileVersion": 3,', '  "packages": {']
    for i in range(packages):
        name = f"{r.choice(WORDS)}-{r.choice(WORDS)}-{i}"
        sri = base64.b64encode(r.randbytes(64)).decode()
        out += [
            f'    "node_modules/{name}": {{',
            f'      "version": "{r.randint(0, 9)}.{r.randint(0, 20)}.{r.randint(0, 30)}",',
            f'      "resolved": "https://registry.npmjs.org/{name}/-/{name}-1.0.0.tgz",',
            f'      "integrity": "sha512-{sri}"',
            "    },",
        ]
    out += ["  }", "}"]
    return out


def _uuid(r: Random) -> str:
    h = pick(r, HEX, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


# --- decoys: look like secrets to a naive scanner, are not ---------------------------------


def _decoys(r: Random) -> list[tuple[str, str]]:
    """(class, line) pairs; the documented examples are rebuilt from pieces here."""
    aws_id = "AKIA" + "IOSFODNN7" + "EXAMPLE"
    aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfi" + "CYEXAMPLEKEY"
    jwt_io = (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    )
    anon = (
        ".".join(
            base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
            for part in ({"alg": "HS256", "typ": "JWT"}, {"role": "anon", "iss": "supabase"})
        )
        + "."
        + pick(r, ALNUM, 43)
    )
    pub_body = base64.b64encode(r.randbytes(270)).decode()
    return [
        ("documented example", f"aws_access_key_id = {aws_id}"),
        ("documented example", f"aws_secret_access_key = {aws_secret}"),
        (
            "documented example",
            f"    curl -H 'Authorization: Bearer {jwt_io}' https://api.acme.io/me",
        ),
        ("placeholder", "STRIPE_SECRET_KEY=sk_live_" + "x" * 24),
        ("placeholder", "GITHUB_TOKEN=${GITHUB_TOKEN}"),
        ("placeholder", '  api_key: "<your-api-key>"'),
        ("placeholder", 'SECRET_KEY = "changeme-in-production"'),
        ("placeholder", "DATABASE_URL=postgres://user:password@localhost:5432/acme"),
        ("placeholder", "REDIS_URL=redis://:${REDIS_PASSWORD}@redis:6379/0"),
        ("placeholder", '      token: "{{ vault_api_token }}"'),
        ("placeholder", "SENDGRID_API_KEY=your-sendgrid-key-here"),
        ("placeholder", "      password: ${{ secrets.DB_PASSWORD }}"),
        ("env lookup", 'SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]'),
        ("env lookup", 'db_password = os.getenv("DB_PASSWORD")'),
        ("env lookup", "  apiKey: process.env.STRIPE_KEY,"),
        ("publishable key", f"STRIPE_PUBLISHABLE_KEY=pk_live_{pick(r, ALNUM, 24)}"),
        ("publishable key", f"const stripe = Stripe('pk_live_{pick(r, ALNUM, 99)}');"),
        ("public anon JWT", f"SUPABASE_ANON_KEY={anon}"),
        ("identifier", f'tenant_id = "{_uuid(r)}"'),
        ("identifier", f"TWILIO_ACCOUNT_SID=AC{pick(r, HEX, 32)}"),
        ("identifier", f'  "request_id": "{_uuid(r)}",'),
        ("identifier", f"SLACK_CHANNEL_ID=C{pick(r, ALNUM.upper(), 10)}"),
        ("hash", f"    --hash=sha256:{pick(r, HEX, 64)}"),
        ("hash", f'  "checksum": "{pick(r, HEX, 64)}",'),
        ("hash", f"deployed_commit: {pick(r, HEX, 40)}"),
        (
            "hash",
            '<script src="/app.js" integrity="sha384-'
            + base64.b64encode(r.randbytes(48)).decode()
            + '"></script>',
        ),
        ("hash", f'ETAG = "{pick(r, HEX, 32)}"'),
        (
            "data",
            ".logo { background: url(data:image/png;base64,"
            + base64.b64encode(r.randbytes(90)).decode()
            + "); }",
        ),
        ("data", f'  "avatar": "{base64.b64encode(r.randbytes(48)).decode()}",'),
        ("public key", f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{pick(r, B64, 43)} deploy@acme"),
        (
            "public key",
            "-----BEGIN PUBLIC KEY-----\n"
            + "\n".join(pub_body[i : i + 64] for i in range(0, len(pub_body), 64))
            + "\n-----END PUBLIC KEY-----",
        ),
        ("descriptive", 'PASSWORD_RESET_URL = "/accounts/password/reset/"'),
        ("descriptive", 'token_type = "bearer"'),
        ("descriptive", 'api_key_header = "X-Api-Key"'),
        ("descriptive", '  "password_hint": "Use at least 12 characters",'),
        ("descriptive", "SECRET_KEY_FILE=/run/secrets/django_secret_key"),
        ("descriptive", "session_secret_name: acme-admin-session"),
    ]


# --- planting ----------------------------------------------------------------------------

_NAMES = {
    "aws-access-key-id": "AWS_ACCESS_KEY_ID",
    "github-token": "GITHUB_TOKEN",
    "github-fine-grained-pat": "GH_DEPLOY_TOKEN",
    "gitlab-token": "GITLAB_TOKEN",
    "stripe-secret-key": "STRIPE_SECRET_KEY",
    "stripe-webhook-secret": "STRIPE_WEBHOOK_SECRET",
    "sendgrid-api-key": "SENDGRID_API_KEY",
    "mailgun-api-key": "MAILGUN_KEY",
    "mailchimp-api-key": "MAILCHIMP_KEY",
    "slack-token": "SLACK_BOT_TOKEN",
    "twilio-api-key": "TWILIO_API_KEY",
    "telegram-bot-token": "TELEGRAM_BOT_TOKEN",
    "discord-bot-token": "DISCORD_TOKEN",
    "anthropic-api-key": "ANTHROPIC_API_KEY",
    "openai-api-key": "OPENAI_API_KEY",
    "huggingface-token": "HF_TOKEN",
    "npm-token": "NPM_TOKEN",
    "pypi-token": "PYPI_TOKEN",
    "jwt": "SERVICE_ROLE_KEY",
}
_CONTEXTS: list[tuple[str, Callable[[str, str], str]]] = [
    ("config/settings_prod.py", lambda n, v: f'{n} = "{v}"'),
    (".env.production", lambda n, v: f"{n}={v}"),
    ("deploy/values.yaml", lambda n, v: f"  {n.lower()}: {v}"),
    ("docker-compose.prod.yml", lambda n, v: f"      - {n}={v}"),
    ("Dockerfile.worker", lambda n, v: f"ENV {n}={v}"),
    ("web/src/config.ts", lambda n, v: f"export const {n} = '{v}';"),
    (
        "docs/ops-notes.md",
        lambda n, v: f"    curl -H 'Authorization: Bearer {v}' https://api.acme.io/v1/clients",
    ),
    ("scripts/release.sh", lambda n, v: f'export {n}="{v}"'),
    ("app/integrations.py", lambda n, v: f'client = Client(api_key="{v}", timeout=10)'),
]


def _plant(r: Random, rule_id: str, where: int) -> tuple[_Plant, list[str]]:
    s: Sample = sample(rule_id, r)
    if s.path:
        path, lines = s.path, s.text.splitlines()
    elif s.bare:
        path, ctx = _CONTEXTS[where % len(_CONTEXTS)]
        lines = [ctx(_NAMES.get(rule_id, "API_TOKEN"), s.text)]
    else:
        path = _CONTEXTS[where % len(_CONTEXTS)][0]
        if rule_id in ("private-key", "gcp-service-account"):
            ext = "pem" if rule_id == "private-key" else "json"
            path = f"secrets/{rule_id}-{where}.{ext}"
        lines = s.text.splitlines()
    locator = s.secret[:24]
    at = next(i for i, line in enumerate(lines) if locator in line)
    return _Plant(path, s.secret, locator, (s.line - 1) - at), lines


# --- the repository ----------------------------------------------------------------------


class _Repo:
    """The tree as path -> lines, written commit by commit through git fast-import."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, list[str]] = {}
        self.changed: set[str] = set()
        self.deleted: set[str] = set()
        self.stream: list[bytes] = []
        self.mark = 0
        self.commits = 0
        self.when = 1_700_000_000

    def put(self, path: str, lines: list[str]) -> None:
        self.files[path] = lines
        self.changed.add(path)
        self.deleted.discard(path)

    def delete(self, path: str) -> None:
        if self.files.pop(path, None) is not None:
            self.deleted.add(path)
            self.changed.discard(path)

    def commit(self, message: str, branch: str = "main", merge: str | None = None) -> int:
        self.mark += 1
        self.commits += 1
        self.when += 3600
        msg = message.encode()
        out = [
            f"commit refs/heads/{branch}\nmark :{self.mark}\n".encode(),
            f"committer Dev <dev@acme.test> {self.when} +0000\n".encode(),
            f"data {len(msg)}\n".encode() + msg + b"\n",
        ]
        if merge:
            out.append(f"merge refs/heads/{merge}\n".encode())
        for path in sorted(self.deleted):
            out.append(f"D {path}\n".encode())
        for path in sorted(self.changed):
            data = ("\n".join(self.files[path]) + "\n").encode()
            out.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        self.stream.extend(out)
        self.changed.clear()
        self.deleted.clear()
        return self.mark

    def finish(self) -> None:
        subprocess.run(["git", "init", "-q", "-b", "main", str(self.root)], check=True)
        env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
        subprocess.run(
            ["git", "-C", str(self.root), "fast-import", "--quiet"],
            input=b"".join(self.stream),
            check=True,
            env=env,
        )
        subprocess.run(["git", "-C", str(self.root), "checkout", "-q", "-f", "main"], check=True)


def _edit(r: Random, lines: list[str], make: Callable[[Random, int], list[str]]) -> list[str]:
    """Replace or insert a few lines, as a day's work does."""
    lines = list(lines)
    for _ in range(r.randint(1, 4)):
        at = r.randint(0, len(lines))
        new = make(r, r.randint(2, 25))[2:]
        if r.random() < 0.5 and at < len(lines):
            lines[at : at + len(new)] = new
        else:
            lines[at:at] = new
    return lines


def build(
    root: Path, *, commits: int = 400, files: int = 600, seed: int = 7, per_rule: int = 3
) -> Corpus:
    """Build the repository at ``root`` (must not exist) and return its ground truth."""
    r = Random(seed)
    repo = _Repo(root)
    corpus = Corpus(root)
    makers: dict[str, Callable[[Random, int], list[str]]] = {
        "py": _python,
        "ts": _typescript,
        "md": _markdown,
    }
    kinds = {}
    for i in range(files):
        kind = r.choice(["py", "py", "ts", "md"])
        folder = {"py": "app", "ts": "web/src", "md": "docs"}[kind]
        path = f"{folder}/{_ident(r)}_{i}.{kind}"
        kinds[path] = kind
        repo.put(path, makers[kind](r, r.randint(40, 400)))
    lock_size = max(50, files * 5)
    repo.put("package-lock.json", _lockfile(r, lock_size))
    repo.put("fixtures/clients.json", _fixture_json(r, max(20, files // 2)))
    repo.put("README.md", _markdown(r, 30))
    repo.commit("initial import")

    decoys = _decoys(r)
    plants_head: list[_Plant] = []
    plants_gone: list[tuple[_Plant, str]] = []
    # When each planting happens: spread over the history.
    schedule: dict[int, list[tuple[str, int, bool]]] = {}
    where = 0
    for rule in RULES:
        for k in range(per_rule * 2):
            keep = k < per_rule
            at = r.randint(1, max(1, commits - 3))
            schedule.setdefault(at, []).append((rule.id, where, keep))
            where += 1
    removals: dict[int, list[tuple[str, str]]] = {}
    branch_at = {commits // 3, (2 * commits) // 3}
    for n in range(1, commits):
        paths = list(kinds)
        for path in r.sample(paths, min(len(paths), r.randint(2, 6))):
            repo.put(path, _edit(r, repo.files[path], makers[kinds[path]]))
        if n % 10 == 0:
            repo.put("package-lock.json", _lockfile(r, lock_size))
        if n % 25 == 0:
            repo.put(f"fixtures/batch_{n}.json", _fixture_json(r, max(20, files // 3)))
        for rule_id, w, keep in schedule.get(n, []):
            plant, lines = _plant(r, rule_id, w)
            if not keep:
                # A file of its own, deleted a few commits later: history only.
                base, dot, ext = plant.path.rpartition(".")
                plant.path = f"{base}_old{w}.{ext}" if dot else f"{plant.path}_old{w}"
                if rule_id == "rails-master-key":
                    plant.path = f"config/credentials/old{w}.key"
                repo.put(plant.path, lines)
                removals.setdefault(min(commits - 1, n + r.randint(1, 5)), []).append(
                    (plant.path, plant.secret)
                )
                plants_gone.append((plant, plant.path))
            else:
                repo.put(plant.path, repo.files.get(plant.path, [])[:] + lines)
                plants_head.append(plant)
            corpus.values.append(plant.secret)
        if n % 7 == 0:
            cls, line = decoys[n // 7 % len(decoys)]
            path = r.choice(
                ["docs/setup.md", "config/settings_base.py", ".env.example", "deploy/base.yaml"]
            )
            repo.put(path, repo.files.get(path, []) + line.splitlines())
            corpus.decoys[cls] = corpus.decoys.get(cls, 0) + 1
        for path, _ in removals.pop(n, []):
            repo.delete(path)
        if n in branch_at:
            repo.commit(f"change {n}")
            _feature_branch(r, repo, kinds, makers, n)
            continue
        repo.commit(f"change {n}")
    for cls, line in decoys:  # every decoy class also sits in HEAD
        repo.put("docs/examples.md", repo.files.get("docs/examples.md", []) + line.splitlines())
        corpus.decoys[cls] = corpus.decoys.get(cls, 0) + 1
    _plant_ignored(r, repo, corpus)
    repo.commit("docs: examples")
    corpus.commits = repo.commits
    repo.finish()
    _truth(corpus, repo, plants_head, plants_gone)
    return corpus


def _feature_branch(
    r: Random,
    repo: _Repo,
    kinds: dict[str, str],
    makers: dict[str, Callable[[Random, int], list[str]]],
    n: int,
) -> None:
    """A branch merged back, and the same change re-applied under another ref (a rebase
    kept around): the history holds duplicate blobs, each of which must be scanned once."""
    saved = {p: list(v) for p, v in repo.files.items()}
    repo.stream.append(f"reset refs/heads/feature-{n}\nfrom refs/heads/main\n\n".encode())
    path = r.choice(list(kinds))
    for i in range(2):
        repo.put(path, _edit(r, repo.files[path], makers[kinds[path]]))
        repo.commit(f"feature {n}.{i}", branch=f"feature-{n}")
    done = repo.files[path]
    for branch, merge in ((f"rebased-{n}", None), ("main", f"feature-{n}")):
        if merge is None:
            repo.stream.append(f"reset refs/heads/{branch}\nfrom refs/heads/main\n\n".encode())
        repo.files = {p: list(v) for p, v in saved.items()}
        repo.put(path, done)
        repo.commit(f"feature {n} on {branch}", branch=branch, merge=merge)


def _plant_ignored(r: Random, repo: _Repo, corpus: Corpus) -> None:
    """A marked test fixture and allow-commented lines: real-shaped, deliberately accepted."""
    fixture = [f"# {FIXTURE}: fake credentials for the Stripe and GitHub client tests"]
    for rule_id in ("stripe-secret-key", "github-token", "private-key"):
        s = sample(rule_id, r)
        fixture += [f'FAKE = """{s.text}"""'] if not s.bare else [f'FAKE = "{s.text}"']
        corpus.values.append(s.secret)
        corpus.history_ignore.add(digest(s.secret))
    repo.put("tests/fixtures/fake_keys.py", fixture)
    s = sample("sendgrid-api-key", r)
    repo.put("app/mail_test_settings.py", [f'SENDGRID_KEY = "{s.text}"  # {ALLOW}'])
    corpus.values.append(s.secret)
    corpus.history_ignore.add(digest(s.secret))


def _truth(corpus: Corpus, repo: _Repo, head: list[_Plant], gone: list[tuple[_Plant, str]]) -> None:
    for plant in head:
        lines = repo.files[plant.path]
        at = next(i for i, line in enumerate(lines) if plant.locator in line)
        corpus.tree_secrets.add((plant.path, at + 1 + plant.offset))
        corpus.history_digests.add(digest(plant.secret))
        if plant.path.endswith(".json") and "gcp" in plant.path:
            corpus.tree_ignore.add((plant.path, at))  # the private_key_id line above it
    for plant, _ in gone:
        corpus.history_digests.add(digest(plant.secret))
    for path, lines in repo.files.items():
        marked = any(FIXTURE in line for line in lines[:20])
        for i, line in enumerate(lines):
            if marked or ALLOW in line:
                corpus.tree_ignore.add((path, i + 1))
