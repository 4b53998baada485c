"""serve under the stand-in of every engine generation, one release per wire variant (G1 v0.2,
G2 v0.10, G3 v0.11, v0.12, v0.14, v0.16, G4 v0.17 and v0.20, G5 v0.26, blocks of 50 ms): serve
reads the environment the release gives a service (``auto``), and an application of that
release sees the mixed round; refusals in the release's words, exactly one result through
duplicates, an outage and an engine restart (G5: a new registration), a stop with executions in
flight, webhooks as the release's events, and never a null."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from typing import Any

import aiohttp
import pytest

from mesg_pusher.engine import ResultHeard
from mesg_pusher.mesg import release, words
from mesg_pusher.pusher import App
from mesg_pusher.runtime import ServeConfig, Service
from mesg_pusher.tasks import TaskOutput
from tests.runtime.conftest import WAIT, GatedPusher, serving, trigger_inputs, until
from tests.runtime.generations import (
    RELEASES,
    answer_elsewhere,
    assert_answered_once,
    client_of,
    error_data,
    gone_texts,
    opened,
    outcome,
    outputs_invalid,
    stand_in,
)

pytestmark = pytest.mark.slow

APP = App(app_id="7", key="webhook-key", secret="Zq9xW7vB2mN4pL6tR8yK")


def said(heard: ResultHeard) -> tuple[str, Any]:
    """What an application heard, as the first generation's output key and data."""
    if heard.output_key:
        return heard.output_key, heard.outputs
    if heard.error is not None:
        return "error", error_data(heard.error)
    return "success", heard.outputs


def spoken(caplog: pytest.LogCaptureFixture) -> str:
    """The protocol serve names: its start line's, or the one it found by asking."""
    named = ""
    for record in caplog.records:
        fields = getattr(record, "fields", {})
        if record.getMessage() == "found the engine's protocol":
            return str(fields["engine"])
        if "serving" in record.getMessage() and "engine" in fields:
            named = str(fields["engine"])
    return named


