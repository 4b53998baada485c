"""What failed engine calls mean, from their status and the engine's text."""

from __future__ import annotations

import grpc
import pytest

from mesg_pusher.engine import _rules as rules
from mesg_pusher.mesg import release, words
from mesg_pusher.runtime import (
    EmitVerdict,
    SubmitVerdict,
    emit_verdict,
    listen_refusal,
    submit_verdict,
)
from mesg_pusher.runtime._verdicts import may_have_emitted, not_offered, token_forgotten

Code = grpc.StatusCode


@pytest.mark.parametrize(
    ("code", "details", "verdict"),
    [
        (Code.UNKNOWN, "Execution 42 doesn't exists", SubmitVerdict.GONE),
        # Only the engine's own text with its status means "not in progress".
        (Code.UNAVAILABLE, "Execution 42 doesn't exists", SubmitVerdict.UNREACHABLE),
        (Code.UNKNOWN, "database file does not exist", SubmitVerdict.FAILED),
        (Code.UNKNOWN, "open /mesg/db: file doesn't exist", SubmitVerdict.FAILED),
        (Code.UNKNOWN, "Execution 42 doesn't exists\nand more", SubmitVerdict.FAILED),
        (Code.UNAVAILABLE, "failed to connect to all addresses", SubmitVerdict.UNREACHABLE),
        (Code.DEADLINE_EXCEEDED, "Deadline Exceeded", SubmitVerdict.UNREACHABLE),
        (
            Code.UNKNOWN,
            "Outputs 'success' of task 'trigger' are invalid. Value of 'message' is required",
            SubmitVerdict.REFUSED,
        ),
        (
            Code.UNKNOWN,
            "Output 'x' of task 'trigger' not found in service 'mesg-pusher'",
            SubmitVerdict.REFUSED,
        ),
        (Code.UNKNOWN, "Task 'x' not found in service 'mesg-pusher'", SubmitVerdict.REFUSED),
        (
            Code.UNKNOWN,
            "invalid character 'x' looking for beginning of value",
            SubmitVerdict.REFUSED,
        ),
        (Code.UNKNOWN, "unexpected end of JSON input", SubmitVerdict.REFUSED),
        (Code.INVALID_ARGUMENT, "bad", SubmitVerdict.REFUSED),
        (Code.UNKNOWN, "database is locked", SubmitVerdict.FAILED),
        (Code.INTERNAL, "RST_STREAM", SubmitVerdict.FAILED),
        (Code.CANCELLED, "Cancelled", SubmitVerdict.FAILED),
    ],
)
def test_submit_verdicts(code: grpc.StatusCode, details: str, verdict: SubmitVerdict) -> None:
    assert submit_verdict(code, details) is verdict


#: A v0.1-v0.3 engine's execution id: the creation time as Go prints it, the service, the task and
#: the inputs as Go encodes them (spaces, quotes, escapes, any Unicode).
V02_ID = (
    "2026-12-01 09:25:41.188702065 +0000 UTC.mesg-pusher.trigger."
    '{"appId":"1","data":{"t":"\\u003cb\\u003e it\'s\\né"},"secret":"s3cr3t-s3cr3t-s3cr3t"}'
)


@pytest.mark.parametrize("execution_id", [V02_ID, "a" * 40, "x\ny", "'"])
@pytest.mark.parametrize(
    "form",
    ["Execution {} doesn't exists", "Execution '{}' not found in queue 'inProgress'"],
    ids=["api", "queue"],
)
def test_execution_gone_is_recognised_for_any_id_in_both_forms(
    execution_id: str, form: str
) -> None:
    details = form.format(execution_id)
    assert submit_verdict(Code.UNKNOWN, details) is SubmitVerdict.GONE
    assert submit_verdict(Code.UNKNOWN, details + "!") is SubmitVerdict.FAILED


def test_an_unknown_token_is_a_refusal_to_report() -> None:
    refusal = listen_refusal(Code.UNKNOWN, "Database services: Service with hash 'abc' not found")
    assert refusal is not None
    assert "MESG_TOKEN" in refusal
    assert "Service with hash 'abc' not found" in refusal
    assert "MESG_TOKEN" in (listen_refusal(Code.PERMISSION_DENIED, "no") or "")
    assert "v0.1 to v0.9" in (listen_refusal(Code.UNIMPLEMENTED, "Method not found") or "")


