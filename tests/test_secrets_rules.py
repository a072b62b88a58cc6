"""Every secret rule against true examples (generated) and false ones, on both gates.

True examples come from ``samples.py`` (seeded, built at run time: this file holds no
secret-shaped literal). False examples are the look-alikes real repositories are full of.
Both matching paths — hyperscan and pure Python — must give the same answers.
"""

from __future__ import annotations

import base64
import json
import sys
import zlib
from random import Random

import pytest

from launchready.gatherers.secrets import filters, scan_text
from launchready.gatherers.secrets.gate import derive_gate
from launchready.gatherers.secrets.matcher import (
    ALLOW_MARK,
    FIXTURE_MARK,
    Matcher,
    digest,
    fingerprint,
    preview,
)
from launchready.gatherers.secrets.rules import RULES, RULES_BY_ID
from launchready.gatherers.secrets.samples import ALNUM, B64, HEX, SAMPLES, pick

BACKENDS = ["hyperscan", "python"]
R = Random(5)


@pytest.fixture(scope="module", params=BACKENDS)
def matcher(request: pytest.FixtureRequest) -> Matcher:
    m = Matcher(backend=request.param)
    assert m.backend == request.param
    return m


def _wrap(rule_id: str, r: Random) -> tuple[str, str, str, int]:
    """(path, text, secret, line) of one true example, bare tokens put in a context."""
    s = SAMPLES[rule_id](r)
    text = s.text
    if s.bare:
        text = r.choice(
            [
                f'API_TOKEN = "{s.text}"',
                f"{s.text}",
                f"curl -H 'Authorization: Bearer {s.text}' https://api.acme.test/",
                f"  token: {s.text}  # prod",
            ]
        )
    return s.path or "config/settings.py", "# header\n" + text + "\n", s.secret, s.line + 1


def test_every_rule_has_a_sample_and_a_false_example() -> None:
    assert set(SAMPLES) == {r.id for r in RULES}
    assert set(FALSE) == {r.id for r in RULES}


@pytest.mark.parametrize("rule_id", [r.id for r in RULES])
def test_true_examples(matcher: Matcher, rule_id: str) -> None:
    r = Random(zlib.crc32(rule_id.encode()))
    for _ in range(25):
        path, text, secret, line = _wrap(rule_id, r)
        hits = matcher.scan_text(path, text)
        wanted = fingerprint(rule_id, secret)
        assert [(h.rule_id, h.line) for h in hits if h.fingerprint == wanted] == [
            (rule_id, line)
        ], (rule_id, [(h.rule_id, h.line) for h in hits])
        assert secret not in repr(hits)


def _aws_examples() -> list[str]:
    key_id = "AKIA" + "IOSFODNN7" + "EXAMPLE"
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfi" + "CYEXAMPLEKEY"
    return [f"aws_access_key_id = {key_id}", f"aws_secret_access_key = {secret}"]


