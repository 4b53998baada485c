"""Pusher's webhooks through ``serve``, in one event loop with the engine stand-in: what an
application hears on ListenEvent, the answers a sender gets for every bad webhook (and that
nothing is emitted for them), retries that emit once, an engine that is away, slow or refusing,
a stop with webhooks in flight, and the log line each webhook leaves."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from mesg_pusher.engine import CoreClient, Engine, EngineServer, Events
from mesg_pusher.mesg import load_packaged
from mesg_pusher.pusher import App
from mesg_pusher.runtime._receiver import ANSWER_WITHIN
from mesg_pusher.webhooks import MAX_BODY_BYTES, REPLAY_WINDOW_MS
from tests.runtime.conftest import WAIT, Running, serving, until
from tests.support.secret_oracle import exposure
from tests.webhooks.conftest import largest_genuine_body

pytestmark = pytest.mark.slow

APP = App(app_id="7", key="webhook-key", secret="Zq9xW7vB2mN4pL6tR8yK")
OTHER = App(app_id="8", key="other-key", secret="other-secret-0123456789")


def now_ms() -> int:
    return int(time.time() * 1000)


def body_of(*events: dict[str, Any], time_ms: Any = None) -> bytes:
    stamp = now_ms() if time_ms is None else time_ms
    return json.dumps({"time_ms": stamp, "events": list(events)}).encode()


def sign(secret: str, body: bytes) -> str:
    """The signature, by an oracle apart from the code under test."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def occupied(channel: str = "my-channel") -> dict[str, Any]:
    return {"name": "channel_occupied", "channel": channel}


@dataclasses.dataclass
class Sent:
    status: int
    body: dict[str, Any]


async def post(
    http: aiohttp.ClientSession,
    running: Running,
    body: Any,
    *,
    key: str | None = APP.key,
    signature: str | None = None,
    app: App = APP,
) -> Sent:
    """POST `body` to the service's /webhooks, signed as `app` unless `signature` is given."""
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["X-Pusher-Key"] = key
    if signature is None and isinstance(body, bytes):
        signature = sign(app.secret, body)
    if signature:
        headers["X-Pusher-Signature"] = signature
    listener = running.service.listener
    assert listener is not None
    async with asyncio.timeout(WAIT):
        async with http.post(listener.url + "/webhooks", data=body, headers=headers) as answer:
            return Sent(answer.status, await answer.json(content_type=None))


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def running(engine_server: EngineServer) -> AsyncIterator[Running]:
    async with serving(engine_server, apps=[OTHER, APP], reconnect_max_delay=0.5) as service:
        yield service


@pytest.fixture
async def events(client: CoreClient, engine_server: EngineServer) -> AsyncIterator[Events]:
    async with client.listen_events(engine_server.token) as stream:
        yield stream


async def test_a_webhook_becomes_events_in_order_with_the_right_data(
    http: aiohttp.ClientSession, running: Running, events: Events
) -> None:
    stamp = now_ms()
    members = [
        {"name": "member_added", "channel": "presence-room", "user_id": str(n)} for n in range(18)
    ]
    body = body_of(
        occupied("presence-room"),
        *members,
        {
            "name": "client_event",
            "channel": "presence-room",
            "event": "client-typing",
            "data": '{"on": true}',
            "socket_id": "12.34",
            "user_id": "3",
            "extra": "left out",
        },
        time_ms=stamp,
    )
    sent = await post(http, running, body)
    assert (sent.status, sent.body) == (200, {})
    async with asyncio.timeout(WAIT):
        await events.wait_count(20)
    key = {"app_key": APP.key}
    assert events.data() == [
        ("channel_occupied", {"channel": "presence-room", **key, "time_ms": stamp}),
        *[
            (
                "member_added",
                {"channel": "presence-room", "user_id": str(n), **key, "time_ms": stamp},
            )
            for n in range(18)
        ],
        (
            "client_event",
            {
                "channel": "presence-room",
                "event": "client-typing",
                "data": '{"on": true}',
                "socket_id": "12.34",
                "user_id": "3",
                **key,
                "time_ms": stamp,
            },
        ),
    ]


