"""How transport failures are worded, for both HTTP edges."""

from __future__ import annotations

import errno
import socket

from mesg_pusher.pusher import App, Connection, Event, trigger_request
from mesg_pusher.pusher._failures import os_text, shown


def test_system_call_errors_use_the_systems_words() -> None:
    assert os_text(ConnectionRefusedError(errno.ECONNREFUSED, "ignored")) == "Connection refused"


def test_name_lookup_errors_keep_their_own_words() -> None:
    error = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert os_text(error) == "Name or service not known"


def test_errors_without_a_code() -> None:
    assert os_text(OSError("plain text")) == "plain text"
    assert os_text(OSError()) == "OSError"


def test_the_address_shown_leaves_out_the_signed_query() -> None:
    request = trigger_request(App("7", "k", "s"), Event("e", "d", ("c",)), timestamp=1)
    text = shown(Connection.create(host="example.com", port=8080), request)
    assert text == "http://example.com:8080/apps/7/events"