def _jwt(header: dict[str, str], payload: dict[str, object], sig: str = "") -> str:
    def enc(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{enc(header)}.{enc(payload)}.{sig or pick(R, ALNUM, 43)}"


_PUBLIC_BODY = "\n".join(pick(R, B64, 64) for _ in range(6))
FALSE: dict[str, list[str]] = {
    "gcp-service-account": [
        '  "private_key": "-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----\\n",',
        f'  "private_key_id": "{pick(R, HEX, 40)}",',
    ],
    "private-key": [
        f"-----BEGIN PUBLIC KEY-----\n{_PUBLIC_BODY}\n-----END PUBLIC KEY-----",
        f"-----BEGIN CERTIFICATE-----\n{_PUBLIC_BODY}\n-----END CERTIFICATE-----",
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
        "if line.startswith('-----BEGIN OPENSSH PRIVATE KEY-----'):",
    ],
    "aws-access-key-id": [*_aws_examples(), "AKIA" + "X" * 16, "AKIA0000111122223333"],
    "aws-secret-access-key": [
        'aws_secret_access_key = os.environ["AWS_SECRET_ACCESS_KEY"]',
        "AWS_SECRET_ACCESS_KEY: ${AWS_SECRET_ACCESS_KEY}",
    ],
    "azure-storage-key": [
        "AccountKey=<your-account-key>;EndpointSuffix=core.windows.net",
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
        + "K1SZFPTOtr/KBHBeksoGMGw==",  # Azurite's published development key
    ],
    "github-fine-grained-pat": ["github_pat_" + "x" * 22 + "_" + "x" * 59],
    "github-token": ["ghp_" + "x" * 36, "GITHUB_TOKEN=ghp_your_token_here", "gho_tokens = []"],
    "gitlab-token": ["glpat-" + "x" * 20, "glpat-<your-token>"],
    "stripe-secret-key": [
        f"STRIPE_PUBLISHABLE_KEY=pk_live_{pick(R, ALNUM, 24)}",
        "sk_live_" + "x" * 24,
        "STRIPE_KEY=sk_test_your_key_here",
    ],
    "stripe-webhook-secret": ["whsec_" + "X" * 32, "STRIPE_WEBHOOK_SECRET=whsec_${SECRET}"],
    "sendgrid-api-key": ["SENDGRID_API_KEY=SG.your-api-key", "msg.send(to=user)"],
    "mailgun-api-key": [
        f"MAILGUN_PUBLIC_KEY=pubkey-{pick(R, HEX, 32)}",
        "key-" + "x" * 32,
        f"DEPLOY_ID={pick(R, HEX, 32)}-{pick(R, HEX, 8)}-{pick(R, HEX, 8)}",
    ],
    "mailchimp-api-key": [f"{pick(R, HEX, 32)}-use", "0" * 32 + "-us6"],
    "postmark-token": [
        f'request_id = "{pick(R, HEX, 8)}-{pick(R, HEX, 4)}-4abc-8def-{pick(R, HEX, 12)}"',
        "POSTMARK_SERVER_TOKEN=00000000-0000-0000-0000-000000000000",
    ],
    "slack-webhook": ["https://hooks.slack.com/services/T00000000/B00000000/" + "X" * 24],
    "slack-token": ["SLACK_TOKEN=xoxb-your-bot-token", "xoxb-" + "0" * 10 + "-" + "x" * 24],
    "twilio-api-key": [f"TWILIO_ACCOUNT_SID=AC{pick(R, HEX, 32)}", "SK" + "0" * 32],
    "twilio-auth-token": ["TWILIO_AUTH_TOKEN=your_auth_token", "TWILIO_AUTH_TOKEN=${TOKEN}"],
    "telegram-bot-token": ["123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11", "at 12:34:56 UTC"],
    "discord-webhook": ["https://discord.com/api/webhooks/123456789012345678/<webhook-token>"],
    "discord-bot-token": [
        # The first segment does not decode to a numeric id.
        base64.b64encode(b"not-an-id-at-all!").decode().rstrip("=")
        + f".{pick(R, ALNUM, 6)}.{pick(R, ALNUM, 38)}",
    ],
    "anthropic-api-key": ["ANTHROPIC_API_KEY=sk-ant-api03-" + "x" * 93, "sk-ant-..."],
    "openai-api-key": ["OPENAI_API_KEY=sk-...", "OPENAI_API_KEY=sk-" + "x" * 48],
    "huggingface-token": ["hf_" + "x" * 34, "from huggingface_hub import hf_hub_download"],
    "npm-token": ["npm_" + "x" * 36, "npm_config_registry=https://registry.npmjs.org/"],
    "npmrc-auth": ["//registry.npmjs.org/:_authToken=${NPM_TOKEN}"],
    "pypi-token": ["password: pypi-AgEIcHlwaS5vcmc" + "x" * 60, "pypi-token: ${{ secrets.PYPI }}"],
    "jwt": [
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."  # jwt.io's introduction token
        + "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
        + "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "ANON_KEY=" + _jwt({"alg": "HS256", "typ": "JWT"}, {"role": "anon", "iss": "supabase"}),
        _jwt({"alg": "none"}, {"sub": "1"}),
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0",
    ],
    "rails-master-key": [pick(R, HEX, 32)],  # a 32-hex line outside config/master.key
    "rails-secret-key-base": ["  secret_key_base: <%= ENV['SECRET_KEY_BASE'] %>"],
    "django-secret-key": [
        "SECRET_KEY = os.environ['DJANGO_SECRET_KEY']",
        "SECRET_KEY = 'django-insecure-change-me-before-deploying'",
        "SECRET_KEY = 'dev'",
    ],
    "flask-secret-key": [
        "app.secret_key = os.urandom(24)",
        "app.config['SECRET_KEY'] = 'change-me-please'",
        'app.secret_key = "dev-secret-key-1234"',
    ],
    "database-url": [
        "DATABASE_URL=postgres://user:password@localhost:5432/app",
        "DATABASE_URL=postgres://${DB_USER}:${DB_PASS}@db:5432/app",
        "REDIS_URL=redis://:secret@localhost:6379/0",
        "mysql://root:root@127.0.0.1/app",
        "amqp://guest:guest@rabbitmq:5672/",
        f"postgresql://app:{{password}}@db.example.com/app  {pick(R, ALNUM, 3)}",
    ],
    "url-basic-auth": [
        "https://user:pass@example.com/",
        'f"https://{user}:{token}@github.com/acme/app.git"',
        "http://localhost:8000/admin",
        "https://admin:%s@host.internal/",
    ],
    "http-basic-auth-header": [
        "curl -H 'Authorization: Basic ${CREDENTIALS}' https://api.acme.test/",
        f"Authorization: Basic {base64.b64encode(b'user:password').decode()}",
        'WWW-Authenticate: Basic realm="admin"',
        f"Authorization: Basic {base64.b64encode(R.randbytes(24)).decode()}",  # not user:pass
    ],
    "generic-secret": [
        "https://api.acme.test/v1/export?api_key=YOUR_API_KEY",
        "https://app.acme.test/login?token=${TOKEN}&next=/",
        "https://app.acme.test/accounts?password_reset=requested",
        'password = request.POST["password"]',
        'PASSWORD_RESET_URL = "/accounts/password/reset/"',
        'token_type = "bearer"',
        'api_key_header = "X-Api-Key"',
        '  "password_hint": "Use at least 12 characters",',
        "SECRET_KEY_FILE=/run/secrets/django_secret_key",
        'password = "password123"',
        "password: ${DB_PASSWORD}",
        'token = "<token>"',
        'client_secret = "xxxxxxxxxxxxxxxx"',
        f'tenant_token = "{pick(R, HEX, 8)}-{pick(R, HEX, 4)}-4abc-8def-{pick(R, HEX, 12)}"',
        "password = get_password(user)",
        "  apiKey: process.env.API_KEY,",
        'password: str = "changeme"',
        "session_secret_name: acme-admin-session",
        "const accessToken = useAuthToken();",
        "_SECRET_KEY = re.compile(",
    ],
}


@pytest.mark.parametrize("rule_id", list(FALSE))
def test_false_examples(matcher: Matcher, rule_id: str) -> None:
    for text in FALSE[rule_id]:
        hits = matcher.scan_text("config/settings.py", text + "\n")
        assert hits == [], (rule_id, text, [h.rule_id for h in hits])


def test_lock_files_keep_only_distinct_formats(matcher: Matcher) -> None:
    sri = base64.b64encode(R.randbytes(64)).decode()
    generic = f'  "integrity": "sha512-{sri}",\n  authToken = "{pick(R, ALNUM, 24)}9x"\n'
    assert matcher.scan_text("package-lock.json", generic) == []
    token = SAMPLES["github-token"](R).text
    hits = matcher.scan_text("yarn.lock", f'  resolved "https://x:{token}@npm.acme.test/a.tgz"\n')
    assert [h.rule_id for h in hits] == ["github-token"]


def test_allow_comment_and_fixture_marker(matcher: Matcher) -> None:
    token = SAMPLES["stripe-secret-key"](R).text
    line = f'STRIPE_KEY = "{token}"'
    assert matcher.scan_text("a.py", f"{line}  # {ALLOW_MARK}\n") == []
    marker = FIXTURE_MARK.decode()
    assert matcher.scan_text("t.py", f"# {marker}\n{line}\n") == []
    # The marker counts only near the top: a file that mentions it later is still scanned.
    late = "\n" * 25 + f"# {marker}\n{line}\n"
    assert [h.line for h in matcher.scan_text("t.py", late)] == [27]


def test_overlapping_rules_report_the_specific_one(matcher: Matcher) -> None:
    token = SAMPLES["github-token"](R).text
    hits = matcher.scan_text("ci.sh", f"git clone https://x-access-token:{token}@github.com/a/b\n")
    assert [h.rule_id for h in hits] == ["github-token"]
    key = SAMPLES["private-key"](R)
    assert [h.rule_id for h in matcher.scan_text("k.pem", key.text)] == ["private-key"]


def test_inline_and_quoted_private_keys(matcher: Matcher) -> None:
    body = [pick(R, B64, 64) for _ in range(4)]
    escaped = "\\n".join(body)
    inline = f'PRIVATE_KEY="-----BEGIN PRIVATE KEY-----\\n{escaped}\\n-----END PRIVATE KEY-----"'
    quoted = "\n".join(
        ['KEY = ("-----BEGIN EC PRIVATE KEY-----\\n"', *(f'  "{b}\\n"' for b in body), ")"]
    )
    want = fingerprint("private-key", "".join(body))
    for text in (inline, quoted):
        assert [h.fingerprint for h in matcher.scan_text("k.py", text + "\n")] == [want]


def test_long_minified_line_is_confirmed_around_the_hit(matcher: Matcher) -> None:
    token = SAMPLES["stripe-secret-key"](R).text
    line = "var a=1;" * 20_000 + f'var k="{token}";' + "var b=2;" * 20_000
    hits = matcher.scan_text("static/app.min.js", line + "\n")
    assert [(h.rule_id, h.line) for h in hits] == [("stripe-secret-key", 1)]


def test_hit_carries_fingerprint_and_short_preview_only() -> None:
    s = SAMPLES["openai-api-key"](R)
    (hit,) = scan_text("a.env", f"OPENAI_API_KEY={s.secret}\n")
    assert hit.fingerprint == f"openai-api-key:{digest(s.secret)}"
    assert hit.preview == s.secret[:4] + "…"
    assert preview("hunter42") == "hu…"  # short secrets show less
    assert digest(s.secret) != digest(s.secret + "x")


def test_hit_span_locates_the_secret_on_its_line(matcher: Matcher) -> None:
    s = SAMPLES["openai-api-key"](R)
    line = f"run: OPENAI_API_KEY={s.secret} ./deploy"
    (hit,) = matcher.scan_text("ci.yml", f"name: x\n{line}\n")
    assert hit.line == 2 and hit.span is not None
    assert line[hit.span[0] : hit.span[1]] == s.secret


def test_deeply_nested_jwt_shaped_text_does_not_crash_the_scan(matcher: Matcher) -> None:
    """The claims are parsed to tell public anon keys apart; nesting deeper than the JSON
    parser's stack must make the candidate a non-match, not raise RecursionError."""

    def enc(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    depth = 1_450  # within the rule's length bound, beyond the parser's recursion limit
    header, claims = enc('{"alg":"HS256"}'), enc('{"a":' + "[" * depth + "]" * depth + "}")
    text = f"TOKEN = '{header}.{claims}.{pick(R, ALNUM, 43)}'\n"
    assert [h.rule_id for h in matcher.scan_text("app.py", text)] == []


@pytest.mark.parametrize(
    ("pattern", "gate"),
    [
        (r"(?<![A-Z])(?P<secret>AKIA(?P<body>[A-Z2-7]{16}))(?![A-Z])", r"(?:AKIA(?:[A-Z2-7]{16}))"),
        (r"^\s*x[^\]a]{0,3}$", r"\s*x[^\]a]?"),
        (r"ab\b(?=c)[)(]{2,9}", r"ab[)(]{2}"),
    ],
)
def test_gate_derivation(pattern: str, gate: str) -> None:
    assert derive_gate(pattern) == gate


def test_rules_reject_engine_specific_classes() -> None:
    from launchready.gatherers.secrets.rules import Rule

    with pytest.raises(ValueError, match="ASCII"):
        Rule("x", "x", (r"\d{4}",), ("x",))


def test_filters() -> None:
    assert filters.is_placeholder("${STRIPE_KEY}")
    assert filters.is_placeholder("your-api-key-here")
    assert filters.is_placeholder("{{ vault_token }}")
    assert not filters.is_placeholder("tEsTpXEfTiqillZ", generic=True)  # chance, not a word
    assert filters.is_placeholder("test-password-1", generic=True)
    assert filters.is_documented_example(_aws_examples()[0].split(" = ")[1])
    assert filters.is_lock_file("web/package-lock.json") and not filters.is_lock_file("a.json")
    assert filters.entropy_bar("a" * 64) < filters.entropy_bar(pick(R, ALNUM, 64))
    assert filters.shannon("aaaa") == 0.0 and filters.shannon("abcd") == 2.0
    assert RULES_BY_ID["generic-secret"].placeholder_words


def test_pure_python_path_is_chosen_without_hyperscan(monkeypatch: pytest.MonkeyPatch) -> None:
    from launchready.gatherers.secrets.matcher import default_backend

    monkeypatch.setenv("LAUNCHREADY_NO_HYPERSCAN", "1")
    assert default_backend() == "python" and Matcher().backend == "python"
    monkeypatch.setitem(sys.modules, "hyperscan", None)  # as if it could not be imported
    monkeypatch.delenv("LAUNCHREADY_NO_HYPERSCAN")
    assert default_backend() == "python"
