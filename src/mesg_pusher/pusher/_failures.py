"""Plain accounts of transport failures, shared by both HTTP edges so they say the same."""

from __future__ import annotations

import os

from ._requests import HttpRequest
from ._settings import Connection


def shown(connection: Connection, request: HttpRequest) -> str:
    """The request's address as messages show it: no query string (it carries the signature)."""
    return f"{connection.base_url}{request.path}"


def os_text(error: OSError) -> str:
    """Name lookups fail with negative (EAI_*) codes and carry their own text; system calls
    with positive errno values, whose text os.strerror gives."""
    if error.errno and error.errno > 0:
        return os.strerror(error.errno)
    if error.strerror:
        return str(error.strerror)
    return str(error) or type(error).__name__
