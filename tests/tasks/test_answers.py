"""How what comes back becomes the output, through the mock transport: what is sent for valid
inputs, Pusher's statuses and messages, transport failures, and servers that echo a secret."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from mesg_pusher import PusherConnectionError, PusherTimeoutError
from mesg_pusher.mesg import load_packaged
from mesg_pusher.pusher import Connection, HttpRequest, MockTransport
from mesg_pusher.tasks import TaskOutput, TaskRunner
from tests.support.secret_oracle import ENCODINGS, encoded, exposure, mixed
from tests.tasks.conftest import DROP, SECRET, batch_inputs, sent_by, trigger_inputs

DEFINITION = load_packaged()


def answering(status: int, body: bytes | str) -> TaskRunner:
    raw = body.encode() if isinstance(body, str) else body
    return TaskRunner(
        MockTransport(lambda connection, request: (status, raw)), definition=DEFINITION
    )


async def test_valid_inputs_send_one_signed_request_where_the_inputs_say(
    runner: TaskRunner,
) -> None:
    inputs = trigger_inputs(
        host="api-eu.pusher.com", port=8080, timeout=1500, keepAlive=True, socket_id="1.2"
    )
    output = await runner.execute("trigger", json.dumps(inputs))
    assert output == TaskOutput("success", {"message": "sent"})
    [(connection, request)] = sent_by(runner)
    assert connection == Connection("http", "api-eu.pusher.com", 8080, 1500, True, None)
    assert (request.method, request.path) == ("POST", "/apps/3/events")
    assert json.loads(request.body) == {
        "name": "my-event",
        "channels": ["my-channel"],
        "data": '{"message":"hello"}',
        "socket_id": "1.2",
    }
    assert "auth_signature=" in request.query
    assert SECRET not in request.query


async def test_a_batch_is_one_request(runner: TaskRunner) -> None:
    events = [{"name": "e", "channel": f"c{i}", "data": {"i": i}} for i in range(3)]
    output = await runner.execute("triggerBatch", batch_inputs(events, encrypted=True, port=DROP))
    assert output.key == "success", output
    [(connection, request)] = sent_by(runner)
    assert (connection.scheme, connection.port) == ("https", 443)
    assert request.path == "/apps/3/batch_events"
    assert [e["channel"] for e in json.loads(request.body)["batch"]] == ["c0", "c1", "c2"]


PUSHER_ERRORS = [
    (400, "Bad Request", "Expected name parameter to be a string", "rejected", "useless"),
    (401, "Unauthorized", "Invalid signature: Expected HMAC SHA256 hex digest", "auth", "useless"),
    (403, "Forbidden", "Application is over quota", "forbidden", "useless"),
    (404, "Not Found", "Unknown app", "rejected", "useless"),
    (500, "Internal Server Error", "Internal error, please retry", "server", "unsafe"),
]


@pytest.mark.parametrize(("status", "reason", "body", "kind", "retry"), PUSHER_ERRORS)
async def test_pusher_error_statuses_become_the_error_output(
    status: int, reason: str, body: str, kind: str, retry: str
) -> None:
    runner = answering(status, body)
    output = await runner.execute("trigger", trigger_inputs())
    assert output == TaskOutput(
        "error",
        {
            "error": f"Pusher answered {status} {reason}: {body}",
            "kind": kind,
            "retry": retry,
            "status": status,
        },
    )
    assert len(sent_by(runner)) == 1  # none of these is tried again without a key


async def test_a_413_says_the_size_of_the_data_that_was_sent() -> None:
    body = "The data content of this event exceeds the allowed maximum (10240 bytes)."
    runner = answering(413, body)
    data = {"text": "é" * 3000}  # 6000 bytes of UTF-8, and the JSON around them
    output = await runner.execute("trigger", trigger_inputs(data=data))
    assert output == TaskOutput(
        "error",
        {
            "error": f"Pusher answered 413 Request Entity Too Large: {body} (the largest event "
            "data sent was 6011 bytes)",
            "kind": "too_large",
            "retry": "useless",
            "status": 413,
            "dataBytes": 6011,
        },
    )


@pytest.mark.parametrize("status", [0, 199, 300, 301, 304, 399, 402, 418, 503, 599, 600, 999])
async def test_only_a_2xx_answer_is_success(status: int) -> None:
    output = await answering(status, b"").execute("trigger", trigger_inputs())
    assert output.key == "error"
    assert output.data["error"].startswith(f"Pusher answered {status}")


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
async def test_any_2xx_answer_is_success(status: int) -> None:
    output = await answering(status, b"").execute("trigger", trigger_inputs())
    assert output == TaskOutput("success", {"message": "sent"})


async def test_a_2xx_that_reports_an_error_is_an_error() -> None:
    runner = answering(200, b'{"error": "The app does not exist", "code": 404}')
    output = await runner.execute("trigger", trigger_inputs())
    assert output == TaskOutput(
        "error",
        {
            "error": "Pusher answered 404 Not Found: The app does not exist",
            "kind": "rejected",
            "retry": "useless",
            "status": 404,
        },
    )


async def test_a_refusal_through_a_plain_http_proxy_may_be_the_proxys() -> None:
    runner = answering(407, "Proxy Authentication Required")
    output = await runner.execute(
        "trigger", trigger_inputs(proxy="http://alice:pr0xy-pa55@127.0.0.1:3128")
    )
    assert output.data["error"] == (
        "the proxy http://alice:***@127.0.0.1:3128, or Pusher behind it, answered "
        "407 Proxy Authentication Required: Proxy Authentication Required"
    )


async def no_wait(seconds: float) -> None:
    return None


@pytest.mark.parametrize(
    ("failure", "kind", "retry", "tries"),
    [
        (
            PusherConnectionError(
                "http://127.0.0.1:9/apps/3/events", "could not connect: refused", sent=False
            ),
            "network",
            "safe",
            3,
        ),
        (
            PusherTimeoutError("http://127.0.0.1:9/apps/3/events", 300, sent=True),
            "timeout",
            "unsafe",
            1,
        ),
    ],
)
async def test_transport_failures_are_the_error_output(
    failure: Exception, kind: str, retry: str, tries: int
) -> None:
    def fail(connection: Connection, request: HttpRequest) -> tuple[int, bytes]:
        raise failure

    transport = MockTransport(fail)
    output = await TaskRunner(transport, sleep=no_wait).execute("trigger", trigger_inputs())
    after = f" (after {tries} tries)" if tries > 1 else ""
    assert output == TaskOutput(
        "error", {"error": str(failure) + after, "kind": kind, "retry": retry}
    )
    assert len(transport.sent) == tries


async def test_a_transport_defect_is_answered_without_its_text(caplog: Any) -> None:
    def broken(connection: Connection, request: HttpRequest) -> tuple[int, bytes]:
        raise RuntimeError(f"quoting {request.query}")

    caplog.set_level(logging.DEBUG)
    output = await TaskRunner(MockTransport(broken)).execute("trigger", trigger_inputs())
    assert output == TaskOutput(
        "error",
        {
            "error": "internal error in task trigger: RuntimeError",
            "kind": "defect",
            "retry": "useless",
        },
    )
    assert "auth_signature" not in caplog.text


@pytest.mark.parametrize(
    ("secret", "body"),
    [
        # cut off by the message's length limit, which would have kept its first characters
        ("Zq9xK2mLp0sT4vW8yB1c", "x" * 490 + "Zq9xK2mLp0sT4vW8yB1c"),
        # whitespace in it, which messages reflow
        ("my  secret\nvalue-42", "bad request for my  secret\nvalue-42 here"),
        # as a JSON body escapes it
        ('ab"cd\\efgh-1234', json.dumps({"error": 'no app for ab"cd\\efgh-1234'})),
    ],
)
async def test_a_server_that_echoes_the_secret_never_gets_it_shown(
    caplog: Any, secret: str, body: str
) -> None:
    caplog.set_level(logging.DEBUG)
    output = await answering(400, body).execute("trigger", trigger_inputs(secret=secret))
    message = output.data["error"]
    assert output.key == "error"
    assert message.startswith("Pusher answered 400 Bad Request: ")
    assert "***" in message
    for piece in (secret, secret[:7], " ".join(secret.split()), json.dumps(secret)[1:-1]):
        assert piece not in message
    assert secret[:7] not in caplog.text


def _shaped(shape: str, text: str) -> str:
    if shape == "json":
        return json.dumps({"error": text})
    if shape == "html":
        return f"<html><head><title>400</title></head><body><p>{text}</p></body></html>"
    return text


@pytest.mark.parametrize("how", ENCODINGS)
@pytest.mark.parametrize("shape", ["text", "json", "html"])
async def test_a_server_echoing_the_secret_encoded_at_the_cut_gets_no_run_of_it_back(
    how: str, shape: str
) -> None:
    written = encoded(SECRET, how)
    # From wholly before the message's cut to astride it, by steps, and the mixed forms too.
    for offset in range(440 - len(written), 500, 3):
        body = _shaped(shape, "x" * max(offset, 0) + written + " and more")
        output = await answering(400, body).execute("trigger", trigger_inputs())
        assert output.key == "error"
        assert exposure(output.data["error"], SECRET) is None, (offset, output.data["error"])


@pytest.mark.parametrize(
    "choices",
    [
        ["entity-decimal", "json-escape"],
        ["url-every-byte", "plain", "entity-hex"],
        ["plain"] * 7 + ["entity-named"],
    ],
)
async def test_a_secret_written_in_mixed_encodings_is_still_found(choices: list[str]) -> None:
    for shape in ("text", "json", "html"):
        body = _shaped(shape, "no app for " + mixed(SECRET, choices))
        output = await answering(401, body).execute("trigger", trigger_inputs())
        assert exposure(output.data["error"], SECRET) is None, output.data["error"]
