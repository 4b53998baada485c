"""What a failed call to the engine means for the service, decided from its status and text, in
the words of the generation that answered: a result, an event or the task stream, and while
serve asks which protocol the engine speaks (``_engines/_probe.py``), whether it speaks the one
tried.

The engines return plain Go errors, so every refusal arrives as status UNKNOWN carrying the
error's text: the text is all there is to tell "that execution is not in progress" (drop the
result) from "that output is invalid" (answer differently) from a broken connection (try
again). The texts are recognised by the templates that write them (`mesg_pusher.mesg.words`),
for any execution id; each generation has its own (`WORDS`), the fifth's wrapped by its chain
(``<reason>: invalid request``). A call's failure says whose words it carries
(`CallFailed.generation`).
"""

from __future__ import annotations

from dataclasses import dataclass
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
#: Statuses that come without the engine's answer: a call that fails with one may have reached
#: the engine, and done its work, before the answer was lost or late.
_UNANSWERED: Final = frozenset(
    {"UNAVAILABLE", "DEADLINE_EXCEEDED", "CANCELLED", "INTERNAL", "DATA_LOSS"}
)
#: Statuses whose text is the engine's own refusal (v0.17.0 refuses a result without its
#: credentials as UNAUTHENTICATED).
_WORDED: Final = frozenset({"UNKNOWN", "UNAUTHENTICATED"})
Texts = tuple[words.EngineText, ...]


@dataclass(frozen=True, slots=True)
class Words:
    """How one generation words its refusals: a result for an execution not in progress
    (`gone`), a result refused for what it carries (`output_refused`), an event refused
    (`event_refused`), an identity the engine does not know or accept (`unknown_service`, with
    the variable that gave it: `identity`), a registration it forgot (`forgotten`, G5); and
    what serve listens on (`stream`) on which releases (`releases`)."""

    gone: Texts
    output_refused: Texts
    event_refused: Texts
    unknown_service: Texts
    identity: str
    stream: str
    releases: str
    forgotten: Texts = ()
    json_refusals: bool = False  # Go's JSON refusals are refusals of what was sent


_V10_OUTPUTS: Final = (words.OUTPUTS_INVALID_V10, words.TASK_NOT_FOUND_V10)
_V14_OUTPUTS: Final = (words.OUTPUTS_INVALID_V14, words.TASK_NOT_FOUND_V14)
_CREATE_EVENT: Final = (
    words.CREATE_EVENT_DATA,
    words.CREATE_EVENT_KEY_MISSING,
    words.CREATE_EVENT_INSTANCE,
)
_FIELDS: Final = (words.FIELD_REQUIRED, words.FIELD_NOT_HASH, words.FIELD_NOT_PRINTABLE)
_REGISTRATION: Final = (
    words.SIGNATURE_NOT_FOUND,
    words.SIGNATURE_FAILED,
    words.BASE64_ILLEGAL,
    words.RUNNER_NOT_FOUND,
    *_FIELDS,
)