async def test_a_retried_body_is_answered_200_again_and_emits_once(
    http: aiohttp.ClientSession, running: Running, engine_server: EngineServer
) -> None:
    body = body_of(occupied("a"), occupied("b"))
    answers = [await post(http, running, body) for _ in range(3)]
    assert [(a.status, a.body) for a in answers] == [(200, {})] * 3
    # The same body from another app is another webhook.
    assert (await post(http, running, body, key=OTHER.key, app=OTHER)).status == 200
    emitted = [json.loads(e.event_data)["channel"] for e in engine_server.engine.emitted()]
    assert emitted == ["a", "b", "a", "b"]
    webhooks = running.service.stats.webhooks
    assert webhooks == {("accepted", 200): 2, ("duplicate", 200): 2}


def _bad_webhooks() -> list[tuple[str, dict[str, Any], int, str]]:
    good = body_of(occupied())
    return [
        ("wrong key", {"body": good, "key": "nope"}, 401, "X-Pusher-Key is not the key"),
        ("no key", {"body": good, "key": None}, 401, "X-Pusher-Key is missing"),
        (
            "wrong signature",
            {"body": good, "signature": sign("not-the-secret", good)},
            401,
            "X-Pusher-Signature does not match the body",
        ),
        ("no signature", {"body": good, "signature": ""}, 401, "X-Pusher-Signature is missing"),
        (
            "tampered body",
            {
                "body": good.replace(b"my-channel", b"my-channe1"),
                "signature": sign(APP.secret, good),
            },
            401,
            "X-Pusher-Signature does not match the body",
        ),
        (
            "stale",
            {"body": body_of(occupied(), time_ms=now_ms() - REPLAY_WINDOW_MS - 60_000)},
            401,
            "time_ms is outside the replay window",
        ),
        ("not JSON", {"body": b"time_ms=1&events=[]"}, 400, "the body is not UTF-8 JSON"),
        ("not an object", {"body": b"[1, 2]"}, 400, "the body is not a JSON object"),
        (
            "unknown event",
            {"body": body_of(occupied(), {"name": "channel_exploded", "channel": "c"})},
            400,
            "events[1].name is not a webhook event this service knows",
        ),
        (
            "bad data",
            {"body": body_of({"name": "member_added", "channel": "presence-c"})},
            400,
            "Data of event 'member_added' is invalid. Value of 'user_id' is required",
        ),
        (
            "oversized",
            {"body": body_of(occupied("x" * MAX_BODY_BYTES))},
            413,
            "the webhook body is too large",
        ),
    ]


@pytest.mark.parametrize(
    ("case", "request_", "status", "reason"), _bad_webhooks(), ids=[c[0] for c in _bad_webhooks()]
)
async def test_a_bad_webhook_gets_its_answer_and_emits_nothing(
    http: aiohttp.ClientSession,
    running: Running,
    engine_server: EngineServer,
    case: str,
    request_: dict[str, Any],
    status: int,
    reason: str,
) -> None:
    sent = await post(http, running, **request_)
    assert sent.status == status, sent.body
    assert reason in sent.body["error"]
    assert engine_server.engine.emissions == type(engine_server.engine.emissions)()
    # Serving goes on: the next good webhook is emitted.
    assert (await post(http, running, body_of(occupied("after")))).status == 200
    assert [e.event_key for e in engine_server.engine.emitted()] == ["channel_occupied"]


async def raw_exchange(running: Running, request: bytes, *body_parts: bytes) -> bytes:
    """Send `request` (then each of `body_parts`, 0.25 s apart) on a socket of its own, and
    read the answer until the service closes the connection."""
    listener = running.service.listener
    assert listener is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    try:
        writer.write(request)
        await writer.drain()
        for part in body_parts:
            await asyncio.sleep(0.25)
            writer.write(part)
            await writer.drain()
        async with asyncio.timeout(WAIT):
            return await reader.read()
    finally:
        writer.close()