@RELEASES
async def test_the_mixed_round_as_the_release_s_application_sees_it(
    tag: str, pusher: GatedPusher, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mesg_pusher.runtime")
    async with (
        stand_in(tag) as server,
        serving(server) as running,
        client_of(server) as client,
    ):
        engine = server.engine
        results = await opened(client.results(server.token), lambda: engine.result_listeners() > 0)
        token = server.token
        single = await client.execute(
            token, "trigger", trigger_inputs(pusher, data={"text": "<b>héllo</b>", "none": None})
        )
        batch = await client.execute(
            token,
            "triggerBatch",
            {
                **pusher.inputs(),
                "batch": [
                    {"channel": "a", "name": "e1", "data": "raw"},
                    {"channel": "b", "name": "e2", "data": {"n": 2}},
                ],
            },
        )
        wrong_secret = await client.execute(
            token, "trigger", trigger_inputs(pusher, secret="not-the-secret-at-all")
        )
        bad_channel = await client.execute(
            token, "trigger", trigger_inputs(pusher, channel="no spaces allowed")
        )
        ids = [single, batch, wrong_secret, bad_channel]
        async with asyncio.timeout(WAIT):
            answers = {i: said(await results.result_of(i)) for i in ids}
        assert await running.finish() == 0
        stats = running.service.stats
        assert stats.settled == stats.received == 4

    assert answers[single] == ("success", {"message": "sent"})
    assert answers[batch] == ("success", {"message": "sent"})
    assert answers[wrong_secret][0] == "error"
    refused = answers[wrong_secret][1]
    assert (refused["kind"], refused["retry"], refused["status"]) == ("auth", "useless", 401)
    error = refused["error"]
    assert error.startswith("Pusher answered 401 Unauthorized: Invalid signature")
    assert "not-the-secret-at-all" not in error
    assert answers[bad_channel][0] == "error"
    assert "channel" in answers[bad_channel][1]["error"]
    assert sorted(r.execution_id for r in results.heard) == sorted(ids)  # once each
    assert engine.refused() == []
    sent = {r.path: r.json for r in pusher.accepted}
    assert json.loads(sent["/apps/3/events"]["data"]) == {"text": "<b>héllo</b>", "none": None}
    generation = release(tag).generation
    assert spoken(caplog).startswith(f"G{generation} (")


@RELEASES
async def test_the_release_named_is_spoken_without_asking(
    tag: str, pusher: GatedPusher, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mesg_pusher.runtime")
    async with stand_in(tag) as server, serving(server, engine=tag) as running:
        engine = server.engine
        execution = await engine.execute(engine.token, "trigger", trigger_inputs(pusher))
        await until(lambda: execution in engine.results)
        assert await running.finish() == 0

    assert outcome(engine, execution) == ("success", {"message": "sent"})
    assert not [r for r in caplog.records if r.getMessage() == "found the engine's protocol"]


@RELEASES
async def test_exactly_once_through_a_duplicate_an_outage_and_an_engine_restart(
    tag: str, pusher: GatedPusher, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mesg_pusher.runtime")
    settings: dict[str, Any] = {"reconnect_max_delay": 0.5, "submit_timeout": 0.2}
    async with stand_in(tag) as server, serving(server, **settings) as running:
        engine = server.engine
        token = engine.token
        pusher.gate.clear()
        before = [await engine.execute(token, "trigger", trigger_inputs(pusher)) for _ in range(8)]
        await until(lambda: pusher.waiting == 8)
        await engine.redeliver(before[0])  # a duplicate, while it runs
        await until(lambda: running.service.stats.duplicates == 1)
        # The engine goes away with 8 executions under way (G5: it restarts, forgetting the
        # registration's token), and they finish while it is away.
        await server.drop()
        engine.chain.forget_tokens()
        pusher.gate.set()
        await until(lambda: len(pusher.accepted) == 8)
        await asyncio.sleep(0.3)  # attempts to reconnect and to submit fail meanwhile
        await server.start()
        await until(lambda: all(i in engine.results for i in before))
        await until(lambda: engine.task_listeners() == 1)
        after = [await engine.execute(token, "trigger", trigger_inputs(pusher)) for _ in range(4)]
        await until(lambda: all(i in engine.results for i in after))
        assert await running.finish() == 0

    assert {outcome(engine, i)[0] for i in before + after} == {"success"}
    assert_answered_once(engine, before + after)
    assert len(pusher.accepted) == 12  # the duplicate was not run
    log = "\n".join(r.getMessage() for r in caplog.records)
    if release(tag).generation == 5:
        assert log.count("registered with the engine as its runner") >= 2
        assert "no longer knows the service's registration" in log


#: Answered elsewhere (the release's "not in progress": dropped), outputs refused in the
#: release's words (answered once with the error instead), a failure retried, and given up on.
REFUSALS = ["gone", "refused", "retried", "unsent"]


@RELEASES
@pytest.mark.parametrize("case", REFUSALS)
async def test_refusals_in_the_release_s_words(
    tag: str, case: str, pusher: GatedPusher, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mesg_pusher.runtime")
    chosen = release(tag)
    async with (
        stand_in(tag) as server,
        serving(server, reconnect_max_delay=0.2, grace_period=2.0) as running,
    ):
        engine = server.engine
        pusher.gate.clear()
        execution = await engine.execute(engine.token, "trigger", trigger_inputs(pusher))
        await until(lambda: pusher.waiting == 1)
        if case == "gone":
            answer_elsewhere(engine, execution)
        elif case == "refused":
            engine.refuse_next(outputs_invalid(chosen))
        else:
            engine.refuse_next(*["database is locked"] * (2 if case == "retried" else 5))
        pusher.gate.set()
        await until(lambda: running.service.stats.settled == 1)
        assert await running.finish() == (1 if case == "unsent" else 0)

    [line] = [r for r in caplog.records if r.getMessage() == "execution"]
    fields: dict[str, Any] = getattr(line, "fields", {})
    if case == "gone":
        assert fields["outcome"] == "dropped"
        [refused] = engine.refused()
        assert refused.error in gone_texts(engine, execution)
        assert outcome(engine, execution) == (
            "error",
            {"error": "answered elsewhere", "kind": "defect", "retry": "useless"},
        )
    elif case == "refused":
        assert fields["outcome"] == "error"
        assert outcome(engine, execution) == (
            "error",
            {
                "error": f"the engine refused the success output: {outputs_invalid(chosen)}",
                "kind": "defect",
                "retry": "useless",
            },
        )
    elif case == "retried":
        assert fields["outcome"] == "success"
        assert len(engine.refused()) == 2
        assert outcome(engine, execution) == ("success", {"message": "sent"})
    else:
        assert fields["outcome"] == "unsent"
        assert len(engine.refused()) == 5
        assert execution not in engine.results


@RELEASES
async def test_a_stop_answers_the_executions_in_flight(tag: str, pusher: GatedPusher) -> None:
    pusher.delay = 0.3  # a slow Pusher
    async with stand_in(tag) as server, serving(server) as running:
        engine = server.engine
        ids = [
            await engine.execute(engine.token, "trigger", trigger_inputs(pusher)) for _ in range(5)
        ]
        await until(lambda: pusher.arrived == 5)
        assert await running.finish() == 0  # as SIGTERM does

    assert all(outcome(engine, i) == ("success", {"message": "sent"}) for i in ids)
    assert_answered_once(engine, ids)


def _signed(body: bytes) -> dict[str, str]:
    signature = hmac.new(APP.secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Pusher-Key": APP.key,
        "X-Pusher-Signature": signature,
    }


@RELEASES
async def test_webhooks_become_the_release_s_events(tag: str) -> None:
    async with (
        stand_in(tag) as server,
        serving(server, apps=[APP]) as running,
        client_of(server) as client,
        aiohttp.ClientSession() as http,
    ):
        engine = server.engine
        before = engine.listening()
        events = await opened(client.events(server.token), lambda: engine.listening() > before)
        stamp = int(time.time() * 1000)
        body = json.dumps(
            {
                "time_ms": stamp,
                "events": [
                    {"name": "channel_occupied", "channel": "presence-room"},
                    {"name": "member_added", "channel": "presence-room", "user_id": "ada"},
                ],
            }
        ).encode()
        listener = running.service.listener
        assert listener is not None
        async with http.post(listener.url + "/webhooks", data=body, headers=_signed(body)) as sent:
            assert sent.status == 200, await sent.text()
        async with asyncio.timeout(WAIT):
            await events.next_heard(1)
        assert await running.finish() == 0

    assert [e.event_key for e in engine.emitted()] == ["channel_occupied", "member_added"]
    heard = [(e.key, dict(e.data)) for e in events.heard]
    # Every event names the app that signed it (G3 and G4 carry numbers as doubles: equal).
    occupied = {"channel": "presence-room", "time_ms": stamp, "app_key": APP.key}
    assert heard == [
        ("channel_occupied", occupied),
        ("member_added", {**occupied, "user_id": "ada"}),
    ]


@RELEASES
async def test_no_null_reaches_the_engine(
    tag: str, pusher: GatedPusher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # v0.14.1 to v0.16 count a null as a value of the wrong type and fail the execution.
    async with stand_in(tag) as server, serving(server) as running:
        engine = server.engine

        async def answered(task_key: str, input_data: Any) -> TaskOutput:
            return TaskOutput("success", {"occupied": True, "user_count": None})

        monkeypatch.setattr(running.service._runner, "execute", answered)
        inputs = {**pusher.inputs(), "channel": "presence-room", "info": "user_count"}
        execution = await engine.execute(engine.token, "channel", inputs)
        await until(lambda: execution in engine.results)
        assert await running.finish() == 0

    assert outcome(engine, execution) == ("success", {"occupied": True})
    assert engine.refused() == []


def test_the_texts_a_release_words_an_output_refusal_with_are_its_own() -> None:
    assert outputs_invalid(release("v0.2")).startswith("Outputs 'success'")
    assert outputs_invalid(release("v0.16")).startswith('service "mesg-pusher" - outputs')
    assert words.OUTPUTS_INVALID_V10.match(outputs_invalid(release("v0.11"))) is not None


async def test_a_server_that_speaks_no_engine_protocol_ends_serve(
    pusher: GatedPusher, caplog: pytest.LogCaptureFixture
) -> None:
    # A G5 stand-in answers none of the paths a token and MESG_ENDPOINT_TCP allow.
    caplog.set_level(logging.INFO, logger="mesg_pusher.runtime")
    async with stand_in("v0.26") as server:
        engine_token = server.engine.token
        config = ServeConfig(endpoint=server.address, token=engine_token, webhook_listen="off")
        status = await Service(config, apps=[]).run(asyncio.Event())

    assert status == 1
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("cannot serve")]
    assert "the server speaks no MESG engine protocol serve could use here" in line
    assert "G3 (v0.15-v0.16): UNIMPLEMENTED" in line
    assert "G1 (v0.1-v0.9): UNIMPLEMENTED" in line
