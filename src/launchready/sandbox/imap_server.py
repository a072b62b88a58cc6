"""A throwaway Dovecot mail store on loopback: IMAPS, IMAP with STARTTLS, and LMTP.

The IMAP peer for ``launchready email test-send --imap``. Mail reaches it the way it reaches
a real mailbox: an SMTP server (the sandbox's :class:`SmtpReceiver` with ``deliver_to``)
hands each message to Dovecot over LMTP, and Dovecot files it in the user's Maildir. A
recipient ``user+Junk@domain`` is filed in that user's Junk folder (Dovecot's
``lmtp_save_to_detail_mailbox``), which is how tests put a message where a spam filter
would.

Users live in passwd-files (one each) with salted SHA-512 hashes; each gets a random password from
:meth:`DovecotServer.add_user`. As root, Dovecot runs as the sandbox's unprivileged
service user (it will not open a mailbox as uid 0); its folder is deleted on stop.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from launchready.sandbox.ports import free_tcp_port
from launchready.sandbox.service_user import server_user
from launchready.sandbox.tls import ServerCert


class MailStoreUnavailable(RuntimeError):
    """Dovecot is not installed here, or did not start; the message says why."""


def find_dovecot() -> str | None:
    found = shutil.which("dovecot")
    if found:
        return found
    return "/usr/sbin/dovecot" if os.access("/usr/sbin/dovecot", os.X_OK) else None


def _ssha512(password: str) -> str:
    """Dovecot's {SSHA512} scheme: base64(sha512(password + salt) + salt)."""
    salt = os.urandom(16)
    digest = hashlib.sha512(password.encode() + salt).digest()
    return "{SSHA512}" + base64.b64encode(digest + salt).decode()


_CONFIG = """\
# Written by launchready's sandbox for one run.
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = required
ssl_cert = <{dir}/cert.pem
ssl_key = <{dir}/key.pem
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain
# A refused login answers at once. (Dovecot still slows later logins from the same
# address down — its auth penalty, 2 s doubling to 15 s — so a test of a wrong password
# uses a server of its own.)
auth_failure_delay = 0
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  # A file per user: Dovecot rereads a changed passwd-file at most once a second, so a
  # user added just now would be "unknown" for up to a second; a new file is read at once.
  args = {dir}/users/%u
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={dir}/mail/%u
}}
mail_location = maildir:~/Maildir
recipient_delimiter = +
lmtp_save_to_detail_mailbox = yes
namespace inbox {{
  inbox = yes
  mailbox Junk {{
    special_use = \\Junk
    auto = create
  }}
}}
service imap-login {{
  # Not root: no chroot for the login processes.
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
service anvil {{
  chroot =
}}
"""


class DovecotServer:
    host = "127.0.0.1"

    def __init__(self, cert: ServerCert) -> None:
        binary = find_dovecot()
        if binary is None:
            raise MailStoreUnavailable("Dovecot is not installed (Debian: dovecot-imapd)")
        for part, package in (("imap", "dovecot-imapd"), ("lmtp", "dovecot-lmtpd")):
            if not os.access(f"/usr/lib/dovecot/{part}", os.X_OK):
                raise MailStoreUnavailable(f"Dovecot's {part} is not installed ({package})")
        self._binary = binary
        self.imaps_port, self.imap_port, self.lmtp_port = (free_tcp_port() for _ in range(3))
        self._user, self._as = server_user()
        self.dir = Path(tempfile.mkdtemp(prefix="launchready-imap-"))
        (self.dir / "users").mkdir()
        self._process: subprocess.Popen[bytes] | None = None
        shutil.copyfile(cert.cert_file, self.dir / "cert.pem")
        shutil.copyfile(cert.key_file, self.dir / "key.pem")
        os.chmod(self.dir / "key.pem", 0o600)

    @property
    def lmtp(self) -> tuple[str, int]:
        return self.host, self.lmtp_port

    def add_user(self, address: str, password: str | None = None) -> str:
        """Create a mailbox for ``address``; returns its password (random unless given)."""
        if "/" in address or address.startswith("."):
            raise ValueError(f"not a mailbox name: {address!r}")
        password = password or secrets.token_urlsafe(18)
        path = self.dir / "users" / address
        path.write_text(f"{address}:{_ssha512(password)}::::\n")
        os.chmod(path, 0o600)
        self._own(path)
        return password

    def _own(self, path: Path) -> None:
        if self._as:
            shutil.chown(path, user=self._user)

    def start(self) -> DovecotServer:
        group = _group_of(self._user)
        config = _CONFIG.format(
            dir=self.dir,
            user=self._user,
            group=group,
            imap_port=self.imap_port,
            imaps_port=self.imaps_port,
            lmtp_port=self.lmtp_port,
        )
        (self.dir / "dovecot.conf").write_text(config)
        for sub in ("run", "state", "mail"):
            (self.dir / sub).mkdir(exist_ok=True)
        if self._as:
            os.chmod(self.dir, 0o755)
            for path in [self.dir, *self.dir.rglob("*")]:
                self._own(path)
        command = [*self._as, self._binary, "-F", "-c", str(self.dir / "dovecot.conf")]
        with open(self.dir / "stdout.log", "wb") as out:  # the child keeps its own copy
            self._process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            self._wait_listening(30.0)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_listening(self, within_s: float) -> None:
        assert self._process is not None
        deadline = time.monotonic() + within_s
        waiting = [self.imaps_port, self.imap_port, self.lmtp_port]
        while waiting:
            if self._process.poll() is not None:
                raise MailStoreUnavailable(f"dovecot exited: {self._log_tail()}")
            if time.monotonic() > deadline:
                raise MailStoreUnavailable(f"dovecot did not listen within {within_s:g} s")
            with socket.socket() as s:
                if s.connect_ex((self.host, waiting[0])) == 0:
                    waiting.pop(0)
                    continue
            time.sleep(0.05)

    def log(self) -> str:
        """What Dovecot wrote: its start-up output, then its log (logins, deliveries)."""
        text = ""
        for name in ("stdout.log", "dovecot.log"):
            path = self.dir / name
            if path.exists():
                text += path.read_text(errors="replace")
        return text

    def _log_tail(self) -> str:
        return " / ".join(self.log().strip().splitlines()[-3:]) or "no output"

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            # The master stops its children on SIGTERM; runuser (as root) passes it on, and
            # the whole session goes if it does not.
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(process.pid, sig)
                    process.wait(10)
                    break
                except subprocess.TimeoutExpired:
                    continue
                except ProcessLookupError:
                    break
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _group_of(user: str) -> str:
    import grp
    import pwd

    return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name