def webhook_head(length: int, *lines: str) -> bytes:
    fields = [f"Content-Length: {length}", f"X-Pusher-Key: {APP.key}", *lines]
    return ("POST /webhooks HTTP/1.1\r\nHost: x\r\n" + "\r\n".join(fields) + "\r\n\r\n").encode()


async def test_an_oversized_body_is_refused_before_it_is_read(
    running: Running, engine_server: EngineServer
) -> None:
    started = time.monotonic()
    # The head announces a body one byte too large, and no byte of it is ever sent.
    answer = await raw_exchange(running, webhook_head(MAX_BODY_BYTES + 1))
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert answer.endswith(
        b'{"error":"the webhook body is too large: at most %d bytes"}' % MAX_BODY_BYTES
    )
    assert time.monotonic() - started < ANSWER_WITHIN  # not waiting for the body
    assert engine_server.engine.emissions == type(engine_server.engine.emissions)()


async def test_a_chunked_body_is_refused_with_411(
    http: aiohttp.ClientSession, running: Running, engine_server: EngineServer
) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked
        yield body_of(occupied())

    sent = await post(http, running, chunks(), signature="00")
    assert (sent.status, sent.body) == (
        411,
        {"error": "a body is taken with Content-Length only"},
    )
    assert engine_server.engine.emissions == type(engine_server.engine.emissions)()


async def test_a_body_that_does_not_arrive_in_time_is_answered_408_within_the_window(
    running: Running, engine_server: EngineServer
) -> None:
    started = time.monotonic()
    answer = await raw_exchange(running, webhook_head(100) + b'{"time_ms":')
    took = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 ")  # Pusher retries it, as it never retries a 400
    assert answer.endswith(
        b'{"error":"the body did not arrive in time; send it again: not within 3.5 s of the '
        b'request"}'
    )
    assert took >= ANSWER_WITHIN - 0.5  # it waited for the body meanwhile
    assert running.service.stats.webhooks == {("body_timeout", 408): 1}
    assert engine_server.engine.emissions == type(engine_server.engine.emissions)()


async def test_a_body_that_drips_in_slower_than_the_window_is_answered_408(
    running: Running,
) -> None:
    body = body_of(occupied("dripping"))
    head = webhook_head(len(body), f"X-Pusher-Signature: {sign(APP.secret, body)}")
    parts = [body[i : i + 2] for i in range(0, 40, 2)]  # 2 bytes each 0.25 s: 5 s for 40
    answer = await raw_exchange(running, head, *parts)
    assert answer.startswith(b"HTTP/1.1 408 ")


async def test_a_huge_integer_time_ms_is_stale_and_counted(
    http: aiohttp.ClientSession, running: Running, engine_server: EngineServer
) -> None:
    body = b'{"time_ms": 1%s, "events": []}' % (b"0" * 400)
    sent = await post(http, running, body)
    assert (sent.status, sent.body) == (
        401,
        {"error": "time_ms is outside the replay window: time_ms is beyond any clock"},
    )
    assert running.service.stats.webhooks == {("stale", 401): 1}


async def test_the_largest_genuine_body_is_accepted(
    http: aiohttp.ClientSession, running: Running, engine_server: EngineServer
) -> None:
    body = largest_genuine_body(now_ms())
    assert len(body) > 1_300_000  # above the 1 MiB limit that refused it before
    sent = await post(http, running, body)
    assert (sent.status, sent.body) == (200, {})
    emitted = engine_server.engine.emitted()
    assert [e.event_key for e in emitted] == ["client_event"] * 20
    assert len(json.loads(emitted[0].event_data)["data"]) == 10240


