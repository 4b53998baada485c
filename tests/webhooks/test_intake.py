"""A receiver's whole decision, pure: every bad webhook answered by the one table and emitting
nothing, duplicates answered 200 without emitting, partial failures resumed (the body's record
kept in a dictionary here, as a store keeps it), and the Python SDK's own `validate_webhook`
agreeing with what we accept."""

from __future__ import annotations

import time

import pusher as pusher_sdk
import pytest

from mesg_pusher.pusher import App
from mesg_pusher.pusher import webhook_signature as signature
from mesg_pusher.webhooks import (
    MAX_BODY_BYTES,
    REPLAY_WINDOW_MS,
    RESPONSES,
    Intake,
    Setback,
    WebhookOutcome,
    WebhookRefused,
    check,
    respond,
)

from .conftest import (
    APP,
    NOW_MS,
    OTHER,
    Remembered,
    body_of,
    largest_genuine_body,
    occupied,
    oracle_signature,
)


def test_the_answer_table() -> None:
    statuses = {outcome: status for outcome, (status, _) in RESPONSES.items()}
    assert statuses == {
        WebhookOutcome.ACCEPTED: 200,
        WebhookOutcome.FILTERED: 200,
        WebhookOutcome.DUPLICATE: 200,
        WebhookOutcome.UNKNOWN_KEY: 401,
        WebhookOutcome.BAD_SIGNATURE: 401,
        WebhookOutcome.STALE: 401,
        WebhookOutcome.NOT_A_WEBHOOK: 400,
        WebhookOutcome.BODY_TIMEOUT: 408,
        WebhookOutcome.TOO_LARGE: 413,
        WebhookOutcome.NO_APP: 503,
        WebhookOutcome.IN_PROGRESS: 503,
        WebhookOutcome.ENGINE_UNREACHABLE: 503,
        WebhookOutcome.ENGINE_REFUSED: 503,
        WebhookOutcome.NOT_ACCEPTED_IN_TIME: 503,
        WebhookOutcome.BUSY: 503,
        WebhookOutcome.STORE_UNREACHABLE: 503,
        WebhookOutcome.STOPPING: 503,
        WebhookOutcome.DEFECT: 500,
    }
    assert set(RESPONSES) == set(WebhookOutcome)
    assert respond(WebhookOutcome.ACCEPTED).body == b"{}"
    assert respond(WebhookOutcome.DUPLICATE).body == b"{}"
    refused = respond(WebhookOutcome.ENGINE_REFUSED, "Event 'x' not found in service 'mesg-pusher'")
    assert (refused.status, refused.content_type) == (503, "application/json")
    assert refused.body == (
        b'{"error":"the MESG engine refused the event: '
        b"Event 'x' not found in service 'mesg-pusher'\"}"
    )
    assert not refused.ok
    assert {o.value for o in WebhookOutcome} == {o.name.lower() for o in WebhookOutcome}


def test_a_good_webhook_is_checked_and_read() -> None:
    body = body_of(
        occupied("a"), {"name": "member_added", "channel": "presence-b", "user_id": "ada"}
    )
    verified = check(
        [OTHER, APP],
        key=APP.key,
        signature=signature(APP.secret, body),
        body=body,
        now_ms=NOW_MS + 1000,
    )
    assert verified.app is APP
    assert [e.key for e in verified.webhook.events] == ["channel_occupied", "member_added"]