@pytest.mark.parametrize(
    ("code", "details"),
    [
        # "not found" alone is not the engine's refusal of the token: try again later.
        (Code.UNKNOWN, "dial tcp: lookup mesg-core: not found"),
        (Code.UNKNOWN, "Database services: Service with hash 'abc' not found, retry"),
        (Code.INTERNAL, "Database services: Service with hash 'abc' not found"),
        (Code.UNAVAILABLE, "Connection refused"),
        (Code.UNAVAILABLE, "Cancelling all calls"),
        (Code.UNKNOWN, "Stream removed"),
        (Code.INTERNAL, "Received RST_STREAM"),
    ],
)
def test_connection_trouble_is_worth_retrying(code: grpc.StatusCode, details: str) -> None:
    assert listen_refusal(code, details) is None


@pytest.mark.parametrize(
    ("code", "details", "verdict"),
    [
        (Code.UNKNOWN, "Event 'x' not found in service 'mesg-pusher'", EmitVerdict.REFUSED),
        (
            Code.UNKNOWN,
            "Data of event 'member_added' is invalid. Value of 'user_id' is required",
            EmitVerdict.REFUSED,
        ),
        (
            Code.UNKNOWN,
            "Database services: Service with hash 'x y' not found",
            EmitVerdict.SERVICE_REFUSED,
        ),
        (
            Code.UNKNOWN,
            "json: cannot unmarshal array into Go value of type map[string]interface {}",
            EmitVerdict.REFUSED,
        ),
        (Code.INVALID_ARGUMENT, "anything", EmitVerdict.REFUSED),
        (
            Code.UNIMPLEMENTED,
            "Method not found: api.Service/EmitEvent",
            EmitVerdict.SERVICE_REFUSED,
        ),
        (Code.UNAVAILABLE, "failed to connect to all addresses", EmitVerdict.UNREACHABLE),
        (Code.DEADLINE_EXCEEDED, "Deadline Exceeded", EmitVerdict.UNREACHABLE),
        # Only the engine's words with its status mean a refusal.
        (Code.UNAVAILABLE, "Event 'x' not found in service 'y'", EmitVerdict.UNREACHABLE),
        (Code.UNKNOWN, "Event 'x' not found in service 'y'\nand more", EmitVerdict.FAILED),
        (Code.UNKNOWN, "open /mesg/db: resource temporarily unavailable", EmitVerdict.FAILED),
        (Code.INTERNAL, "stream terminated", EmitVerdict.FAILED),
    ],
)
def test_emit_verdict(code: grpc.StatusCode, details: str, verdict: EmitVerdict) -> None:
    assert emit_verdict(code, details) is verdict


@pytest.mark.parametrize(
    ("code", "connected", "maybe"),
    [
        (Code.DEADLINE_EXCEEDED, True, True),  # late: the engine may have emitted it
        (Code.UNAVAILABLE, True, True),  # the connection broke after the request went
        (Code.CANCELLED, True, True),
        (Code.INTERNAL, True, True),
        (Code.DEADLINE_EXCEEDED, False, False),  # waited for a connection that never came
        (Code.UNAVAILABLE, False, False),
        (Code.UNKNOWN, True, False),  # the engine's own answer: nothing emitted
        (Code.INVALID_ARGUMENT, True, False),
        (Code.UNIMPLEMENTED, True, False),
    ],
)
def test_an_emission_without_an_answer_from_a_connected_engine_may_have_emitted(
    code: grpc.StatusCode, connected: bool, maybe: bool
) -> None:
    assert may_have_emitted(code, connected=connected) is maybe


# The later generations, in the words the stand-in of each release writes -----------------------

ID = "4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi"
LATER = ["v0.10", "v0.11", "v0.13", "v0.14.0", "v0.14.1", "v0.16", "v0.17", "v0.20", "v0.26"]


@pytest.mark.parametrize("tag", LATER)
def test_each_release_s_words_for_a_result(tag: str) -> None:
    chosen = release(tag)
    generation = chosen.generation

    def verdict(details: str, code: grpc.StatusCode = Code.UNKNOWN) -> SubmitVerdict:
        return submit_verdict(code, details, generation)

    # Answered already, or unknown to the engine: dropped.
    assert verdict(rules.status_error(chosen, False)) is SubmitVerdict.GONE
    assert verdict(rules.status_error(chosen, True)) is SubmitVerdict.GONE
    assert verdict(rules.unknown_execution(chosen, ID)) is SubmitVerdict.GONE
    # What the result carries: replaced once by the error.
    invalid = rules.outputs_invalid(chosen, "mesg-pusher", "trigger", [("message", "String")])
    assert verdict(invalid) is SubmitVerdict.REFUSED
    no_result = rules.no_result(chosen)
    if no_result is not None:
        assert verdict(no_result) is SubmitVerdict.REFUSED
    # Anything else, and the engine out of reach: tried again.
    assert verdict("database is locked") is SubmitVerdict.FAILED
    assert verdict(invalid, Code.UNAVAILABLE) is SubmitVerdict.UNREACHABLE
    assert verdict(rules.status_error(chosen, False) + "!") is SubmitVerdict.FAILED


