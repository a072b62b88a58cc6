"""The secret formats we look for, as data: one ``Rule`` per format, most specific first.

Each rule was written from the format's public definition (the vendor's token-format
announcement or docs). A rule's ``patterns`` confirm on one line; group ``secret`` is what
the fingerprint hashes and ``body`` (when present) the random part the entropy bar and the
placeholder filter look at. The hyperscan gate of each pattern is derived from it
(``gate.py``) unless the rule gives one; ``keywords`` are the lower-case literals one of
which every match contains, the pure-Python gate. Order is priority: when two rules claim
overlapping text on a line, the earlier wins (a GitHub token inside a URL is a GitHub token).

Generated true examples live in ``samples.py``; ``tests/test_secrets_rules.py`` holds the
false ones.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from launchready.gatherers.secrets import filters
from launchready.gatherers.secrets.gate import derive_gate
from launchready.gatherers.secrets.names import SECRET_WORDS as _SECRET_WORDS

Validator = Callable[["re.Match[str]"], bool]

# Between a name and its value: closing quote/bracket, then = : := => (Go, Ruby, YAML, JSON).
_ASSIGN = r"""["'\]]{0,2}[ \t]{0,4}(?::=|=>|[:=])[ \t]{0,4}(?:[bru]?["'`])?"""
_NAME = rf"(?P<name>[a-z0-9_.-]{{0,40}}?{_SECRET_WORDS}[a-z0-9_.-]{{0,40}})"
_GENERIC_KEYWORDS = (
    "secret",
    "pass",
    "pwd",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "access_key",
    "access-key",
    "accesskey",
    "auth_key",
    "auth-key",
    "authkey",
    "private_key",
    "private-key",
    "privatekey",
    "credential",
)
_FORBIDDEN = re.compile(r"\\[sSwWdD]")  # see gate.py: these differ between the two engines


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    patterns: tuple[str, ...]
    keywords: tuple[str, ...]  # empty: the Python path runs the gate itself over the text
    entropy: float | None = 2.5  # minimum bits/char of the body; None: the generic bar
    min_len: int = 16
    # Recognisable without context, so still looked for in lock files (hash-heavy text).
    standalone: bool = True
    placeholder_words: bool = False  # also treat test/demo/secret… values as stand-ins
    path: str | None = None  # only in files whose path matches
    validate: Validator | None = None
    pem: bool = False  # the secret is the key body on the following lines
    squash: bool = False  # drop whitespace and "\n" escapes before hashing
    gates: tuple[str, ...] = ()  # hyperscan expressions; default: derived from patterns
    gate_multiline: bool = False
    regexes: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    path_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for p in self.patterns:
            if _FORBIDDEN.search(p):
                raise ValueError(f"rule {self.id}: use explicit ASCII classes, not \\s/\\w/\\d")
        if self.entropy is None and self.validate is None:
            raise ValueError(f"rule {self.id}: without an entropy bar, `validate` must apply one")
        object.__setattr__(self, "regexes", tuple(re.compile(p, re.ASCII) for p in self.patterns))
        object.__setattr__(self, "path_re", re.compile(self.path) if self.path else None)
        if not self.gates:
            object.__setattr__(self, "gates", tuple(derive_gate(p) for p in self.patterns))


# Decoded bytes of a JWT part worth parsing. A real header is tens of bytes ({"alg":…,
# "typ":…,"kid":…}); a claims set a few hundred. The bound keeps crafted text cheap.
_JWT_HEADER_MAX = 1024
_JWT_PAYLOAD_MAX = 8192


def _b64url_json(part: str, limit: int) -> object:
    if len(part) > (limit * 4 + 2) // 3:  # base64 of more than `limit` bytes
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        # RecursionError: deeply nested arrays (`[[[[…`) exhaust the C parser's stack.
        return None


def _jwt(m: re.Match[str]) -> bool:
    """A signed JWT: the header names an algorithm; Supabase-style public anon keys are not."""
    header_part, payload_part, _ = m["secret"].split(".", 2)
    header = _b64url_json(header_part, _JWT_HEADER_MAX)
    if not isinstance(header, dict) or str(header.get("alg", "none")).lower() == "none":
        return False
    payload = _b64url_json(payload_part, _JWT_PAYLOAD_MAX)
    return isinstance(payload, dict) and payload.get("role") != "anon"


def _discord(m: re.Match[str]) -> bool:
    """The first segment of a bot token is the bot's numeric id, base64-encoded."""
    first = m["secret"].split(".", 1)[0]
    try:
        decoded = base64.b64decode(first + "=" * (-len(first) % 4), altchars=b"-_")
    except (ValueError, binascii.Error):
        return False
    return decoded.isdigit() and 17 <= len(decoded) <= 20


_TRIVIAL_PASSWORDS = frozenset(
    [
        "postgres",
        "password",
        "pass",
        "passwd",
        "root",
        "admin",
        "secret",
        "test",
        "guest",
        "example",
        "changeme",
        "mysql",
        "redis",
        "rabbitmq",
        "user",
        "dev",
        "local",
        "default",
        "pw",
        "pwd",
        "xxx",
    ]
)
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]"})
_EXAMPLE_HOST = re.compile(r"(^|\.)(example\.(com|org|net)|example|invalid)$", re.IGNORECASE)


