"""The one classification of failures (`classify`), the one retry rule, the retry schedule, and
the error output's text for later engines: pure, every row of the table checked."""

from __future__ import annotations

import pytest

from mesg_pusher import (
    InputError,
    InputsInvalid,
    MesgPusherError,
    PusherConnectionError,
    PusherError,
    PusherHTTPError,
    PusherTimeoutError,
)
from mesg_pusher.tasks import (
    DEFECT_FAILURE,
    INPUT_FAILURE,
    NOT_STARTED_FAILURE,
    OVERLOADED_FAILURE,
    Failure,
    Kind,
    Retry,
    TaskOutput,
    classify,
    stopped_failure,
)
from mesg_pusher.tasks._failures import retried_by_service
from mesg_pusher.tasks._retries import (
    BASE_SECONDS,
    CAP_SECONDS,
    MIN_TRY_SECONDS,
    RetryPlan,
    retry_delay,
    try_timeout_ms,
)

URL = "http://api.example:80/apps/1/events"
SAFE, UNSAFE, USELESS = Retry.SAFE, Retry.UNSAFE, Retry.USELESS


def http(status: int) -> PusherHTTPError:
    return PusherHTTPError(status, "", "", b"")


@pytest.mark.parametrize(
    ("status", "kind", "published", "query"),
    [
        (400, Kind.REJECTED, USELESS, USELESS),
        (401, Kind.AUTH, USELESS, USELESS),
        (403, Kind.FORBIDDEN, USELESS, USELESS),
        (404, Kind.REJECTED, USELESS, USELESS),
        (407, Kind.REJECTED, USELESS, USELESS),
        (408, Kind.REJECTED, SAFE, SAFE),
        (409, Kind.REJECTED, USELESS, USELESS),
        (413, Kind.TOO_LARGE, USELESS, USELESS),
        (422, Kind.REJECTED, USELESS, USELESS),
        (429, Kind.REJECTED, SAFE, SAFE),
        (301, Kind.REJECTED, USELESS, USELESS),
        (500, Kind.SERVER, UNSAFE, SAFE),
        (502, Kind.SERVER, UNSAFE, SAFE),
        (503, Kind.SERVER, SAFE, SAFE),
        (504, Kind.SERVER, UNSAFE, SAFE),
        (599, Kind.SERVER, UNSAFE, SAFE),
        (999, Kind.SERVER, UNSAFE, SAFE),
    ],
)
def test_each_status_has_its_kind_and_retry(
    status: int, kind: Kind, published: Retry, query: Retry
) -> None:
    assert classify(http(status)) == Failure(kind, published, status)
    assert classify(http(status), publishes=False) == Failure(kind, query, status)


@pytest.mark.parametrize(
    ("error", "publishing", "query"),
    [
        (PusherConnectionError(URL, "refused", sent=False), Failure(Kind.NETWORK, SAFE), None),
        (PusherConnectionError(URL, "reset", sent=True), Failure(Kind.NETWORK, UNSAFE), SAFE),
        (
            PusherConnectionError(URL, "certificate", sent=False, lasting=True),
            Failure(Kind.NETWORK, USELESS),
            None,
        ),
        (PusherTimeoutError(URL, 500, sent=False), Failure(Kind.TIMEOUT, SAFE), None),
        (PusherTimeoutError(URL, 500, sent=True), Failure(Kind.TIMEOUT, UNSAFE), SAFE),
        (PusherError("the answer has no channels"), Failure(Kind.SERVER, USELESS), None),
        (InputError("channel", "is required"), INPUT_FAILURE, None),
        (InputsInvalid("trigger", [("name", "is required")]), INPUT_FAILURE, None),
        (MesgPusherError("anything else of ours"), DEFECT_FAILURE, None),
        (KeyError("a defect"), DEFECT_FAILURE, None),
    ],
)
def test_each_failure_without_a_status_has_its_kind_and_retry(
    error: BaseException, publishing: Failure, query: Retry | None
) -> None:
    assert classify(error) == publishing
    expected = publishing if query is None else Failure(publishing.kind, query)
    assert classify(error, publishes=False) == expected


def test_what_was_published_before_makes_a_safe_failure_unsafe_only() -> None:
    assert classify(http(503), published=10) == Failure(Kind.SERVER, UNSAFE, 503)
    assert classify(http(500), published=10) == Failure(Kind.SERVER, UNSAFE, 500)
    assert classify(http(413), published=10) == Failure(Kind.TOO_LARGE, USELESS, 413)
    assert classify(http(503), published=0) == Failure(Kind.SERVER, SAFE, 503)


def test_the_services_own_failures() -> None:
    assert Failure(Kind.OVERLOADED, SAFE) == OVERLOADED_FAILURE
    assert Failure(Kind.STOPPED, SAFE) == NOT_STARTED_FAILURE
    assert stopped_failure(publishes=True) == Failure(Kind.STOPPED, UNSAFE)
    assert stopped_failure(publishes=False) == Failure(Kind.STOPPED, SAFE)
    assert Failure(Kind.DEFECT, USELESS) == DEFECT_FAILURE


