"""True examples of every rule, generated from a seeded ``random.Random`` at run time.

The tests, the benchmark corpus and the demo use these, so the repository never carries a
secret-shaped literal. Each generator follows the format's public definition (prefix,
alphabet, length); ``Sample.secret`` is exactly what the rule extracts and hashes.
"""

from __future__ import annotations

import base64
import json
import string
from collections.abc import Callable
from dataclasses import dataclass
from random import Random

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
BASE32 = string.ascii_uppercase + "234567"
PASSWORD = ALNUM + "!%^*-_=+.~@"


@dataclass(frozen=True)
class Sample:
    text: str  # the token alone (``bare``) or lines that hold it in context
    secret: str  # what the rule hashes into the fingerprint
    line: int = 1  # 1-based line of ``text`` a finding points at
    bare: bool = True  # a bare token: callers may put it in any context
    path: str | None = None  # a path the rule requires


def pick(r: Random, alphabet: str, n: int) -> str:
    return "".join(r.choice(alphabet) for _ in range(n))


def _bare(value: str) -> Sample:
    return Sample(value, value)


def _assign(r: Random, name: str, value: str) -> str:
    """``name`` set to ``value`` in one of the syntaxes config and code use."""
    forms = (
        f"{name}={value}",
        f'{name} = "{value}"',
        f"{name.lower()}: {value}",
        f'"{name.lower()}": "{value}",',
        f"export {name}={value}",
        f"    {name.lower()}='{value}',",
    )
    return r.choice(forms)


def _pem(r: Random) -> Sample:
    kind = r.choice(["RSA ", "EC ", "OPENSSH ", "", "ENCRYPTED ", "PGP "])
    if kind == "PGP ":
        body = [pick(r, B64, 64) for _ in range(r.randint(10, 30))] + [pick(r, B64, 40)]
        checksum = "=" + pick(r, B64, 4)
        lines = [
            "-----BEGIN PGP PRIVATE KEY BLOCK-----",
            "",
            *body,
            checksum,
            "-----END PGP PRIVATE KEY BLOCK-----",
        ]
        return Sample("\n".join(lines), "".join(body) + checksum, bare=False)
    lead = {"RSA ": "MIIEpAIBAAKCAQEA", "OPENSSH ": "b3BlbnNzaC1rZXktdjEAAAAA"}.get(kind, "MIIE")
    raw = lead + pick(r, B64, r.randint(200, 1600))
    body = [raw[i : i + 64] for i in range(0, len(raw), 64)]
    lines = [f"-----BEGIN {kind}PRIVATE KEY-----", *body, f"-----END {kind}PRIVATE KEY-----"]
    return Sample("\n".join(lines), "".join(body), bare=False)


def _gcp(r: Random) -> Sample:
    raw = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + pick(r, B64, 1560)
    body = "\\n".join(raw[i : i + 64] for i in range(0, len(raw), 64))
    project = f"acme-{pick(r, string.ascii_lowercase, 6)}-{r.randint(100000, 999999)}"
    lines = [
        "{",
        '  "type": "service_account",',
        f'  "project_id": "{project}",',
        f'  "private_key_id": "{pick(r, HEX, 40)}",',
        f'  "private_key": "-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\\n",',
        f'  "client_email": "deployer@{project}.iam.gserviceaccount.com",',
        f'  "client_id": "{r.randint(10**20, 10**21 - 1)}",',
        '  "token_uri": "https://oauth2.googleapis.com/token"',
        "}",
    ]
    return Sample("\n".join(lines), raw, line=5, bare=False)


def _in_context(name: str, value_of: Callable[[Random], str]) -> Callable[[Random], Sample]:
    def make(r: Random) -> Sample:
        value = value_of(r)
        return Sample(_assign(r, name, value), value, bare=False)

    return make


