"""DKIM public keys in DNS (RFC 6376 §3.6.1, RFC 8463 for ed25519), per selector.

Keys are parsed here with ``cryptography`` rather than dkimpy: the audit must describe
every key it finds (size, type, flags) even those dkimpy refuses, and dkimpy's ed25519
support needs PyNaCl, which is not installed. dkimpy verifies signatures (delivery.py).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
from dataclasses import dataclass, replace
from typing import Literal

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from launchready.gatherers.email.dnsio import decode, txt
from launchready.gatherers.network import Network

DKIM = "email.dkim"
# Probed when no selector is configured: generic names and the fixed selectors of common
# sending services (see providers.py). Services with per-customer selectors (Amazon SES,
# Postmark, SparkPost) cannot be discovered this way.
COMMON_SELECTORS: tuple[str, ...] = (
    *("default", "dkim", "dkim1", "mail", "email", "key1", "key2", "s1", "s2"),
    *("selector1", "selector2", "google", "k1", "k2", "k3", "mx", "smtp", "krs", "pic"),
    *("mte1", "mte2", "mandrill", "zendesk1", "zendesk2", "mailjet", "brevo1", "brevo2"),
    *("fm1", "fm2", "fm3", "sig1", "protonmail", "mailo"),
)

_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class DkimKey:
    selector: str
    name: str  # <selector>._domainkey.<domain>
    found: bool  # a key record answers at the name
    records: tuple[str, ...]  # every TXT record at the name
    tags: tuple[tuple[str, str], ...] = ()
    key_type: str = ""  # "rsa", "ed25519" or what k= says
    bits: int | None = None
    revoked: bool = False  # p= is empty (RFC 6376 §3.6.1)
    testing: bool = False  # t=y
    hashes: tuple[str, ...] = ()  # h=, empty when absent (any)
    problem: str = ""  # why the record cannot be used, when it cannot

    @property
    def usable(self) -> bool:
        return self.found and not self.revoked and not self.problem


@dataclass(frozen=True)
class DkimSelectors:
    domain: str
    mode: Literal["configured", "discovery"]
    probed: tuple[str, ...]
    keys: tuple[DkimKey, ...]  # configured: one per selector; discovery: the ones found


def parse_tags(text: str) -> tuple[list[tuple[str, str]], str]:
    """RFC 6376 §3.2 tag-list → (tags, problem)."""
    tags: list[tuple[str, str]] = []
    seen: set[str] = set()
    for part in text.split(";"):
        if not part.strip():
            continue
        name, eq, value = part.partition("=")
        name = name.strip()
        if not eq or not _TAG.match(name):
            return tags, f"malformed tag {part.strip()!r}"
        if name in seen:
            return tags, f"tag {name}= appears twice"
        seen.add(name)
        tags.append((name, re.sub(r"\s+", "", value) if name == "p" else value.strip()))
    return tags, ""


def key_of(selector: str, name: str, records: tuple[str, ...]) -> DkimKey:
    if not records:
        return DkimKey(selector, name, False, ())
    if len(records) > 1:
        # RFC 6376 §3.6.2.2 leaves the choice to the verifier: results become random.
        return DkimKey(selector, name, True, records, problem=f"{len(records)} TXT records")
    tags, problem = parse_tags(records[0])
    values = dict(tags)
    base = DkimKey(selector, name, True, records, tuple(tags))
    if problem:
        return replace(base, problem=problem)
    if "v" in values and (values["v"] != "DKIM1" or tags[0][0] != "v"):
        return replace(base, problem="v= must be first and 'DKIM1'")
    if "p" not in values:
        return replace(base, problem="no p= tag: not a DKIM key record")
    flags = {f.strip() for f in values.get("t", "").split(":")}
    hashes = tuple(h.strip() for h in values["h"].split(":")) if "h" in values else ()
    key_type = values.get("k", "rsa").lower()
    base = replace(base, key_type=key_type, testing="y" in flags, hashes=hashes)
    if not values["p"]:
        return replace(base, revoked=True)
    try:
        der = base64.b64decode(values["p"], validate=True)
    except (binascii.Error, ValueError):
        return replace(base, problem="p= is not valid base64")
    if key_type == "ed25519":
        if len(der) != 32:
            return replace(base, problem=f"ed25519 key is {len(der)} bytes, not 32")
        return replace(base, bits=256)
    if key_type != "rsa":
        return replace(base, problem=f"unknown key type k={key_type}")
    try:
        key = load_der_public_key(der)
    except ValueError:
        return replace(base, problem="p= is not an RSA SubjectPublicKeyInfo")
    if not isinstance(key, rsa.RSAPublicKey):
        return replace(base, problem="p= holds a non-RSA key while k=rsa")
    return replace(base, bits=key.key_size)


async def probe(network: Network, domain: str, selector: str) -> DkimKey:
    name = f"{selector}._domainkey.{domain}"
    answer = await txt(network, name)
    return key_of(selector, name, tuple(decode(t) for t in answer.texts()))


async def dkim_selectors(
    network: Network, domain: str, configured: tuple[str, ...]
) -> DkimSelectors:
    if configured:
        keys = await asyncio.gather(*(probe(network, domain, s) for s in configured))
        return DkimSelectors(domain, "configured", configured, tuple(keys))
    found = await asyncio.gather(*(probe(network, domain, s) for s in COMMON_SELECTORS))
    return DkimSelectors(domain, "discovery", COMMON_SELECTORS, tuple(k for k in found if k.found))