WORDS: Final = {
    1: Words(
        gone=(words.EXECUTION_GONE, words.EXECUTION_NOT_IN_QUEUE),
        output_refused=(words.OUTPUT_NOT_FOUND, words.OUTPUTS_INVALID, words.TASK_NOT_FOUND),
        event_refused=(
            words.EVENT_NOT_FOUND,
            words.EVENT_DATA_INVALID,
            words.SERVICE_NOT_FOUND,
            words.SERVICE_HASH_NOT_FOUND,
        ),
        unknown_service=(words.SERVICE_NOT_FOUND, words.SERVICE_HASH_NOT_FOUND),
        identity="the service token (MESG_TOKEN)",
        stream="api.Service/ListenTask",
        releases="v0.1 to v0.9",
        json_refusals=True,
    ),
    2: Words(
        gone=(words.EXECUTION_STATUS, words.LEVELDB_NOT_FOUND),
        output_refused=(
            *_V10_OUTPUTS,
            words.INVALID_OUTPUT,
            words.HEX_INVALID_BYTE,
            words.HEX_ODD_LENGTH,
        ),
        event_refused=(
            words.EVENT_NOT_FOUND_V10,
            words.EVENT_DATA_INVALID_V10,
            words.DATABASE_SERVICE_NOT_FOUND,
        ),
        unknown_service=(words.DATABASE_SERVICE_NOT_FOUND,),
        identity="the service token (MESG_TOKEN)",
        stream="api.Service/ListenTask",
        releases="v0.10",
        json_refusals=True,
    ),
    3: Words(
        gone=(words.EXECUTION_STATUS, words.LEVELDB_NOT_FOUND),
        output_refused=(
            *_V10_OUTPUTS,
            *_V14_OUTPUTS,
            words.INVALID_OUTPUT,
            words.OUTPUT_NOT_SUPPLIED,
            words.HASH_INVALID,
        ),
        event_refused=_CREATE_EVENT,
        unknown_service=(words.HASH_INVALID,),
        identity="the instance hash (MESG_TOKEN)",
        stream="the Execution API ([mesg.]api.Execution/Stream)",
        releases="v0.11 to v0.16",
    ),
    4: Words(
        gone=(words.EXECUTION_STATUS, words.EXECUTION_MISSING, words.EXECUTION_NOT_FOUND),
        output_refused=(*_V14_OUTPUTS, words.NO_RESULT, words.MISSING_CREDENTIAL),
        event_refused=_CREATE_EVENT,
        unknown_service=(),
        identity="the runner (MESG_RUNNER_HASH, MESG_INSTANCE_HASH)",
        stream="mesg.api.Execution/Stream",
        releases="v0.17 to v0.20",
    ),
    5: Words(
        gone=(words.EXECUTION_STATUS, words.EXECUTION_NOT_FOUND, words.EXECUTION_MISSING),
        output_refused=(*_V14_OUTPUTS, words.NO_RESULT, words.NOT_EXECUTOR, *_FIELDS),
        event_refused=(words.EVENT_NOT_FOUND_V14, words.EVENT_DATA_INVALID_V14, *_FIELDS),
        unknown_service=_REGISTRATION,
        identity="the registration (MESG_REGISTER_SIGNATURE, MESG_SERVICE_HASH, MESG_ENV_HASH)",
        stream="the Runner API (mesg.grpc.orchestrator.Runner/Register)",
        releases="v0.21 to v0.26",
        forgotten=(words.TOKEN_UNKNOWN, words.CREDENTIAL_NOT_FOUND),
    ),
}


def _any(texts: Texts, details: str) -> bool:
    """Whether `details` is one of `texts`, as it is or as G5's chain wraps it."""
    if any(text.match(details) is not None for text in texts):
        return True
    wrapped = words.INVALID_REQUEST.match(details)
    return wrapped is not None and any(text.match(wrapped["reason"]) is not None for text in texts)


def _words(generation: int) -> Words:
    return WORDS.get(generation, WORDS[1])


def _refused(name: str, details: str, texts: Texts, said: Words) -> bool:
    """Whether a failure of status `name` is a refusal: a status after which asking again cannot
    help, or one of the engine's `texts` for a refusal (or Go's JSON refusals) as its error."""
    return name in _REFUSALS or (
        name in _WORDED
        and (_any(texts, details) or (said.json_refusals and words.is_json_refusal(details)))
    )


class SubmitVerdict(Enum):
    GONE = "gone"  # the engine has no such execution in progress: drop the result
    REFUSED = "refused"  # the engine refuses this output: retrying it cannot help
    UNREACHABLE = "unreachable"  # no answer: retry for as long as the service runs
    FORGOTTEN = "forgotten"  # G5: the engine forgot the registration; register, retry
    FAILED = "failed"  # anything else: retry a few times


def submit_verdict(code: StatusCode, details: str, generation: int = 1) -> SubmitVerdict:
    """The meaning of a failed result call (``SubmitResult``, ``Execution/Update``,
    ``Runner/Result``) answered by an engine of `generation`."""
    name = code.name
    said = _words(generation)
    if name == "UNKNOWN" and _any(said.gone, details):
        return SubmitVerdict.GONE
    if name in _UNREACHABLE:
        return SubmitVerdict.UNREACHABLE
    if name == "UNKNOWN" and _any(said.forgotten, details):
        return SubmitVerdict.FORGOTTEN
    if _refused(name, details, said.output_refused, said):
        return SubmitVerdict.REFUSED
    return SubmitVerdict.FAILED


