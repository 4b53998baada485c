"""What a failed call to the engine means for the service, decided from its status and text.

The engines of this generation return plain Go errors, so every refusal arrives as status
UNKNOWN carrying the error's text: the text is all there is to tell "that execution is not in
progress" (drop the result) from "that output is invalid" (answer differently) from a broken
connection (try again).
"""

from __future__ import annotations

import re
from enum import Enum
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # statuses are compared by name, so importing this module needs no gRPC
    from grpc import StatusCode

#: Statuses that say the engine could not be reached or did not answer in time.
_UNREACHABLE: Final = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED"})
#: Statuses after which asking again cannot help.
_REFUSALS: Final = frozenset(
    {"INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE", "UNIMPLEMENTED"}
)
#: The engine's texts for a result it refuses: its output (key, data, JSON) or its task.
_OUTPUT_REFUSED = re.compile(
    r"^(Outputs? '.*' of task '.*'|Task '.*' not found|invalid character|unexpected end of JSON"
    r"|json: )"
)
#: The engine's text for a result whose execution is not in progress (its spelling).
_EXECUTION_GONE = re.compile(r"Execution \S* doesn't exists")
#: The engine's text for a token it has no service for.
_UNKNOWN_TOKEN = re.compile(r"(Database services: )?Service with hash '.*' not found")


class SubmitVerdict(Enum):
    GONE = "gone"  # the engine has no such execution in progress: drop the result
    REFUSED = "refused"  # the engine refuses this output: retrying it cannot help
    UNREACHABLE = "unreachable"  # no answer: retry for as long as the service runs
    FAILED = "failed"  # anything else: retry a few times


def submit_verdict(code: StatusCode, details: str) -> SubmitVerdict:
    """The meaning of a failed ``SubmitResult``."""
    name = code.name
    if name == "UNKNOWN" and _EXECUTION_GONE.fullmatch(details):
        return SubmitVerdict.GONE
    if name in _UNREACHABLE:
        return SubmitVerdict.UNREACHABLE
    if name in _REFUSALS or (name == "UNKNOWN" and _OUTPUT_REFUSED.match(details)):
        return SubmitVerdict.REFUSED
    return SubmitVerdict.FAILED


def listen_refusal(code: StatusCode, details: str) -> str | None:
    """Why ``ListenTask`` can never succeed with this token at this address (the operator must
    act), or None when trying again later makes sense."""
    name = code.name
    if name == "UNKNOWN" and _UNKNOWN_TOKEN.fullmatch(details):
        return f"the engine does not know the service token (MESG_TOKEN): {details}"
    if name in ("UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND"):
        return f"the engine refused the service token (MESG_TOKEN): {details}"
    if name == "UNIMPLEMENTED":
        return (
            "the server does not offer api.Service/ListenTask: is it a MESG engine of the "
            f"v0.1 to v0.9 generation? ({details})"
        )
    return None