def _bad_cases() -> list[tuple[str, dict[str, object], WebhookOutcome, int]]:
    good = body_of(occupied())
    sig = oracle_signature(APP.secret, good)
    stale = body_of(occupied(), time_ms=NOW_MS - REPLAY_WINDOW_MS - 1)
    cases: list[tuple[str, dict[str, object], WebhookOutcome, int]] = [
        (
            "wrong key",
            {"key": "nope", "signature": sig, "body": good},
            WebhookOutcome.UNKNOWN_KEY,
            401,
        ),
        (
            "missing key",
            {"key": None, "signature": sig, "body": good},
            WebhookOutcome.UNKNOWN_KEY,
            401,
        ),
        (
            "wrong signature",
            {"key": APP.key, "signature": oracle_signature("other", good), "body": good},
            WebhookOutcome.BAD_SIGNATURE,
            401,
        ),
        (
            "missing signature",
            {"key": APP.key, "signature": None, "body": good},
            WebhookOutcome.BAD_SIGNATURE,
            401,
        ),
        (
            "tampered body",
            {"key": APP.key, "signature": sig, "body": good.replace(b"my-", b"mx-")},
            WebhookOutcome.BAD_SIGNATURE,
            401,
        ),
        (
            "stale time_ms",
            {"key": APP.key, "signature": oracle_signature(APP.secret, stale), "body": stale},
            WebhookOutcome.STALE,
            401,
        ),
    ]
    for name, body in (
        ("not JSON", b"<xml/>"),
        ("unknown event name", body_of({"name": "user_exploded", "channel": "x"})),
        ("wrong shape", body_of({"name": "member_added", "channel": "presence-x"})),
    ):
        signed: dict[str, object] = {
            "key": APP.key,
            "signature": oracle_signature(APP.secret, body),
            "body": body,
        }
        cases.append((name, signed, WebhookOutcome.NOT_A_WEBHOOK, 400))
    big = body_of({**occupied(), "padding": "x" * MAX_BODY_BYTES})
    cases.append(
        (
            "oversized",
            {"key": APP.key, "signature": oracle_signature(APP.secret, big), "body": big},
            WebhookOutcome.TOO_LARGE,
            413,
        )
    )
    return cases


@pytest.mark.parametrize(
    ("name", "request_", "outcome", "status"), _bad_cases(), ids=[c[0] for c in _bad_cases()]
)
def test_bad_webhooks_get_their_answer_and_nothing_to_emit(
    name: str, request_: dict[str, object], outcome: WebhookOutcome, status: int
) -> None:
    memory = Remembered(Intake([APP]))
    with pytest.raises(WebhookRefused) as refused:
        memory.open(now_ms=NOW_MS, **request_)  # type: ignore[arg-type]
    assert refused.value.outcome is outcome
    assert refused.value.response.status == status
    assert memory.records == {}  # nothing remembered, nothing emitted


def test_size_is_checked_before_anything_else_but_the_configuration() -> None:
    big = b"x" * (MAX_BODY_BYTES + 1)
    with pytest.raises(WebhookRefused) as refused:
        check([APP], key="nope", signature=None, body=big, now_ms=NOW_MS)
    assert refused.value.outcome is WebhookOutcome.TOO_LARGE
    with pytest.raises(WebhookRefused) as refused:
        check([], key=APP.key, signature=None, body=big, now_ms=NOW_MS)
    assert refused.value.outcome is WebhookOutcome.NO_APP
    assert refused.value.response.status == 503


@pytest.mark.parametrize(
    ("apps", "key", "size", "outcome", "detail"),
    [
        ([], APP.key, 10, WebhookOutcome.NO_APP, ""),
        (
            [APP],
            APP.key,
            MAX_BODY_BYTES + 1,
            WebhookOutcome.TOO_LARGE,
            f"at most {MAX_BODY_BYTES} bytes",
        ),
        ([APP], None, 10, WebhookOutcome.UNKNOWN_KEY, "X-Pusher-Key is missing"),
        ([APP], "", 10, WebhookOutcome.UNKNOWN_KEY, "X-Pusher-Key is missing"),
        ([APP], OTHER.key, 10, WebhookOutcome.UNKNOWN_KEY, ""),
        ([APP], APP.secret, 10, WebhookOutcome.UNKNOWN_KEY, ""),
    ],
    ids=["no app", "too large", "no key", "empty key", "another key", "the secret as key"],
)
def test_what_the_head_alone_refuses(
    apps: list[App], key: str | None, size: int, outcome: WebhookOutcome, detail: str
) -> None:
    intake: Intake[App] = Intake(apps)
    with pytest.raises(WebhookRefused) as refused:
        intake.check_head(key=key, size=size)
    assert (refused.value.outcome, refused.value.detail) == (outcome, detail)


def test_the_head_of_a_webhook_that_may_be_good_passes_and_the_body_decides() -> None:
    intake: Intake[App] = Intake([OTHER, APP])
    intake.check_head(key=APP.key, size=MAX_BODY_BYTES)  # no signature needed yet
    body = body_of(occupied())
    with pytest.raises(WebhookRefused) as refused:
        intake.check(key=APP.key, signature=None, body=body, now_ms=NOW_MS)
    assert refused.value.outcome is WebhookOutcome.BAD_SIGNATURE


def test_the_largest_genuine_body_is_within_the_limit_and_read_whole() -> None:
    body = largest_genuine_body()
    # The limit's comment computes this figure from Pusher's limits.
    assert len(body) == 1_313_016
    assert len(body) < MAX_BODY_BYTES
    verified = check(
        [APP], key=APP.key, signature=oracle_signature(APP.secret, body), body=body, now_ms=NOW_MS
    )
    assert len(verified.webhook.events) == 20
    assert len(verified.webhook.events[0].data["data"].encode()) == 10240