class EmitVerdict(Enum):
    REFUSED = "refused"  # the engine refuses this event for good: emitting it again cannot help
    #: The engine knows no such service, or no event call: no event can be emitted now.
    SERVICE_REFUSED = "service_refused"
    UNREACHABLE = "unreachable"  # no answer (or G5's registration forgotten): try again in time
    FAILED = "failed"  # anything else: try again a few times


def emit_verdict(code: StatusCode, details: str, generation: int = 1) -> EmitVerdict:
    """The meaning of a failed event call (``EmitEvent``, ``Event/Create``,
    ``Runner/Event``)."""
    name = code.name
    said = _words(generation)
    if name in _UNREACHABLE or (name == "UNKNOWN" and _any(said.forgotten, details)):
        return EmitVerdict.UNREACHABLE
    if name == "UNIMPLEMENTED" or (name == "UNKNOWN" and _any(said.unknown_service, details)):
        return EmitVerdict.SERVICE_REFUSED
    if _refused(name, details, said.event_refused, said):
        return EmitVerdict.REFUSED
    return EmitVerdict.FAILED


def may_have_emitted(code: StatusCode, *, connected: bool) -> bool:
    """Whether a failed ``EmitEvent`` may have emitted its event anyway: no answer came (a lost
    connection, a deadline) while the engine was connected, at the start of the call or at its
    failure. An engine's own answer, or a call that waited for a connection that never came,
    emitted nothing."""
    return connected and code.name in _UNANSWERED


def listen_refusal(code: StatusCode, details: str, generation: int = 1) -> str | None:
    """Why the task stream can never open with this identity at this address (the operator
    must act), or None when trying again later makes sense. Generation 0: serve asked the
    engine which protocol it speaks, and it speaks none of those it could (`details` says
    which)."""
    name = code.name
    if generation == 0:
        return f"the server speaks no MESG engine protocol serve could use here: {details}"
    said = _words(generation)
    if name == "UNKNOWN" and _any(said.forgotten, details):
        return None
    if name == "UNKNOWN" and _any(said.unknown_service, details):
        verb = "refused" if generation == 5 else "does not know"
        return f"the engine {verb} {said.identity}: {details}"
    if name in ("UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND"):
        return f"the engine refused {said.identity}: {details}"
    if name == "UNIMPLEMENTED":
        return (
            f"the server does not offer {said.stream}: is it a MESG engine of the "
            f"{said.releases} generation? ({details})"
        )
    return None


def token_forgotten(code: StatusCode, details: str) -> bool:
    """G5: whether the engine no longer knows the token of the service's registration (it
    restarted, and kept its tokens in memory only): register again."""
    return code.name == "UNKNOWN" and _any(WORDS[5].forgotten, details)


def not_offered(code: StatusCode, details: str) -> bool:
    """While serve asks which protocol the engine speaks: whether this failure of a stream
    says the engine does not speak the variant tried. It does not serve the path
    (UNIMPLEMENTED), cannot read the request (INTERNAL: a field of another type), or reads a
    raw hash where it wants base58 text (v0.11 to v0.13 given v0.14's request)."""
    name = code.name
    return name in ("UNIMPLEMENTED", "INTERNAL") or (
        name == "UNKNOWN" and words.HASH_INVALID.match(details) is not None
    )


def unreachable(code: StatusCode) -> bool:
    """Whether a failure says only that the engine did not answer."""
    return code.name in _UNREACHABLE


def json_text_answer(code: StatusCode, details: str) -> bool:
    """v0.11 to v0.13 under ``auto``: what the engine's refusal of an event with no key and
    JSON text data says: v0.11 read the text (``create event: key missing``: JSON texts);
    v0.12 and v0.13 could not (Structs)."""
    return code.name == "UNKNOWN" and words.CREATE_EVENT_KEY_MISSING.match(details) is not None