async def test_the_answer_window_counts_from_the_arrival_of_the_request(
    running: Running, engine_server: EngineServer
) -> None:
    engine_server.engine.freeze()
    body = body_of(occupied("late-body"))
    started = time.monotonic()
    # A body that took the whole window to arrive leaves no time to wait for the engine.
    given = await running.service.receiver.receive(
        APP.key, sign(APP.secret, body), body, arrived=started - ANSWER_WITHIN
    )
    assert (given.status, given.outcome.value) == (503, "not_accepted_in_time")
    assert time.monotonic() - started < ANSWER_WITHIN / 2
    engine_server.engine.thaw()


async def test_without_an_app_every_webhook_is_answered_503(
    http: aiohttp.ClientSession, engine_server: EngineServer
) -> None:
    async with serving(engine_server) as running:
        sent = await post(http, running, body_of(occupied()))
        assert (sent.status, sent.body) == (
            503,
            {"error": "no Pusher app is configured to verify webhooks"},
        )
    assert engine_server.engine.emissions == type(engine_server.engine.emissions)()


async def test_an_engine_outage_answers_503_and_the_retry_after_it_emits_once(
    http: aiohttp.ClientSession, running: Running, engine_server: EngineServer
) -> None:
    engine = engine_server.engine
    await engine_server.drop()
    await until(lambda: not running.service.listening.is_set())
    body = body_of(occupied("during-the-outage"), occupied("second"))
    started = time.monotonic()
    sent = await post(http, running, body)
    answered_after = time.monotonic() - started
    assert (sent.status, sent.body) == (
        503,
        {"error": "the MESG engine is unreachable; retry later"},
    )
    assert answered_after >= ANSWER_WITHIN - 0.5  # it waited for the engine meanwhile
    await engine_server.start()
    # The sender retries, as Pusher does, until it gets a 2xx.
    statuses: list[int] = []
    async with asyncio.timeout(WAIT):
        while not statuses or statuses[-1] != 200:
            statuses.append((await post(http, running, body)).status)
            await asyncio.sleep(0.05)
    assert set(statuses[:-1]) <= {503}
    channels = [json.loads(e.event_data)["channel"] for e in engine.emitted()]
    assert channels == ["during-the-outage", "second"]


async def test_an_engine_slower_than_the_answer_gets_503_and_the_retry_emits_once(
    http: aiohttp.ClientSession, running: Running, engine_server: EngineServer
) -> None:
    engine = engine_server.engine
    engine.freeze()
    body = body_of(occupied("slow"))
    sent = await post(http, running, body)
    assert (sent.status, sent.body) == (
        503,
        {"error": "the MESG engine did not accept the events in time"},
    )
    # A retry while the first is still being emitted waits its turn.
    assert (await post(http, running, body)).body == {
        "error": "the same webhook is being handled; retry later"
    }
    engine.thaw()
    async with asyncio.timeout(WAIT):
        while (await post(http, running, body)).status != 200:  # noqa: ASYNC110 - a sender's retries
            await asyncio.sleep(0.05)
    assert [json.loads(e.event_data)["channel"] for e in engine.emitted()] == ["slow"]


