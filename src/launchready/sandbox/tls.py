"""A throwaway certificate authority for the sandbox's HTTPS servers (trustme)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class ServerCert:
    cert_file: str  # leaf followed by the chain
    key_file: str


class TestCA:
    __test__ = False  # not a pytest class

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._ca = trustme.CA(organization_name="launchready sandbox CA")
        self._child: trustme.CA | None = None
        self.bundle = str(self.folder / "ca.pem")
        self._ca.cert_pem.write_to_path(self.bundle)

    def issue(
        self,
        name: str,
        *hostnames: str,
        not_after: dt.datetime | None = None,
        not_before: dt.datetime | None = None,
        via_intermediate: bool = False,
        send_chain: bool = True,
    ) -> ServerCert:
        """A server certificate for ``hostnames``, written as ``name``.pem/-key.pem.

        Valid for 90 days by default, like a public CA's (trustme's own default, the year
        3000, is a lifetime no browser accepts). ``via_intermediate`` signs it with an
        intermediate CA; ``send_chain=False`` then leaves that intermediate out of the file,
        as a misconfigured server does.
        """
        now = dt.datetime.now(dt.UTC)
        issuer = self._intermediate() if via_intermediate else self._ca
        leaf = issuer.issue_cert(
            *hostnames,
            not_before=not_before or now - dt.timedelta(hours=1),
            not_after=not_after or now + dt.timedelta(days=90),
            key_type=trustme.KeyType.ECDSA,
        )
        blobs = leaf.cert_chain_pems if send_chain else leaf.cert_chain_pems[:1]
        cert_file = self.folder / f"{name}.pem"
        key_file = self.folder / f"{name}-key.pem"
        cert_file.write_bytes(b"".join(blob.bytes() for blob in blobs))
        leaf.private_key_pem.write_to_path(str(key_file))
        return ServerCert(str(cert_file), str(key_file))

    def _intermediate(self) -> trustme.CA:
        if self._child is None:
            self._child = self._ca.create_child_ca()
        return self._child
