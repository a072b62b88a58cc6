"""False-positive filters shared by every rule: placeholders, documented examples, entropy.

A secret scanner that cries wolf gets switched off, so each filter here names the kind of
non-secret it removes. They look only at the candidate value (and the path for lock files).
"""

from __future__ import annotations

import hashlib
import math
import posixpath
import re
from collections import Counter

# sha256 (first 32 hex) of keys published in vendors' documentation, so that README snippets
# copied from the docs stay quiet. Hashes, not the values: this tree holds no secret-shaped text.
DOCUMENTED_EXAMPLES = frozenset(
    {
        "1a5d44a2dca19669d72edf4c4f1c27c4",  # AWS IAM guide: access key id
        "78314b11be2e581549ac1c4f616563fa",  # AWS IAM guide: secret access key
        "c6ea27c534f993d31f0aef882e3d200e",  # AWS IAM guide: second access key id
        "e21b597ba6b9cafa59d9ebc4d65c0385",  # AWS IAM guide: second secret access key
        "7f75367e7881255134e1375e723d1dea",  # jwt.io's introduction token
        "2cafc0970149a84f3b9e62eaf169f36f",  # Stripe API reference test key
        "f2d6ca16515033e5dce14eba840b979d",  # Stripe API reference test key (older docs)
        "9c846fdf0fa8955c377d0301542ee20e",  # Mailgun quickstart key
        "0011cc25eb4320717494d2703e8cba85",  # Azurite (Azure storage emulator) account key
    }
)


def _words(*words: str) -> re.Pattern[str]:
    """Whole-case forms only (test, TEST, Test): random key material mixes case, and
    "tEsT" inside it is chance, not a marker."""
    forms = {f for w in words for f in (w, w.upper(), w.capitalize())}
    return re.compile("|".join(sorted(map(re.escape, forms), key=len, reverse=True)))


# Words that mark a value as a stand-in for a secret, not a secret.
_PLACEHOLDER_WORDS = _words(
    "example",
    "sample",
    "dummy",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "your_",
    "your-",
    "yourkey",
    "insert_",
    "insert-",
    "replaceme",
    "replace_me",
    "replace-me",
    "redacted",
    "fake",
    "xxxx",
    "12345678",
    "abcdefgh",
    "qwerty",
)
# Further words that make a *generic* assignment a stand-in ("password = 'test-password'").
_GENERIC_WORDS = _words(
    "test",
    "secret",
    "passw",
    "token",
    "demo",
    "default",
    "mock",
    "foobar",
    "hunter2",
    "letmein",
    "s3cr3t",
    "s3cret",
    "secr3t",
    "passw0rd",
    "p4ssw0rd",
    "p@ssw0rd",
)
# Template syntax: the value is filled in elsewhere (${VAR}, {{ var }}, <token>, %(x)s, $(cmd)).
# Structured enough that random key material does not produce them by chance.
_TEMPLATE = re.compile(
    r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-=?][^}]*)?\}|\{\{[^}]*\}\}|<[A-Za-z][A-Za-z0-9_ -]*>"
    r"|%\([A-Za-z_]+\)s|\$\([a-z][a-z_ -]*\)|^\$[A-Za-z_][A-Za-z0-9_]*$"
    r"|^\{[A-Za-z_][A-Za-z0-9_]*\}$|^%s$|^\*+$"
)
_RUN = re.compile(r"(.)\1{5,}")  # six or more of one character: "000000", "******"
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# A hash written as "algo-digest"/"algo:digest" (lock files, SRI, pip --hash) is not a secret.
_HEX = re.compile(r"[0-9a-f]+|[0-9A-F]+")
_HASH_PREFIX = re.compile(r"(?:sha1|sha256|sha384|sha512|md5)[-:=]$", re.IGNORECASE)

LOCK_FILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lock",
        "poetry.lock",
        "pipfile.lock",
        "uv.lock",
        "pdm.lock",
        "pylock.toml",
        "cargo.lock",
        "gemfile.lock",
        "composer.lock",
        "go.sum",
        "mix.lock",
        "flake.lock",
        "packages.lock.json",
        "gradle.lockfile",
    }
)


