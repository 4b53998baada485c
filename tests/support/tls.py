"""A throw-away certificate authority (trustme's) and server certificates for 127.0.0.1, for
HTTPS tests: the one the clients trust, and wrong ones a client must refuse."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TestCertificates:
    __test__ = False  # not a test class, whatever pytest thinks of the name

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))


def make_certificates(folder: Path, *names: str) -> TestCertificates:
    """A new CA in `folder` and a certificate it signed for `names` (127.0.0.1 and localhost
    by default)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="mesg-pusher test CA")
    cert = ca.issue_cert(*(names or ("127.0.0.1", "localhost")))
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca.cert_pem.write_to_path(str(ca_file))
    cert_file.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    cert.private_key_pem.write_to_path(str(key_file))
    return TestCertificates(ca_file, cert_file, key_file)
