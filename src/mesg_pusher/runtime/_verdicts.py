"""What a failed call to the engine means for the service, decided from its status and text:
a result (``SubmitResult``), an event (``EmitEvent``) or the task stream (``ListenTask``).

The engines of this generation return plain Go errors, so every refusal arrives as status
UNKNOWN carrying the error's text: the text is all there is to tell "that execution is not in
progress" (drop the result) from "that output is invalid" (answer differently) from a broken
connection (try again). The texts are recognised by the templates that write them
(`mesg_pusher.mesg.words`), for any execution id.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Final

from ..mesg import words

if TYPE_CHECKING:  # statuses are compared by name, so importing this module needs no gRPC
    from grpc import StatusCode

#: Statuses that say the engine could not be reached or did not answer in time.
_UNREACHABLE: Final = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED"})
#: Statuses after which asking again cannot help.
_REFUSALS: Final = frozenset(
    {"INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE", "UNIMPLEMENTED"}
)
#: The engine's texts for a result it refuses: its output (key, data) or its task.
_OUTPUT_REFUSED: Final = (words.OUTPUT_NOT_FOUND, words.OUTPUTS_INVALID, words.TASK_NOT_FOUND)
#: The engine's two forms of "that execution is not in progress".
_EXECUTION_GONE: Final = (words.EXECUTION_GONE, words.EXECUTION_NOT_IN_QUEUE)
#: The engine's texts for a token it has no service for.
_UNKNOWN_TOKEN: Final = (words.SERVICE_NOT_FOUND, words.SERVICE_HASH_NOT_FOUND)
#: The engine's texts for an event it refuses: its key or its data.
_EVENT_REFUSED: Final = (words.EVENT_NOT_FOUND, words.EVENT_DATA_INVALID)
#: Statuses that come without the engine's answer: a call that fails with one may have reached
#: the engine, and done its work, before the answer was lost or late.
_UNANSWERED: Final = frozenset(
    {"UNAVAILABLE", "DEADLINE_EXCEEDED", "CANCELLED", "INTERNAL", "DATA_LOSS"}
)


def _any(texts: tuple[words.EngineText, ...], details: str) -> bool:
    return any(text.match(details) is not None for text in texts)


def _refused(name: str, details: str, texts: tuple[words.EngineText, ...]) -> bool:
    """Whether a failure of status `name` is a refusal: a status after which asking again cannot
    help, or one of the engine's `texts` for a refusal (or Go's JSON refusals) as its error."""
    return name in _REFUSALS or (
        name == "UNKNOWN" and (_any(texts, details) or words.is_json_refusal(details))
    )


class SubmitVerdict(Enum):
    GONE = "gone"  # the engine has no such execution in progress: drop the result
    REFUSED = "refused"  # the engine refuses this output: retrying it cannot help
    UNREACHABLE = "unreachable"  # no answer: retry for as long as the service runs
    FAILED = "failed"  # anything else: retry a few times


def submit_verdict(code: StatusCode, details: str) -> SubmitVerdict:
    """The meaning of a failed ``SubmitResult``."""
    name = code.name
    if name == "UNKNOWN" and _any(_EXECUTION_GONE, details):
        return SubmitVerdict.GONE
    if name in _UNREACHABLE:
        return SubmitVerdict.UNREACHABLE
    if _refused(name, details, _OUTPUT_REFUSED):
        return SubmitVerdict.REFUSED
    return SubmitVerdict.FAILED


class EmitVerdict(Enum):
    REFUSED = "refused"  # the engine refuses this event for good: emitting it again cannot help
    #: The engine knows no such service, or no EmitEvent: no event can be emitted now.
    SERVICE_REFUSED = "service_refused"
    UNREACHABLE = "unreachable"  # no answer: try again while the webhook's time lasts
    FAILED = "failed"  # anything else: try again a few times


def emit_verdict(code: StatusCode, details: str) -> EmitVerdict:
    """The meaning of a failed ``EmitEvent``."""
    name = code.name
    if name in _UNREACHABLE:
        return EmitVerdict.UNREACHABLE
    if name == "UNIMPLEMENTED" or (name == "UNKNOWN" and _any(_UNKNOWN_TOKEN, details)):
        return EmitVerdict.SERVICE_REFUSED
    if _refused(name, details, _EVENT_REFUSED):
        return EmitVerdict.REFUSED
    return EmitVerdict.FAILED


def may_have_emitted(code: StatusCode, *, connected: bool) -> bool:
    """Whether a failed ``EmitEvent`` may have emitted its event anyway: no answer came (a lost
    connection, a deadline) while the engine was connected, at the start of the call or at its
    failure. An engine's own answer, or a call that waited for a connection that never came,
    emitted nothing."""
    return connected and code.name in _UNANSWERED


def listen_refusal(code: StatusCode, details: str) -> str | None:
    """Why ``ListenTask`` can never succeed with this token at this address (the operator must
    act), or None when trying again later makes sense."""
    name = code.name
    if name == "UNKNOWN" and _any(_UNKNOWN_TOKEN, details):
        return f"the engine does not know the service token (MESG_TOKEN): {details}"
    if name in ("UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND"):
        return f"the engine refused the service token (MESG_TOKEN): {details}"
    if name == "UNIMPLEMENTED":
        return (
            "the server does not offer api.Service/ListenTask: is it a MESG engine of the "
            f"v0.1 to v0.9 generation? ({details})"
        )
    return None