def test_v0_17_0_s_demand_for_credentials_is_a_refusal() -> None:
    text = words.MISSING_CREDENTIAL.format(key="credential_username")
    assert submit_verdict(Code.UNAUTHENTICATED, text, 4) is SubmitVerdict.REFUSED


def test_the_fifth_generation_s_forgotten_token_and_foreign_executions() -> None:
    forgotten = words.TOKEN_UNKNOWN.format()
    assert submit_verdict(Code.UNKNOWN, forgotten, 5) is SubmitVerdict.FORGOTTEN
    assert emit_verdict(Code.UNKNOWN, forgotten, 5) is EmitVerdict.UNREACHABLE
    assert listen_refusal(Code.UNKNOWN, forgotten, 5) is None
    assert token_forgotten(Code.UNKNOWN, forgotten)
    assert not token_forgotten(Code.UNKNOWN, forgotten + ".")
    assert submit_verdict(Code.UNKNOWN, forgotten, 3) is SubmitVerdict.FAILED  # not G3's words
    foreign = words.NOT_EXECUTOR.format(runner='"a"', executor='"b"')
    assert submit_verdict(Code.UNKNOWN, foreign, 5) is SubmitVerdict.REFUSED


@pytest.mark.parametrize("tag", LATER)
def test_each_release_s_words_for_an_event(tag: str) -> None:
    chosen = release(tag)
    generation = chosen.generation
    invalid = rules.event_data_invalid(
        chosen, "mesg-pusher", "member_added", [("user_id", "required")]
    )
    unknown = rules.event_not_found(chosen, "mesg-pusher", "nope")
    if generation in (3, 4):  # Event/Create wraps them
        invalid, unknown = (words.CREATE_EVENT_DATA.format(reason=t) for t in (invalid, unknown))
    for text in (invalid, unknown):
        assert emit_verdict(Code.UNKNOWN, text, generation) is EmitVerdict.REFUSED
    assert emit_verdict(Code.UNKNOWN, "database is locked", generation) is EmitVerdict.FAILED


@pytest.mark.parametrize(
    ("generation", "code", "details", "says"),
    [
        (2, Code.UNKNOWN, "database: service abc not found", "does not know the service token"),
        (3, Code.UNKNOWN, "hash: invalid base58 digit ('0')", "does not know the instance hash"),
        (5, Code.UNKNOWN, "verification of the signature failed", "refused the registration"),
        (
            5,
            Code.UNKNOWN,
            'runner "x" not found: invalid request',
            "refused the registration (MESG_REGISTER_SIGNATURE",
        ),
        (3, Code.UNIMPLEMENTED, "Method not found", "the Execution API"),
        (4, Code.UNIMPLEMENTED, "Method not found", "of the v0.17 to v0.20 generation"),
        (5, Code.UNIMPLEMENTED, "Method not found", "v0.21 to v0.26"),
        (0, Code.UNIMPLEMENTED, "G1 (v0.1-v0.9): UNIMPLEMENTED", "speaks no MESG engine protocol"),
    ],
)
def test_each_generation_s_refusal_of_the_service(
    generation: int, code: grpc.StatusCode, details: str, says: str
) -> None:
    assert says in (listen_refusal(code, details, generation) or "")


@pytest.mark.parametrize(
    ("code", "details", "offered"),
    [
        (Code.UNIMPLEMENTED, "Method not found!", False),
        (Code.INTERNAL, "grpc: error unmarshalling request: proto: bad UTF-8", False),
        (Code.UNKNOWN, "hash: invalid base58 digit ('0')", False),  # v0.11-v0.13 read bytes
        (Code.UNAVAILABLE, "failed to connect to all addresses", True),
        (Code.UNKNOWN, "leveldb: not found", True),
    ],
)
def test_while_asking_which_protocol_a_refused_stream_says_not_this_one(
    code: grpc.StatusCode, details: str, offered: bool
) -> None:
    assert not_offered(code, details) is not offered