def test_the_kinds_and_retries_are_the_contracts_words() -> None:
    assert [k.value for k in Kind] == [
        "input", "auth", "forbidden", "too_large", "rejected", "server", "network", "timeout",
        "overloaded", "stopped", "defect",
    ]  # fmt: skip
    assert [r.value for r in Retry] == ["safe", "unsafe", "useless"]


@pytest.mark.parametrize(
    ("retry", "keyed", "retried"),
    [
        (SAFE, False, True),
        (SAFE, True, True),
        (UNSAFE, False, False),
        (UNSAFE, True, True),
        (USELESS, False, False),
        (USELESS, True, False),
    ],
)
def test_an_unsafe_failure_is_retried_only_with_a_key(
    retry: Retry, keyed: bool, retried: bool
) -> None:
    assert retried_by_service(Failure(Kind.SERVER, retry), keyed=keyed) is retried


SAFE_FAILURE = Failure(Kind.NETWORK, SAFE)


def test_the_delays_grow_from_the_base_to_the_cap_with_jitter() -> None:
    plan = RetryPlan(retries=10)
    lowest = [retry_delay(SAFE_FAILURE, plan, retried=n, remaining=100, draw=0.0) for n in range(6)]
    highest = [
        retry_delay(SAFE_FAILURE, plan, retried=n, remaining=100, draw=0.999999) for n in range(6)
    ]
    assert lowest == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])
    assert highest == pytest.approx([0.2, 0.4, 0.8, 1.6, 2.0, 2.0], rel=1e-5)
    assert (BASE_SECONDS, CAP_SECONDS) == (0.2, 2.0)


def test_no_retry_beyond_the_count_the_rule_or_the_time_left() -> None:
    plan = RetryPlan(retries=2)
    assert retry_delay(SAFE_FAILURE, plan, retried=1, remaining=10, draw=0.5) is not None
    assert retry_delay(SAFE_FAILURE, plan, retried=2, remaining=10, draw=0.5) is None
    assert retry_delay(SAFE_FAILURE, RetryPlan(retries=0), retried=0, remaining=10, draw=0) is None
    unsafe = Failure(Kind.TIMEOUT, UNSAFE)
    assert retry_delay(unsafe, plan, retried=0, remaining=10, draw=0.5) is None
    keyed = RetryPlan(retries=2, keyed=True)
    assert retry_delay(unsafe, keyed, retried=0, remaining=10, draw=0.5) is not None
    # The wait (0.15 s here) and a try of MIN_TRY_SECONDS must fit in what is left.
    assert retry_delay(SAFE_FAILURE, plan, retried=0, remaining=0.2, draw=0.5) is not None
    left = 0.15 + MIN_TRY_SECONDS - 0.001
    assert retry_delay(SAFE_FAILURE, plan, retried=0, remaining=left, draw=0.5) is None


def test_a_try_gets_all_the_time_left_unless_its_timeout_could_be_retried() -> None:
    publish = RetryPlan(retries=2)
    assert try_timeout_ms(publish, timeout_ms=30_000, remaining_ms=30_000) == 30_000
    assert try_timeout_ms(publish, timeout_ms=30_000, remaining_ms=12_000) == 12_000
    for plan in (RetryPlan(retries=2, keyed=True), RetryPlan(retries=2, publishes=False)):
        assert try_timeout_ms(plan, timeout_ms=30_000, remaining_ms=30_000) == 10_000
        assert try_timeout_ms(plan, timeout_ms=30_000, remaining_ms=4_000) == 4_000
    no_retries = RetryPlan(retries=0, keyed=True)
    assert try_timeout_ms(no_retries, timeout_ms=30_000, remaining_ms=30_000) == 30_000


def test_the_error_text_starts_with_the_kind() -> None:
    output = TaskOutput.error("request to x timed out after 500 ms", Failure(Kind.TIMEOUT, UNSAFE))
    assert output.error_text() == "timeout: request to x timed out after 500 ms (retry: unsafe)"
    split = TaskOutput.error(
        "Pusher answered 500", Failure(Kind.SERVER, UNSAFE, 500), published=20, data_bytes=None
    )
    assert split.error_text() == (
        "server: Pusher answered 500 (retry: unsafe, status: 500, published: 20)"
    )
    too_large = TaskOutput.error("big", Failure(Kind.TOO_LARGE, USELESS, 413), data_bytes=12000)
    assert too_large.error_text() == (
        "too_large: big (retry: useless, status: 413, dataBytes: 12000)"
    )
    with pytest.raises(ValueError, match="no error"):
        TaskOutput.success().error_text()


def test_an_error_output_holds_only_what_it_was_given() -> None:
    assert TaskOutput.error("m", INPUT_FAILURE).data == {
        "error": "m",
        "kind": "input",
        "retry": "useless",
    }
    assert TaskOutput.error("m", Failure(Kind.SERVER, SAFE, 503), published=0).data == {
        "error": "m",
        "kind": "server",
        "retry": "safe",
        "status": 503,
        "published": 0,
    }
