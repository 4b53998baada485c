"""TLS for the pool: the context every connection is checked with, and how a TLS failure reads.

Certificates are always verified. By default against the system's store
(`ssl.create_default_context`, which also reads ``SSL_CERT_FILE`` and ``SSL_CERT_DIR``, so a
private CA is trusted without a line of code); a caller may give its own `ssl.SSLContext`
instead (a private CA, a client certificate), which must verify the certificate and its host
name too. The handshake and the records are `_tls_layer`'s.
"""

from __future__ import annotations

import ssl

from ..._errors import InputError

#: OpenSSL's reasons that mean the peer does not speak TLS on that port at all.
_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER_FAILURE"})


def verifying(context: ssl.SSLContext | None) -> ssl.SSLContext:
    """`context`, refused if it would not verify certificates; the default one without it."""
    if context is None:
        return ssl.create_default_context()
    if context.verify_mode != ssl.CERT_REQUIRED or not context.check_hostname:
        raise InputError(
            "ssl_context",
            "it must verify certificates and host names (verify_mode CERT_REQUIRED, "
            "check_hostname True): give it the CA to trust instead",
        )
    return context


def server_name(host: str) -> str:
    """What the certificate must name: the host without the brackets of an IPv6 address."""
    return host[1:-1] if host.startswith("[") else host


def tls_text(error: ssl.SSLError, peer: str) -> str:
    """A TLS failure in plain words; `peer` is "the server" or "the proxy <url>"."""
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = error.verify_message or error.reason or "not trusted"
        return f"{_possessive(peer)} TLS certificate was refused: {detail}"
    reason = str(error.reason or error.strerror or type(error).__name__)
    if reason in _NOT_TLS:
        return f"TLS failed: {reason} ({peer} does not speak TLS on that port)"
    return f"TLS failed: {reason}"


def _possessive(peer: str) -> str:
    return "the server's" if peer == "the server" else f"{peer}'s"
