"""Every task form the bench measures is valid, and answered ``success`` by the task runner
when Pusher answers as the nginx sink does: a case that measured error outputs would measure
nothing."""

from __future__ import annotations

import json

import pytest

from bench import _drivers, _nginx
from mesg_pusher.engine import messages
from mesg_pusher.pusher import Connection, HttpRequest, MockTransport
from mesg_pusher.tasks import SUCCESS, TaskRunner

APP = ("1", "bench-key", "bench-secret")


def _as_the_sink(connection: Connection, request: HttpRequest) -> tuple[int, bytes]:
    return 200, _nginx.answer_for(request.path).encode("utf-8")


@pytest.mark.parametrize("case", sorted(_drivers.CASES))
async def test_each_case_is_answered_success(case: str) -> None:
    text = _drivers.inputs("127.0.0.1", 8080, APP, case)
    form = _drivers.CASES[case]
    transport = MockTransport(_as_the_sink)
    runner = TaskRunner(transport)
    # As the stand-in hands it over: re-encoded the Go way.
    output = await runner.execute(form.task, messages.go_json(messages.decode_object(text)))
    assert output.key == SUCCESS, output.data
    assert len(transport.sent) == (1 if form.network else 0)


def test_the_sink_answers_each_query_as_pusher_shapes_it() -> None:
    assert json.loads(_nginx.answer_for("/apps/1/channels")) == {
        "channels": {"presence-bench": {"user_count": 1}}
    }
    assert json.loads(_nginx.answer_for("/apps/1/channels/presence-bench"))["occupied"] is True
    assert "users" in json.loads(_nginx.answer_for("/apps/1/channels/presence-bench/users"))
    assert _nginx.answer_for("/apps/1/events") == "{}"
    assert _nginx.answer_for("/apps/1/users/bench-user/terminate_connections") == "{}"