def test_a_retried_body_emits_once() -> None:
    memory = Remembered(Intake([APP]))
    body = body_of(occupied("a"), occupied("b"))
    first = memory.open(
        key=APP.key, signature=signature(APP.secret, body), body=body, now_ms=NOW_MS
    )
    assert first.response is None
    assert [e.data["channel"] for e in first.pending] == ["a", "b"]
    assert memory.close(first, done=2).status == 200
    retry = memory.open(
        key=APP.key, signature=signature(APP.secret, body), body=body, now_ms=NOW_MS + 60_000
    )
    assert retry.pending == ()
    assert retry.response is not None
    assert (retry.response.status, retry.response.outcome) == (200, WebhookOutcome.DUPLICATE)
    assert memory.close(retry, done=0).status == 200


def test_an_engine_outage_answers_503_and_the_retry_emits_what_is_left() -> None:
    memory = Remembered(Intake([APP]))
    body = body_of(occupied("a"), occupied("b"), occupied("c"))
    sig = signature(APP.secret, body)
    first = memory.open(key=APP.key, signature=sig, body=body, now_ms=NOW_MS)
    answered = memory.close(first, done=1, setback=Setback.UNREACHABLE)
    assert (answered.status, answered.outcome) == (503, WebhookOutcome.ENGINE_UNREACHABLE)
    retry = memory.open(key=APP.key, signature=sig, body=body, now_ms=NOW_MS + 1000)
    assert [e.data["channel"] for e in retry.pending] == ["b", "c"]
    assert memory.close(retry, done=2).status == 200


def test_missing_events_are_never_answered_200() -> None:
    memory = Remembered(Intake([APP]))
    body = body_of(occupied("a"), occupied("b"))
    ticket = memory.open(
        key=APP.key, signature=signature(APP.secret, body), body=body, now_ms=NOW_MS
    )
    assert memory.close(ticket, done=1).outcome is WebhookOutcome.NOT_ACCEPTED_IN_TIME
    ticket = memory.open(
        key=APP.key, signature=signature(APP.secret, body), body=body, now_ms=NOW_MS
    )
    assert memory.close(ticket, done=0, setback=Setback.SLOW).status == 503


def test_a_concurrent_copy_is_told_to_retry() -> None:
    memory = Remembered(Intake([APP]))
    body = body_of(occupied())
    sig = signature(APP.secret, body)
    first = memory.open(key=APP.key, signature=sig, body=body, now_ms=NOW_MS)
    copy = memory.open(key=APP.key, signature=sig, body=body, now_ms=NOW_MS + 5)
    assert copy.response is not None
    assert copy.response.status == 503
    assert copy.pending == ()
    memory.close(first, done=1)
    assert memory.open(key=APP.key, signature=sig, body=body, now_ms=NOW_MS + 9).pending == ()


def test_the_same_body_from_two_apps_is_two_webhooks() -> None:
    memory = Remembered(Intake([APP, OTHER]))
    body = body_of(occupied())
    for app in (APP, OTHER):
        ticket = memory.open(
            key=app.key, signature=signature(app.secret, body), body=body, now_ms=NOW_MS
        )
        assert len(ticket.pending) == 1
        memory.close(ticket, done=1)


def test_the_python_sdk_accepts_what_we_accept() -> None:
    """The official SDK's `validate_webhook` (which reads the real clock) agrees on a body
    signed with `signature`, and refuses it with another secret, as `check` does."""
    now_ms = int(time.time() * 1000)
    body = body_of(occupied("sdk"), time_ms=now_ms)
    client = pusher_sdk.Pusher(app_id=APP.app_id, key=APP.key, secret=APP.secret)
    sig = signature(APP.secret, body)
    assert client.validate_webhook(APP.key, sig, body.decode()) == {
        "time_ms": now_ms,
        "events": [{"name": "channel_occupied", "channel": "sdk"}],
    }
    check([APP], key=APP.key, signature=sig, body=body, now_ms=now_ms)
    wrong = signature("not-the-secret", body)
    assert client.validate_webhook(APP.key, wrong, body.decode()) is None
    with pytest.raises(WebhookRefused):
        check([APP], key=APP.key, signature=wrong, body=body, now_ms=now_ms)