def shannon(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def is_documented_example(value: str) -> bool:
    return hashlib.sha256(value.encode()).hexdigest()[:32] in DOCUMENTED_EXAMPLES


def is_placeholder(value: str, *, generic: bool = False) -> bool:
    """A stand-in such as ``${API_KEY}``, ``<token>``, ``xxxxxxxx`` or ``your-key-here``.

    Words are looked for only in short values: in a long random key they occur by chance.
    """
    if _TEMPLATE.search(value) or _RUN.search(value):
        return True
    if len(value) > 64:
        return False
    if _PLACEHOLDER_WORDS.search(value):
        return True
    return generic and bool(_GENERIC_WORDS.search(value))


def after_hash_prefix(line: str, start: int) -> bool:
    return bool(_HASH_PREFIX.search(line[max(0, start - 8) : start]))


def is_lock_file(path: str) -> bool:
    name = posixpath.basename(path).lower()
    return name in LOCK_FILES or name.endswith(".lock")


def _classes(value: str) -> tuple[bool, bool, bool, bool]:
    """(lower, upper, digit, other) present, ASCII only."""
    lower = upper = digit = other = False
    for c in set(value):
        if "a" <= c <= "z":
            lower = True
        elif "A" <= c <= "Z":
            upper = True
        elif "0" <= c <= "9":
            digit = True
        else:
            other = True
    return lower, upper, digit, other


def entropy_bar(value: str) -> float:
    """Bits per character a free-form value needs to look random: three quarters of what its
    length and alphabet allow (a short string cannot reach 3.5, hex tops out at 4)."""
    if _HEX.fullmatch(value):
        alphabet = 16
    else:
        alphabet = sum(
            size for size, on in zip((26, 26, 10, 16), _classes(value), strict=True) if on
        )
    return 0.75 * math.log2(max(2, min(len(value), alphabet)))


# Values of a generic assignment that are code or configuration, not a secret.
_CODE_LIKE = re.compile(
    r"""^(?:
        [a-z]+(?:[-_.][a-z]+)*            # words: bearer, password_confirmation
      | [a-z]{2,}(?:[A-Z][a-z]{2,})+[0-9]{0,2}   # camelCase identifiers: accessToken
      | [A-Z][A-Z0-9_]*                   # an environment variable's name
      | [a-z_]{3,}(?:\.[A-Za-z_][A-Za-z0-9_]*)+[,;]?   # settings.SECRET_KEY, self.token
      | (?:true|false|null|none|nil|undefined)
    )$""",
    re.VERBOSE,
)
CODE_MARKS = re.compile(
    r"://|^(?:\.{0,2}/|~/)|^[A-Za-z_][A-Za-z0-9_.]*\(|process\.env|os\.environ|getenv|ENV\["
    r"|\\|\(.*\)|\[.*\]|\{.*\}"  # escapes and bracket pairs: regexes, types, f-strings
)
# A name whose last part says the value describes a secret rather than being one.
_DESCRIPTIVE_NAME = re.compile(
    r"[-_.]?(?:name|field|label|url|uri|path|file|header|type|id|env|var|prefix|length|len"
    r"|min|max|policy|regex|pattern|hint|help|placeholder|message|msg|error|template|format"
    r"|mode|endpoint|route|param|column|attr|kind|class|method|size|count|expires?|expiry|ttl"
    r"|timeout|version|hash|digest|checksum|algorithm|alg|storage|store|provider|location)s?$",
    re.IGNORECASE,
)


def plausible_generic(name: str, value: str) -> bool:
    """Whether ``name = value`` looks like a real credential rather than code or config."""
    if _DESCRIPTIVE_NAME.search(name) or _CODE_LIKE.match(value) or CODE_MARKS.search(value):
        return False
    if UUID.match(value) or is_placeholder(value, generic=True):
        return False
    return sum(_classes(value)) >= 2 and shannon(value) >= entropy_bar(value)