async def test_an_event_the_engine_refuses_is_counted_and_logged_and_the_rest_go_on(
    http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    # A deployment whose engine holds an older definition: it knows no cache_miss event.
    packaged = load_packaged()
    older = {key: event for key, event in packaged.events.items() if key != "cache_miss"}
    engine = Engine(dataclasses.replace(packaged, events=older))
    caplog.set_level(logging.INFO, logger="mesg_pusher.runtime")
    async with EngineServer(engine) as server, serving(server, apps=[APP]) as running:
        body = body_of(
            occupied("presence-a"),
            {"name": "cache_miss", "channel": "cache-a"},
            {"name": "member_added", "channel": "presence-a", "user_id": "1"},
        )
        for _ in range(2):  # the retry is a duplicate: nothing is emitted or refused again
            sent = await post(http, running, body)
            assert (sent.status, sent.body) == (200, {})
        stats = running.service.stats
    assert [e.event_key for e in engine.emitted()] == ["channel_occupied", "member_added"]
    assert [e.event_key for e in engine.emissions if e.error] == ["cache_miss"]
    assert (stats.events_emitted, stats.events_refused) == (
        {"channel_occupied": 1, "member_added": 1},
        {"cache_miss": 1},
    )
    assert stats.webhooks == {("accepted", 200): 1, ("duplicate", 200): 1}
    lines = [r for r in caplog.records if r.getMessage() == "webhook"]
    first = lines[0].fields  # type: ignore[attr-defined]
    assert lines[0].levelno == logging.WARNING
    assert (first["emitted"], first["refused"]) == (2, 1)
    assert first["detail"] == "cache_miss refused: Event 'cache_miss' not found in service " + (
        f"'{packaged.name}'"
    )


class ForgetfulEngine(Engine):
    """An engine that has forgotten the service for its next `forgotten` events."""

    forgotten = 0

    def emit_event(self, token: str, event_key: str, event_data: str) -> None:
        if self.forgotten:
            self.forgotten -= 1
            token = "a-token-it-does-not-know"
        super().emit_event(token, event_key, event_data)


async def test_a_service_the_engine_does_not_know_stops_the_emission_with_503(
    http: aiohttp.ClientSession,
) -> None:
    engine = ForgetfulEngine()
    async with EngineServer(engine) as server, serving(server, apps=[APP]) as running:
        engine.forgotten = 1
        body = body_of(occupied("a"), occupied("b"))
        sent = await post(http, running, body)
        assert sent.status == 503
        assert sent.body["error"].startswith("the MESG engine refused the event: ")
        assert (await post(http, running, body)).status == 200  # the retry emits both
    assert [json.loads(e.event_data)["channel"] for e in engine.emitted()] == ["a", "b"]


async def test_a_stop_finishes_the_webhooks_in_flight_and_answers_new_ones_503(
    http: aiohttp.ClientSession, engine_server: EngineServer, events: Events
) -> None:
    engine = engine_server.engine
    async with serving(engine_server, apps=[APP], grace_period=6.0) as running:
        engine.freeze()
        in_flight = asyncio.create_task(post(http, running, body_of(occupied("in-flight"))))
        await until(lambda: running.service.receiver.in_hand == 1)
        running.stop.set()
        await until(lambda: running.service.receiver.stopping)
        late = await post(http, running, body_of(occupied("late")))
        assert (late.status, late.body) == (503, {"error": "the service is stopping; retry later"})
        engine.thaw()
        async with asyncio.timeout(WAIT):
            first = await in_flight
        assert (first.status, first.body) == (200, {})
        assert await running.finish() == 0
    async with asyncio.timeout(WAIT):
        await events.wait_count(1)
    assert [data["channel"] for _, data in events.data()] == ["in-flight"]


async def test_a_stop_ends_within_the_grace_period_even_with_the_engine_frozen(
    http: aiohttp.ClientSession, engine_server: EngineServer
) -> None:
    engine = engine_server.engine
    grace = 2.0
    async with serving(engine_server, apps=[APP], grace_period=grace) as running:
        engine.freeze()
        in_flight = asyncio.create_task(post(http, running, body_of(occupied("stuck"))))
        await until(lambda: running.service.receiver.in_hand == 1)
        started = time.monotonic()
        status = await running.finish()
        took = time.monotonic() - started
        answered = await in_flight
    engine.thaw()
    assert status == 0
    assert answered.status == 503
    assert took < grace + 5.0  # bounded by the grace period (with room for a loaded machine)
    assert running.service.receiver.in_hand == 0


async def test_a_defect_while_emitting_is_answered_500_and_serving_goes_on(
    http: aiohttp.ClientSession,
    running: Running,
    engine_server: EngineServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from mesg_pusher.runtime import _emitter  # noqa: PLC0415

    async def broken(*args: object) -> None:
        raise RuntimeError("a defect")

    with monkeypatch.context() as patch:
        patch.setattr(_emitter.Emitter, "emit", broken)
        sent = await post(http, running, body_of(occupied("broken")))
    assert (sent.status, sent.body) == (
        500,
        {"error": "a defect of the service stopped this webhook; retry later"},
    )
    assert "a defect of the service" in caplog.text
    assert (await post(http, running, body_of(occupied("fine")))).status == 200
    assert running.service.listening.is_set()
    assert await running.finish() == 0
    assert [json.loads(e.event_data)["channel"] for e in engine_server.engine.emitted()] == ["fine"]


async def test_one_log_line_per_webhook_and_no_secret_in_any(
    http: aiohttp.ClientSession, running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mesg_pusher")
    body = body_of(occupied("logged"), occupied("twice"))
    await post(http, running, body)
    await post(http, running, body)
    await post(http, running, body, key=APP.secret)  # a sender that mixed up key and secret
    await post(http, running, b"{" + APP.secret.encode() + b"}")
    lines = [r for r in caplog.records if r.getMessage() == "webhook"]
    fields = [r.fields for r in lines]  # type: ignore[attr-defined]
    assert [(f["outcome"], f["status"]) for f in fields] == [
        ("accepted", 200),
        ("duplicate", 200),
        ("unknown_key", 401),
        ("not_a_webhook", 400),
    ]
    assert fields[0]["key"] == APP.key
    assert (fields[0]["events"], fields[0]["emitted"]) == (2, 2)
    assert fields[1]["events"] == 2
    assert all(isinstance(f["duration_ms"], float) for f in fields)
    for record in caplog.records:
        text = record.getMessage() + json.dumps(getattr(record, "fields", {}))
        assert exposure(text, APP.secret) is None, text


async def test_health_follows_the_task_stream_and_the_stop(
    http: aiohttp.ClientSession, running: Running, engine_server: EngineServer
) -> None:
    admin = running.service.admin
    assert admin is not None

    async def health() -> tuple[int, Any]:
        async with http.get(admin.url + "/health") as answer:
            return answer.status, await answer.json()

    assert await health() == (200, {"status": "up"})
    await engine_server.drop()
    await until(lambda: not running.service.listening.is_set())
    assert await health() == (
        503,
        {"status": "down", "reason": "the task stream with the engine is not open"},
    )
    await engine_server.start()
    await until(running.service.listening.is_set)
    assert await health() == (200, {"status": "up"})
    running.service.receiver.stop()
    assert await health() == (503, {"status": "stopping", "reason": "the service is stopping"})


async def test_the_listener_can_be_turned_off(engine_server: EngineServer) -> None:
    async with serving(engine_server, apps=[APP], webhook_listen="off") as running:
        assert running.service.listener is None
        assert running.service.admin is not None  # health and metrics go on
        assert await running.finish() == 0


async def test_the_admin_address_can_be_turned_off(
    http: aiohttp.ClientSession, engine_server: EngineServer
) -> None:
    async with serving(engine_server, apps=[APP], admin_listen="off") as running:
        assert running.service.admin is None
        listener = running.service.listener
        assert listener is not None
        async with http.get(listener.url + "/health") as answer:
            assert answer.status == 404
        assert await running.finish() == 0


async def test_an_address_it_cannot_take_ends_the_run_with_a_config_error(
    engine_server: EngineServer,
) -> None:
    from mesg_pusher.runtime import ConfigError, ServeConfig, Service  # noqa: PLC0415

    async with serving(engine_server, apps=[APP]) as first:
        assert first.service.listener is not None
        taken = f"127.0.0.1:{first.service.listener.port}"
        config = ServeConfig(
            endpoint=engine_server.address, token=engine_server.token, webhook_listen=taken
        )
        with pytest.raises(ConfigError, match=f"webhook-listen: cannot listen on {taken}: "):
            await Service(config, apps=[APP]).run(asyncio.Event())
        assert first.service.admin is not None
        taken = f"127.0.0.1:{first.service.admin.port}"
        config = ServeConfig(
            endpoint=engine_server.address, token=engine_server.token, admin_listen=taken
        )
        with pytest.raises(ConfigError, match=f"admin-listen: cannot listen on {taken}: "):
            await Service(config, apps=[APP]).run(asyncio.Event())
