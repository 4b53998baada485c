"""How a failure to get an answer is worded: the system's words, TLS's reasons, and never a
library's text (which may quote the signed query)."""

from __future__ import annotations

import errno
import socket
import ssl

from mesg_pusher.pusher.transport._exchange import describe, os_text
from mesg_pusher.pusher.transport._tls import tls_text


def test_system_call_errors_use_the_systems_words() -> None:
    assert os_text(ConnectionRefusedError(errno.ECONNREFUSED, "ignored")) == "Connection refused"


def test_name_lookup_errors_keep_their_own_words() -> None:
    error = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert os_text(error) == "Name or service not known"


def test_errors_without_a_code() -> None:
    assert os_text(OSError("plain text")) == "plain text"
    assert os_text(OSError()) == "OSError"
    assert describe(RuntimeError("https://h/apps/1/events?auth_signature=abc")) == "RuntimeError"


def test_a_refused_certificate_says_why_and_whose() -> None:
    error = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] ...")
    error.verify_message = "unable to get local issuer certificate"
    assert describe(error) == (
        "the server's TLS certificate was refused: unable to get local issuer certificate"
    )
    assert tls_text(error, "the proxy http://p:3128") == (
        "the proxy http://p:3128's TLS certificate was refused: unable to get local issuer "
        "certificate"
    )


def test_a_peer_that_does_not_speak_tls_is_named() -> None:
    error = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    error.reason = "WRONG_VERSION_NUMBER"
    assert describe(error) == (
        "TLS failed: WRONG_VERSION_NUMBER (the server does not speak TLS on that port)"
    )
