"""TLS for the local server: ``https://`` and ``wss://`` with a certificate made at start
(``--tls``), or with the operator's own (``--cert`` and ``--key``).

A made certificate comes from a CA made at the same time, for this run only: its certificate is
written to a file (for ``SSL_CERT_FILE``, ``NODE_EXTRA_CA_CERTS`` or a browser's trust store) and
its key is never written anywhere. The server's certificate names ``localhost``, the loopback
addresses, the address the server listens on and the console's extra host names. Making one
needs the ``cryptography`` package (``pip install 'mesg-pusher[tls]'``), loaded only then.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .._command_line import UsageError

#: How long a made certificate is valid: a local server runs for hours, not years.
VALID_DAYS: Final = 7
CA_FILE_NAME: Final = "local-pusher-ca.pem"
_NEEDS: Final = (
    "--tls makes its certificate with the cryptography package, which is not installed: "
    "pip install 'mesg-pusher[tls]' (or give --cert FILE --key FILE)"
)


@dataclass(frozen=True, slots=True)
class MadeCertificate:
    """A CA and a server certificate made for one run, as PEM."""

    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes


def server_names(host: str, extra: Iterable[str] = ()) -> list[str]:
    """The names a made certificate is for: loopback, `host` (unless it names every address)
    and `extra`, each once, in that order."""
    names = ["localhost", "127.0.0.1", "::1"]
    for given in (host, *extra):
        name = given.strip("[]").lower()
        if name and name not in names and name not in ("0.0.0.0", "::"):  # noqa: S104
            names.append(name)
    return names


def make_certificate(names: Iterable[str], now: datetime.datetime | None = None) -> MadeCertificate:
    """A CA and a certificate it signs for `names` (host names and IP addresses)."""
    try:
        from cryptography import x509  # noqa: PLC0415
        from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: PLC0415
    except ImportError:
        raise UsageError(_NEEDS) from None

    start = (now or datetime.datetime.now(datetime.UTC)) - datetime.timedelta(minutes=5)
    end = start + datetime.timedelta(days=VALID_DAYS)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mesg-pusher local server CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    alternatives: list[x509.GeneralName] = []
    for name in names:
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternatives.append(x509.DNSName(name))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return MadeCertificate(
        ca_pem=ca.public_bytes(serialization.Encoding.PEM),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def server_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """A server's TLS context from a certificate (chain) file and its key file; a file that
    cannot be read or does not hold them is a `UsageError` naming the option."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    for option, path in (("--cert", cert_file), ("--key", key_file)):
        if not path.is_file():
            raise UsageError(f"{option}: {path} is not a file that can be read")
    try:
        context.load_cert_chain(cert_file, key_file)
    except (ssl.SSLError, OSError) as error:
        reason = getattr(error, "reason", None) or type(error).__name__
        raise UsageError(
            f"--cert/--key: {cert_file} and {key_file} do not hold a certificate and its "
            f"private key in PEM ({reason})"
        ) from None
    return context


@dataclass(frozen=True, slots=True)
class MadeTls:
    """What ``--tls`` made: the context to serve with, and where the CA was written."""

    context: ssl.SSLContext
    ca_file: Path
    directory: tempfile.TemporaryDirectory[str]

    def remove(self) -> None:
        self.directory.cleanup()


def made_tls(names: Iterable[str]) -> MadeTls:
    """Make a CA and a certificate for `names`, write the CA to a new private directory, and
    load the certificate (through files only that directory holds, which only this user can
    read, removed as soon as they are loaded)."""
    made = make_certificate(names)
    directory = tempfile.TemporaryDirectory(prefix="mesg-pusher-local-tls-")
    folder = Path(directory.name)
    ca_file = folder / CA_FILE_NAME
    ca_file.write_bytes(made.ca_pem)
    cert_file, key_file = folder / "server.pem", folder / "server-key.pem"
    cert_file.write_bytes(made.cert_pem)
    key_file.touch(mode=0o600)
    key_file.write_bytes(made.key_pem)
    try:
        context = server_context(cert_file, key_file)
    finally:
        key_file.unlink()
        cert_file.unlink()
    return MadeTls(context, ca_file, directory)