def _jwt(r: Random) -> str:
    def enc(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    header = {"alg": r.choice(["HS256", "RS256"]), "typ": "JWT"}
    payload = {
        "sub": str(r.randint(1000, 99999)),
        "role": r.choice(["service_role", "admin", "api"]),
        "iat": r.randint(1_600_000_000, 1_800_000_000),
    }
    return f"{enc(header)}.{enc(payload)}.{pick(r, B64URL, 43)}"


def _discord_bot(r: Random) -> str:
    user_id = str(r.randint(10**17, 10**19 - 1)).encode()
    first = base64.b64encode(user_id).decode().rstrip("=")
    return f"{first}.{pick(r, B64URL, 6)}.{pick(r, B64URL, 38)}"


def _url(r: Random, scheme: str, host: str, tail: str) -> Sample:
    password = pick(r, ALNUM + "-_.~", r.randint(14, 28))
    user = r.choice(["app", "acme_prod", "svc_api", "deploy", "admin_rw"])
    url = f"{scheme}://{user}:{password}@{host}{tail}"
    return Sample(url, password)


def _db_url(r: Random) -> Sample:
    scheme, host, tail = r.choice(
        [
            ("postgresql", "db.internal.acme.io:5432", "/acme"),
            ("postgres", "acme-prod.cluster-c1x.eu-west-1.rds.amazonaws.com", "/app"),
            ("mysql", "mysql.acme.io:3306", "/crm"),
            ("mongodb+srv", "cluster0.a1b2c.mongodb.net", "/acme?retryWrites=true"),
            ("redis", "cache.acme.io:6379", "/0"),
            ("amqps", "rabbit.acme.io:5671", "/jobs"),
        ]
    )
    return _url(r, scheme, host, tail)


def _basic_auth(r: Random) -> Sample:
    host, tail = r.choice(
        [
            ("git.acme.io", "/acme/app.git"),
            ("registry.acme.io", "/simple/"),
            ("api.partner-crm.com", "/v2/contacts"),
        ]
    )
    return _url(r, "https", host, tail)


def _generic(r: Random) -> Sample:
    name = r.choice(
        [
            "API_KEY",
            "DB_PASSWORD",
            "CLIENT_SECRET",
            "SMTP_PASSWORD",
            "AUTH_TOKEN",
            "WEBHOOK_SECRET",
            "ACCESS_KEY",
            "ENCRYPTION_PASSPHRASE",
        ]
    )
    value = pick(r, PASSWORD, r.randint(14, 32))
    while not (set(value) & set(string.digits) and set(value) & set(string.ascii_letters)):
        value = pick(r, PASSWORD, r.randint(14, 32))
    forms = (
        f"{name}={value}",
        f'{name.lower()} = "{value}"',
        f"  {name.lower()}: {value}",
        f'  "{_camel(name)}": "{value}",',
        f"const {_camel(name)} = '{value}';",
        f"      - {name}={value}",
    )
    return Sample(r.choice(forms), value, bare=False)


def _camel(name: str) -> str:
    first, *rest = name.lower().split("_")
    return first + "".join(p.capitalize() for p in rest)


def _basic_header(r: Random) -> Sample:
    creds = f"{r.choice(['api', 'svc-export', 'admin'])}:{pick(r, ALNUM, r.randint(16, 28))}"
    value = base64.b64encode(creds.encode()).decode()
    form = r.choice(
        [
            "curl -H 'Authorization: Basic {}' https://api.partner-crm.com/v2/contacts",
            '    headers = {{"Authorization": "Basic {}"}}',
        ]
    )
    return Sample(form.format(value), value, bare=False)


def _query(r: Random) -> Sample:
    value = pick(r, ALNUM, r.randint(24, 40))
    form = r.choice(
        [
            "EXPORT_URL=https://api.acme-billing.com/v1/export.csv?format=csv&api_key={}",
            "jdbc:postgresql://db.acme.io:5432/app?user=app&password={}&ssl=true",
            '  url: "https://maps.partner.io/geo?access_token={}"',
        ]
    )
    return Sample(form.format(value), value, bare=False)


def _generic_any(r: Random) -> Sample:
    return _query(r) if r.random() < 0.3 else _generic(r)


def _django(r: Random) -> Sample:
    value = "django-insecure-" + pick(r, string.ascii_lowercase + string.digits + "!@#%^&*-_=+", 50)
    return Sample(f"SECRET_KEY = '{value}'", value, bare=False)


def _flask(r: Random) -> Sample:
    value = pick(r, HEX, 48)
    form = r.choice(['app.secret_key = "{}"', "app.config['SECRET_KEY'] = '{}'"])
    return Sample(form.format(value), value, bare=False)


def _mailgun(r: Random) -> Sample:
    if r.random() < 0.5:
        return _bare("key-" + pick(r, HEX, 32))
    value = f"{pick(r, HEX, 32)}-{pick(r, HEX, 8)}-{pick(r, HEX, 8)}"
    return Sample(_assign(r, "MAILGUN_API_KEY", value), value, bare=False)


def _uuid(r: Random) -> str:
    h = pick(r, HEX, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _npmrc(r: Random) -> Sample:
    value = pick(r, B64, 40)
    return Sample(f"//npm.pkg.acme.io/:_authToken={value}", value, bare=False)


def _slack_webhook(r: Random) -> Sample:
    path = f"T{pick(r, BASE32, 9)}/B{pick(r, BASE32, 10)}/{pick(r, ALNUM, 24)}"
    return Sample(f"https://hooks.slack.com/services/{path}", path)


def _discord_webhook(r: Random) -> Sample:
    token = pick(r, B64URL, 68)
    hook = f"https://discord.com/api/webhooks/{r.randint(10**17, 10**18 - 1)}/{token}"
    return Sample(hook, token)


def _rails_master(r: Random) -> Sample:
    value = pick(r, HEX, 32)
    return Sample(value, value, bare=False, path="config/master.key")


def _rails_base(r: Random) -> Sample:
    value = pick(r, HEX, 128)
    return Sample(f"  secret_key_base: {value}", value, bare=False)


SAMPLES: dict[str, Callable[[Random], Sample]] = {
    "gcp-service-account": _gcp,
    "private-key": _pem,
    "aws-access-key-id": lambda r: _bare(r.choice(["AKIA", "ASIA"]) + pick(r, BASE32, 16)),
    "aws-secret-access-key": _in_context("AWS_SECRET_ACCESS_KEY", lambda r: pick(r, B64, 40)),
    "azure-storage-key": lambda r: (
        lambda key: Sample(
            "DefaultEndpointsProtocol=https;AccountName=acmeprod;"
            f"AccountKey={key};EndpointSuffix=core.windows.net",
            key,
            bare=False,
        )
    )(base64.b64encode(r.randbytes(64)).decode()),
    "github-fine-grained-pat": lambda r: _bare(
        f"github_pat_{pick(r, ALNUM, 22)}_{pick(r, ALNUM, 59)}"
    ),
    "github-token": lambda r: _bare(f"gh{r.choice('pousr')}_{pick(r, ALNUM, 36)}"),
    "gitlab-token": lambda r: _bare("glpat-" + pick(r, ALNUM + "_-", 20)),
    "stripe-secret-key": lambda r: _bare(
        f"{r.choice(['sk', 'rk'])}_{r.choice(['live', 'test'])}_"
        + pick(r, ALNUM, r.choice([24, 99]))
    ),
    "stripe-webhook-secret": lambda r: _bare("whsec_" + pick(r, ALNUM, 32)),
    "sendgrid-api-key": lambda r: _bare(f"SG.{pick(r, B64URL, 22)}.{pick(r, B64URL, 43)}"),
    "mailgun-api-key": _mailgun,
    "mailchimp-api-key": lambda r: _bare(f"{pick(r, HEX, 32)}-us{r.randint(1, 21)}"),
    "postmark-token": _in_context("POSTMARK_SERVER_TOKEN", _uuid),
    "slack-webhook": _slack_webhook,
    "slack-token": lambda r: _bare(
        f"xox{r.choice('bp')}-{r.randint(10**11, 10**12 - 1)}-"
        f"{r.randint(10**12, 10**13 - 1)}-{pick(r, ALNUM, 24)}"
    ),
    "twilio-api-key": lambda r: _bare("SK" + pick(r, HEX, 32)),
    "twilio-auth-token": _in_context("TWILIO_AUTH_TOKEN", lambda r: pick(r, HEX, 32)),
    "telegram-bot-token": lambda r: _bare(
        f"{r.randint(10**8, 10**10 - 1)}:AA{pick(r, B64URL, 33)}"
    ),
    "discord-webhook": _discord_webhook,
    "discord-bot-token": lambda r: _bare(_discord_bot(r)),
    "anthropic-api-key": lambda r: _bare(f"sk-ant-api03-{pick(r, B64URL, 93)}AA"),
    "openai-api-key": lambda r: _bare(
        r.choice(["sk-", "sk-proj-"]) + pick(r, ALNUM, 20) + "T3BlbkFJ" + pick(r, ALNUM, 20)
    ),
    "huggingface-token": lambda r: _bare("hf_" + pick(r, string.ascii_letters, 34)),
    "npm-token": lambda r: _bare("npm_" + pick(r, ALNUM, 36)),
    "npmrc-auth": _npmrc,
    "pypi-token": lambda r: _bare("pypi-AgEIcHlwaS5vcmc" + pick(r, B64URL, r.randint(60, 160))),
    "jwt": lambda r: _bare(_jwt(r)),
    "rails-master-key": _rails_master,
    "rails-secret-key-base": _rails_base,
    "django-secret-key": _django,
    "flask-secret-key": _flask,
    "database-url": _db_url,
    "url-basic-auth": _basic_auth,
    "http-basic-auth-header": _basic_header,
    "generic-secret": _generic_any,
}


def sample(rule_id: str, r: Random) -> Sample:
    return SAMPLES[rule_id](r)