def _url_password(m: re.Match[str]) -> bool:
    """Credentials in a URL, minus stand-ins and throwaway local-development defaults."""
    password, user, host = m["secret"], m["user"], m["host"].lower().rstrip(".")
    if password.lower() in _TRIVIAL_PASSWORDS or password == user or password.strip("*") == "":
        return False
    if password.isdigit() and len(password) <= 5:  # host:port@ mistaken for user:password@
        return False
    if _EXAMPLE_HOST.search(host):
        return False
    if host in _LOCAL_HOSTS and (len(password) < 8 or filters.shannon(password) < 2.5):
        return False
    return not filters.is_placeholder(password, generic=True)


def _basic_header(m: re.Match[str]) -> bool:
    """``Authorization: Basic`` carries base64("user:password")."""
    try:
        decoded = base64.b64decode(m["secret"], validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False
    user, sep, password = decoded.partition(":")
    return bool(sep and user and password) and not filters.is_placeholder(password, generic=True)


def _generic(m: re.Match[str]) -> bool:
    return filters.plausible_generic(m["name"], m["secret"])


def _framework_key(m: re.Match[str]) -> bool:
    value = m["secret"]
    return filters.shannon(value) >= filters.entropy_bar(value)


def _boundary(body: str, left: str = "A-Za-z0-9_", right: str = "A-Za-z0-9") -> str:
    return rf"(?<![{left}])(?P<secret>{body})(?![{right}])"


RULES: tuple[Rule, ...] = (
    Rule(
        id="gcp-service-account",
        title="Google Cloud service-account key (JSON)",
        patterns=(
            r'"private_key"[ \t]{0,4}:[ \t]{0,4}"-----BEGIN (?:RSA )?PRIVATE KEY-----'
            r"(?P<secret>(?:\\n|[A-Za-z0-9+/=]){64,8192}?)(?:\\n)?-----END",
        ),
        keywords=('"private_key"',),
        entropy=4.0,
        min_len=64,
        squash=True,
        gates=(r'"private_key"[ \t]{0,4}:[ \t]{0,4}"-----BEGIN',),
    ),
    Rule(
        id="private-key",
        title="Private key (RSA, EC, DSA, OpenSSH, PKCS#8, PGP)",
        patterns=(
            r"-----BEGIN (?P<kind>(?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?"
            r"PRIVATE KEY(?: BLOCK)?)-----",
        ),
        keywords=("private key",),
        entropy=4.0,
        min_len=64,
        pem=True,
        squash=True,
    ),
    Rule(
        id="aws-access-key-id",
        title="AWS access key ID",
        patterns=(
            _boundary(
                r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)(?P<body>[A-Z2-7]{16})", "A-Z0-9", "A-Z0-9"
            ),
        ),
        keywords=("akia", "asia", "abia", "acca", "a3t"),
    ),
    Rule(
        id="aws-secret-access-key",
        title="AWS secret access key",
        patterns=(
            r"(?i)(?:aws_?secret(?:_?access)?(?:_?key)?|secret_?access_?key)[a-z0-9_]{0,20}"
            + _ASSIGN
            + r"(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        ),
        keywords=("aws_secret", "awssecret", "secret_access", "secretaccess"),
        entropy=3.5,
        standalone=False,
    ),
    Rule(
        id="azure-storage-key",
        title="Azure storage account key",
        patterns=(
            r"(?i)AccountKey=(?P<secret>[A-Za-z0-9+/]{86}==)",
            r"(?i)azure[a-z0-9_.-]{0,30}(?:key|secret)[a-z0-9_]{0,10}"
            + _ASSIGN
            + r"(?P<secret>[A-Za-z0-9+/]{86}==)",
        ),
        keywords=("accountkey=", "azure"),
        entropy=4.0,
    ),
    Rule(
        id="github-fine-grained-pat",
        title="GitHub fine-grained personal access token",
        patterns=(_boundary(r"github_pat_(?P<body>[A-Za-z0-9]{22}_[A-Za-z0-9]{59})"),),
        keywords=("github_pat_",),
    ),
    Rule(
        id="github-token",
        title="GitHub token (personal, OAuth, app)",
        patterns=(_boundary(r"gh[pousr]_(?P<body>[A-Za-z0-9]{36,76})"),),
        keywords=("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    ),
    Rule(
        id="gitlab-token",
        title="GitLab token",
        patterns=(
            _boundary(
                r"gl(?:pat|dt|ptt|rt|soat|cbt)-"
                r"(?P<body>[A-Za-z0-9_-]{20,80}(?:\.[0-9a-z]{2}\.[0-9a-z]{7,12})?)",
                "A-Za-z0-9_-",
                "A-Za-z0-9_-",
            ),
        ),
        keywords=("glpat-", "gldt-", "glptt-", "glrt-", "glsoat-", "glcbt-"),
    ),
    Rule(
        id="stripe-secret-key",
        title="Stripe secret or restricted key",
        patterns=(_boundary(r"[rs]k_(?:live|test)_(?P<body>[A-Za-z0-9]{24,247})"),),
        keywords=("sk_live_", "sk_test_", "rk_live_", "rk_test_"),
    ),
    Rule(
        id="stripe-webhook-secret",
        title="Stripe webhook signing secret",
        patterns=(_boundary(r"whsec_(?P<body>[A-Za-z0-9+/]{32,88})", right="A-Za-z0-9+/"),),
        keywords=("whsec_",),
    ),
    Rule(
        id="sendgrid-api-key",
        title="SendGrid API key",
        patterns=(
            _boundary(
                r"SG\.(?P<body>[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})", "A-Za-z0-9_-", "A-Za-z0-9_-"
            ),
        ),
        keywords=("sg.",),
    ),
    Rule(
        id="mailgun-api-key",
        title="Mailgun API key",
        patterns=(
            _boundary(r"key-(?P<body>[0-9a-z]{32})", "A-Za-z0-9_-", "A-Za-z0-9_-"),
            r"(?i)mailgun[a-z0-9_.-]{0,40}"
            + _ASSIGN
            + r"(?P<secret>[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8})(?![A-Za-z0-9_-])",
        ),
        keywords=("key-", "mailgun"),
    ),
    Rule(
        id="mailchimp-api-key",
        title="Mailchimp API key",
        patterns=(_boundary(r"(?P<body>[0-9a-f]{32})-us[0-9]{1,2}", "A-Za-z0-9_-", "A-Za-z0-9_-"),),
        keywords=("-us",),
    ),
    Rule(
        id="postmark-token",
        title="Postmark server or account token",
        # Postmark tokens are bare UUIDs: only the vendor's name beside one makes it a token.
        patterns=(
            r"(?i)postmark[a-z0-9_.\-\"'\[\]: =]{0,40}"
            r"(?P<secret>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
            r"(?![0-9a-z-])",
        ),
        keywords=("postmark",),
        standalone=False,
    ),
    Rule(
        id="slack-webhook",
        title="Slack incoming webhook URL",
        patterns=(
            r"hooks\.slack\.com/(?:services|workflows|triggers)/"
            r"(?P<secret>[A-Za-z0-9_/-]{30,160})",
        ),
        keywords=("hooks.slack.com",),
    ),
    Rule(
        id="slack-token",
        title="Slack token",
        patterns=(
            _boundary(
                r"(?:xox[abposre]|xapp)-(?P<body>[0-9A-Za-z-]{10,250})",
                "A-Za-z0-9_-",
                "A-Za-z0-9_-",
            ),
        ),
        keywords=("xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "xoxe-", "xapp-"),
    ),
    Rule(
        id="twilio-api-key",
        title="Twilio API key SID",
        patterns=(_boundary(r"SK(?P<body>[0-9a-fA-F]{32})", "A-Za-z0-9"),),
        keywords=("sk",),
    ),
    Rule(
        id="twilio-auth-token",
        title="Twilio auth token",
        patterns=(
            r"(?i)twilio[a-z0-9_.-]{0,40}" + _ASSIGN + r"(?P<secret>[0-9a-f]{32})(?![0-9a-z])",
        ),
        keywords=("twilio",),
        standalone=False,
    ),
    Rule(
        id="telegram-bot-token",
        title="Telegram bot token",
        patterns=(_boundary(r"[0-9]{5,16}:(?P<body>A[A-Za-z0-9_-]{34})", "0-9", "A-Za-z0-9_-"),),
        keywords=(":a",),
    ),
    Rule(
        id="discord-webhook",
        title="Discord webhook URL",
        patterns=(
            r"discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/"
            r"(?P<secret>[A-Za-z0-9_-]{60,72})(?![A-Za-z0-9_-])",
        ),
        keywords=("discord",),
    ),
    Rule(
        id="discord-bot-token",
        title="Discord bot token",
        patterns=(
            _boundary(
                r"[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}",
                "A-Za-z0-9_-",
                "A-Za-z0-9_-",
            ),
        ),
        keywords=(),
        entropy=3.5,
        validate=_discord,
    ),
    Rule(
        id="anthropic-api-key",
        title="Anthropic API key",
        patterns=(
            _boundary(
                r"sk-ant-(?:api|admin|sid)[0-9]{2}-(?P<body>[A-Za-z0-9_-]{80,120})",
                "A-Za-z0-9_-",
                "A-Za-z0-9_-",
            ),
        ),
        keywords=("sk-ant-",),
    ),
    Rule(
        id="openai-api-key",
        title="OpenAI API key",
        # "T3BlbkFJ" is "OpenAI" in base64: every OpenAI key format carries it.
        patterns=(
            _boundary(
                r"sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{16,200}T3BlbkFJ[A-Za-z0-9_-]{16,200}",
                "A-Za-z0-9_-",
                "A-Za-z0-9_-",
            ),
        ),
        keywords=("t3blbkfj",),
    ),
    Rule(
        id="huggingface-token",
        title="Hugging Face access token",
        patterns=(_boundary(r"(?:hf_|api_org_)(?P<body>[A-Za-z0-9]{34})"),),
        keywords=("hf_", "api_org_"),
    ),
    Rule(
        id="npm-token",
        title="npm access token",
        patterns=(_boundary(r"npm_(?P<body>[A-Za-z0-9]{36})"),),
        keywords=("npm_",),
    ),
    Rule(
        id="npmrc-auth",
        title="npm registry credential in .npmrc",
        patterns=(
            r"(?i)_auth(?:token)?[ \t]{0,4}=[ \t]{0,4}[\"']?"
            r"(?P<secret>[A-Za-z0-9+/=._-]{20,512})(?![A-Za-z0-9+/=._-])",
        ),
        keywords=("_auth",),
        entropy=3.5,
    ),
    Rule(
        id="pypi-token",
        title="PyPI upload token",
        patterns=(
            _boundary(r"pypi-(?P<body>AgE[A-Za-z0-9_-]{50,400})", "A-Za-z0-9_-", "A-Za-z0-9_-"),
        ),
        keywords=("pypi-age",),
    ),
    Rule(
        id="jwt",
        title="JSON Web Token",
        patterns=(
            _boundary(
                r"eyJ[A-Za-z0-9_-]{10,2000}\.eyJ[A-Za-z0-9_-]{2,4000}\.[A-Za-z0-9_-]{16,1000}",
                "A-Za-z0-9_-",
                "A-Za-z0-9_-",
            ),
        ),
        keywords=("eyj",),
        validate=_jwt,
        gates=(r"eyJ[A-Za-z0-9_-]{10}[A-Za-z0-9_-]*\.eyJ",),
    ),
    Rule(
        id="rails-master-key",
        title="Rails master key",
        patterns=(r"^[ \t]*(?P<secret>[0-9a-f]{32})[ \t]*$",),
        keywords=(),
        path=r"(?:^|/)config/(?:master|credentials/[A-Za-z0-9_.-]+)\.key$",
        gates=(r"^\+?[ \t]*[0-9a-f]{32}[ \t]*$",),
        gate_multiline=True,
    ),
    Rule(
        id="rails-secret-key-base",
        title="Rails secret_key_base",
        patterns=(r"(?i)secret_key_base" + _ASSIGN + r"(?P<secret>[0-9a-f]{64,256})(?![0-9a-z])",),
        keywords=("secret_key_base",),
    ),
    Rule(
        id="django-secret-key",
        title="Django/Flask SECRET_KEY setting",
        patterns=(
            r"(?<![A-Za-z0-9_.])SECRET_KEY[ \t]{0,4}=[ \t]{0,4}[bru]?[\"']"
            r"(?P<secret>[^\"'\n \t]{12,200})[\"']",
        ),
        keywords=("secret_key",),
        entropy=None,
        min_len=12,
        standalone=False,
        placeholder_words=True,
        validate=_framework_key,
    ),
    Rule(
        id="flask-secret-key",
        title="Flask secret key",
        patterns=(
            r"(?:\.secret_key|\[[\"']SECRET_KEY[\"']\])[ \t]{0,4}=[ \t]{0,4}[bru]?[\"']"
            r"(?P<secret>[^\"'\n \t]{12,200})[\"']",
        ),
        keywords=("secret_key",),
        entropy=None,
        min_len=12,
        standalone=False,
        placeholder_words=True,
        validate=_framework_key,
    ),
    Rule(
        id="database-url",
        title="Database or broker URL with a password",
        patterns=(
            r"(?i)(?<![a-z0-9+.-])(?:postgres(?:ql)?|postgis|mysql|mariadb|mongodb(?:\+srv)?"
            r"|rediss?|amqps?|mssql|sqlserver|oracle|cockroachdb|clickhouse|couchdb"
            r"|neo4j(?:\+s)?|bolt|kafka|nats|memcached|cassandra|elasticsearch)"
            r"(?:\+[a-z0-9]+)?://(?P<user>[^:@/ \t\n\"'<>]{0,64}):"
            r"(?P<secret>[^@/ \t\n\"'<>]{1,128})@(?P<host>[^ \t\n/\"'<>:?#@]{1,253})",
        ),
        keywords=(
            "postgres",
            "postgis",
            "mysql",
            "mariadb",
            "mongodb",
            "redis",
            "amqp",
            "mssql",
            "sqlserver",
            "oracle",
            "cockroachdb",
            "clickhouse",
            "couchdb",
            "neo4j",
            "bolt",
            "kafka",
            "nats",
            "memcached",
            "cassandra",
            "elasticsearch",
        ),
        entropy=0.0,
        min_len=4,  # "u:p@" is a stand-in
        validate=_url_password,
    ),
    Rule(
        id="url-basic-auth",
        title="Password in a URL (basic auth)",
        patterns=(
            r"(?i)(?<![a-z])(?:https?|s?ftps?|smtps?|ldaps?|git|ssh)://"
            r"(?P<user>[^:@/ \t\n\"'<>]{1,64}):(?P<secret>[^@/ \t\n\"'<>]{1,128})@"
            r"(?P<host>[a-z0-9][a-z0-9.-]{0,252})",
        ),
        keywords=("://",),
        entropy=0.0,
        min_len=4,  # "u:p@" is a stand-in
        validate=_url_password,
    ),
    Rule(
        id="http-basic-auth-header",
        title="HTTP Basic credentials in an Authorization header",
        patterns=(
            r"(?i)authorization[\"']?[ \t]{0,4}[:=][ \t]{0,4}[\"'`]?basic[ \t]+"
            r"(?P<secret>[A-Za-z0-9+/]{8,400}={0,2})(?![A-Za-z0-9+/=])",
        ),
        keywords=("basic",),
        entropy=2.0,
        min_len=8,
        validate=_basic_header,
    ),
    Rule(
        id="generic-secret",
        title="Hard-coded secret, password or token",
        patterns=(
            # name = "value" (quoted; any language, JSON, YAML)
            r"(?i)(?<![a-z0-9_])" + _NAME + r"[\"'\]]{0,2}"
            r"(?:[ \t]{0,4}:[ \t]{0,4}[a-z_][a-z0-9_\[\]., |]{0,40})?"
            r"[ \t]{0,4}(?::=|=>|[:=])[ \t]{0,4}[bru]?[\"'`]"
            # not the first piece of a concatenation ("abc" + "def"): that is not the value
            r"(?P<secret>[^\"'`\n \t]{8,200})[\"'`](?![ \t]*\+)",
            # NAME=value / name: value (unquoted; .env, YAML, INI, compose, Dockerfile ENV)
            r"(?i)^[ \t]*(?:export[ \t]+|env[ \t]+|-[ \t]+|set[ \t]+)?" + _NAME + r"[ \t]{0,4}"
            r"[:=][ \t]{0,4}(?P<secret>[^\"'`\n \t#,;&|]{8,200})[ \t]*(?:#.*)?$",
            # ?api_key=value in a URL (query strings, JDBC URLs)
            r"(?i)[?&;]" + _NAME + r"=(?P<secret>[^&\"'`\n \t#<>]{8,200})",
        ),
        keywords=_GENERIC_KEYWORDS,
        entropy=None,
        min_len=8,
        standalone=False,
        placeholder_words=True,
        validate=_generic,
        gates=(
            r"(?i)" + _SECRET_WORDS.replace("(?![a-z])", "") + r"[a-z0-9_.-]{0,40}[\"'\]]{0,2}"
            r"(?:[ \t]{0,4}:[ \t]{0,4}[a-z_][a-z0-9_\[\]., |]{0,40})?"
            r"[ \t]{0,4}(?::=|=>|[:=])[ \t]{0,4}[bru]?[\"'`][^\"'`\n \t]{8}",
            r"(?i)" + _SECRET_WORDS.replace("(?![a-z])", "") + r"[a-z0-9_.-]{0,40}[ \t]{0,4}"
            r"[:=][ \t]{0,4}[^\"'`\n \t#,;&|]{8}",
            r"(?i)[?&;][a-z0-9_.-]{0,40}"
            + _SECRET_WORDS.replace("(?![a-z])", "")
            + r"[a-z0-9_.-]{0,40}=[^&\"'`\n \t#<>]{8}",
        ),
    ),
)

RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}
