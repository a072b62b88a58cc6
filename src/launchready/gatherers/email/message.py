"""A realistic password-reset message: what a launching admin app actually sends.

Spam filters judge the whole message, so the test send looks like the real thing — a
display name, a dated Message-ID on the sending domain, plain text and HTML parts and a
single https link — rather than "test".
"""

from __future__ import annotations

import secrets
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate, make_msgid

import dkim

# The headers a receiver shows or threads on; signing them stops anyone altering them.
SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"mime-version",
    b"content-type",
    b"reply-to",
)


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().strip(">").lower()


def reset_message(sender: str, recipient: str) -> EmailMessage:
    domain = domain_of(sender)
    brand = domain.split(".")[0].capitalize() or "The team"
    link = f"https://{domain}/reset-password?token={secrets.token_urlsafe(24)}"
    msg = EmailMessage()
    msg["From"] = formataddr((brand, sender))
    msg["To"] = recipient
    msg["Subject"] = f"Reset your {brand} password"
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid("reset", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    text = (
        f"Hello,\n\nSomeone asked to reset the password of your {brand} account.\n"
        f"To choose a new password, open this link within 60 minutes:\n\n{link}\n\n"
        "If it was not you, ignore this message: your password stays the same.\n\n"
        f"— {brand}\n"
    )
    msg.set_content(text)
    msg.add_alternative(
        f"<p>Hello,</p><p>Someone asked to reset the password of your {brand} account.</p>"
        f'<p><a href="{link}">Choose a new password</a> (the link works for 60 minutes).</p>'
        "<p>If it was not you, ignore this message: your password stays the same.</p>"
        f"<p>— {brand}</p>",
        subtype="html",
    )
    return msg


def wire_bytes(msg: EmailMessage) -> bytes:
    """The message as it travels: CRLF line endings, as DKIM canonicalises it."""
    return msg.as_bytes(policy=SMTP)


def sign(data: bytes, *, selector: str, domain: str, private_key: bytes) -> bytes:
    """Prepend a DKIM-Signature (relaxed/relaxed, rsa-sha256 or ed25519-sha256)."""
    header = dkim.sign(
        data,
        selector.encode(),
        domain.encode(),
        private_key,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=list(SIGNED_HEADERS),
    )
    return bytes(header) + data
