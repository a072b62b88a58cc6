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
        self.bundle = str(self.folder / "ca.pem")
        self._ca.cert_pem.write_to_path(self.bundle)

    def issue(
        self,
        name: str,
        *hostnames: str,
        not_after: dt.datetime | None = None,
    ) -> ServerCert:
        """A server certificate for ``hostnames``, written as ``name``.pem/-key.pem."""
        leaf = self._ca.issue_cert(*hostnames, not_after=not_after)
        cert_file = self.folder / f"{name}.pem"
        key_file = self.folder / f"{name}-key.pem"
        cert_file.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        leaf.private_key_pem.write_to_path(str(key_file))
        return ServerCert(str(cert_file), str(key_file))
