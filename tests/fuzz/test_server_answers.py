"""Hostile server answers through the mock transport: every status, bodies of any bytes, and
bodies echoing the secret (or the proxy's credentials) in every encoding at every offset around
the message's cut. One valid output, success only for a 2xx answer, no run of a secret shown."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesg_pusher._secrets import basic_credentials
from mesg_pusher.pusher import Connection, HttpRequest, MockTransport
from mesg_pusher.tasks import ServiceEnvironment, TaskRunner
from tests.fuzz.strategies import (
    DEFINITION,
    LOCAL_TASKS,
    check_output,
    check_texts,
    log_lines,
    master_keys,
    passwords,
    run,
    secret_forms_of_all,
    secrets,
    strings_in,
    valid_inputs,
)
from tests.support.secret_oracle import CHARACTER_ENCODINGS, ENCODINGS, encoded, exposure, mixed

pytestmark = pytest.mark.slow

#: Where a Pusher message is cut (`pusher._responses.MAX_MESSAGE_CHARS`), around which echoes
#: are placed.
CUT = 500
SHAPES = ["text", "json", "json-message", "html", "soketi"]


def answer_with(
    status: int,
    body: bytes,
    inputs: dict[str, object],
    task: str = "trigger",
    environ: dict[str, str] | None = None,
) -> tuple[str, list[str]]:
    """The output's key, and its text, its strings and the log lines: the texts shown."""
    transport = MockTransport(lambda connection, request: (status, body))
    runner = TaskRunner(
        transport, definition=DEFINITION, environment=ServiceEnvironment.read(environ or {})
    )
    with log_lines() as lines:
        output = run(runner.execute(task, json.dumps(inputs)))
    check_output(task, output, [], lines)
    return output.key, [output.json(), *strings_in(output.data), *lines]


def shaped(shape: str, text: str) -> bytes:
    if shape == "json":
        return json.dumps({"error": text}).encode()
    if shape == "json-message":
        written = json.dumps({"message": text, "other": [text]}, ensure_ascii=False)
        return written.encode("utf-8", "surrogatepass")
    if shape == "html":
        return f"<html><head><title>{text}</title></head><body><p>{text}</p></body></html>".encode(
            "utf-8", "surrogatepass"
        )
    if shape == "soketi":
        return json.dumps({"error": text, "code": 401}).encode()
    return text.encode("utf-8", "surrogatepass")


@st.composite
def echoes(draw: st.DrawFn, secret: str) -> str:
    """A body's text: filler, then the secret (or a run of it) written some way, placed so that it
    lies before, across or after the cut."""
    start = draw(st.integers(0, max(len(secret) - 8, 0)))
    run_ = secret[start : draw(st.integers(start + 8, len(secret)))]
    how = draw(st.sampled_from([*ENCODINGS, "mixed"]))
    if how == "mixed":
        choices = draw(st.lists(st.sampled_from(list(CHARACTER_ENCODINGS)), min_size=1, max_size=5))
        written = mixed(run_, choices)
    else:
        written = encoded(run_, how)
    offset = draw(st.integers(max(CUT - len(written) - 40, 0), CUT + 10))
    filler = draw(st.sampled_from(["x", " ", "a b", "&amp;", "\\n", "%20", "é"]))
    lead = (filler * offset)[:offset]
    return lead + written + draw(st.sampled_from(["", " tail", "=" * 2, written]))


@given(st.data(), secrets, st.sampled_from(SHAPES), st.integers(0, 999))
def test_a_server_echoing_the_secret_never_gets_a_run_of_it_back(
    data: st.DataObject, secret: str, shape: str, status: int
) -> None:
    body = shaped(shape, data.draw(echoes(secret)))
    inputs = valid_inputs("trigger", secret)
    key, shown = answer_with(status, body, inputs)
    check_texts(shown, [secret])
    if not 200 <= status < 300:
        assert key == "error"


@given(st.data(), passwords, st.sampled_from(SHAPES), st.integers(300, 599))
def test_a_proxy_echoing_its_credentials_never_gets_them_back(
    data: st.DataObject, password: str, shape: str, status: int
) -> None:
    header = basic_credentials(f"alice:{password}")
    echoed = data.draw(st.sampled_from([header, password, f"alice:{password}"]))
    body = shaped(shape, data.draw(echoes(echoed)) if len(echoed) >= 8 else echoed)
    proxy = f"http://alice:{urllib.parse.quote(password, safe='')}@127.0.0.1:3128"
    inputs = {**valid_inputs("trigger", "7ad3773142a6692b25b8"), "proxy": proxy}
    key, shown = answer_with(status, body, inputs)
    assert key == "error"
    check_texts(shown, [s for s in (password, header) if len(s) >= 8])


@given(st.integers(0, 999), st.binary(max_size=2000))
def test_any_status_and_bytes_get_one_valid_answer(status: int, body: bytes) -> None:
    def handler(connection: Connection, request: HttpRequest) -> tuple[int, bytes]:
        return status, body

    runner = TaskRunner(MockTransport(handler), definition=DEFINITION)
    with log_lines() as lines:
        output = run(runner.execute("trigger", json.dumps(valid_inputs("trigger", "s" * 20))))
    check_output("trigger", output, ["s" * 20], lines)
    if not 200 <= status < 300:
        assert output.key == "error"
        assert output.data["error"].startswith(f"Pusher answered {status}")


NETWORK_TASKS = sorted(set(DEFINITION.tasks) - LOCAL_TASKS)
#: Tasks whose success data carries what the answer says, wherever the echo is placed here.
QUOTING_TASKS = {"channels", "channel", "users"}


def success_shaped(task: str, text: str) -> bytes:
    """A 2xx body of the shape the task's endpoint answers, with `text` where a hostile server
    could put anything (a channel name, a user id, a cached event's data)."""
    if task == "channels":
        body: object = {"channels": {text: {"user_count": 1}}}
    elif task == "channel":
        body = {"occupied": True, "cache": {"event": "e", "data": text}}
    elif task == "users":
        body = {"users": [{"id": "1"}, {"id": text}]}
    elif task in ("trigger", "triggerBatch"):
        body = {"channels": {"c": {}, text: {}}, "batch": [{"user_count": text}]}
    else:
        body = {"message": text}
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")


@given(st.data(), secrets, master_keys, st.sampled_from(NETWORK_TASKS), st.booleans())
def test_a_success_answer_echoing_a_secret_is_never_passed_on(
    data: st.DataObject, secret: str, master_key: str, task: str, echo_key: bool
) -> None:
    # The master key from the environment: a secret of every execution, whatever its task.
    environ = {"PUSHER_ENCRYPTION_MASTER_KEY_BASE64": master_key}
    echoed = master_key if echo_key else secret
    inputs = valid_inputs(task, secret)
    if task in ("trigger", "triggerBatch"):
        inputs["info"] = "subscription_count"
    echo = data.draw(echoes(echoed))
    key, shown = answer_with(200, success_shaped(task, echo), inputs, task, environ)
    check_texts(shown, [s for s in (secret, master_key) for s in secret_forms_of_all(s)])
    if task in QUOTING_TASKS and exposure(echo, echoed) is not None:
        assert key == "error"
