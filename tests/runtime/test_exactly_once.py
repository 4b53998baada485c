"""Webhooks emitted exactly once, as far as the engine allows: through a proxy that loses or
delays the engine's answers to EmitEvent (the engine emits, the answer never comes), and across
a stop and a restart with the same store (a real redis-server). The exactly-once checker counts
every event: at least once; more than once only where an answer was lost or late, twice at
most; once across a stop and a restart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from mesg_pusher.engine import Engine, EngineServer
from mesg_pusher.mesg.protocol.service_pb2 import EmitEventRequest
from tests.runtime.conftest import Running, serving
from tests.runtime.test_webhooks import APP, body_of, occupied, post
from tests.support.exactly_once import check_emitted
from tests.support.grpc_proxy import LossyProxy
from tests.support.redis_server import RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.integration]

#: How long a sender goes on retrying one body, at most (Pusher: five minutes).
RETRY_FOR = 45.0


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def proxy(engine_server: EngineServer) -> AsyncIterator[LossyProxy]:
    lossy = await LossyProxy(engine_server.address).start()
    yield lossy
    await lossy.stop()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


def emitted(engine: Engine) -> list[str]:
    return [json.loads(e.event_data)["channel"] for e in engine.emitted()]


def unanswered(proxy: LossyProxy) -> dict[str, int]:
    """The sends the engine took whose answer never came back, by channel."""
    counts: dict[str, int] = {}
    for request, count in proxy.unanswered.items():
        channel = json.loads(EmitEventRequest.FromString(request).eventData)["channel"]
        counts[channel] = counts.get(channel, 0) + count
    return counts


async def deliver(http: aiohttp.ClientSession, running: Running, body: bytes) -> list[int]:
    """Send `body` as Pusher does: again after any answer but a 2xx. The statuses answered."""
    statuses: list[int] = []
    async with asyncio.timeout(RETRY_FOR):
        while not statuses or statuses[-1] != 200:
            if statuses:
                await asyncio.sleep(0.1)
            statuses.append((await post(http, running, body)).status)
    return statuses


def bodies(count: int, events: int) -> tuple[list[bytes], list[str]]:
    """`count` bodies of `events` events each, every event on a channel of its own."""
    names = [[f"b{b}-e{e}" for e in range(events)] for b in range(count)]
    sent = [body_of(*(occupied(name) for name in group)) for group in names]
    return sent, [name for group in names for name in group]


async def test_lost_answers_emit_each_event_at_least_once_and_twice_at_most(
    http: aiohttp.ClientSession, engine_server: EngineServer, proxy: LossyProxy
) -> None:
    proxy.lose = lambda n: n % 3 == 0  # every third answer, whichever event it was for
    sent, names = bodies(20, 3)
    async with serving(
        engine_server, apps=[APP], endpoint=proxy.address, reconnect_max_delay=0.2
    ) as running:
        for batch in (sent[:10], sent[10:]):
            await asyncio.gather(*(deliver(http, running, body) for body in batch))
        stats = running.service.stats
    counts = check_emitted(names, emitted(engine_server.engine), unanswered(proxy))
    assert sum(proxy.unanswered.values()) >= 20
    assert 2 in counts.values()  # a lost answer did cost a duplicate
    assert sum(stats.events_emitted.values()) + sum(proxy.unanswered.values()) == sum(
        counts.values()
    )


async def test_an_event_whose_answer_is_lost_twice_is_never_sent_a_third_time(
    http: aiohttp.ClientSession, engine_server: EngineServer, proxy: LossyProxy
) -> None:
    proxy.lose = lambda n: n <= 2
    async with serving(
        engine_server, apps=[APP], endpoint=proxy.address, reconnect_max_delay=0.2
    ) as running:
        body = body_of(occupied("twice"), occupied("then-fine"))
        assert (await post(http, running, body)).status == 200
        assert (await post(http, running, body)).status == 200  # a duplicate: nothing sent
        stats = running.service.stats
    assert proxy.emits == 3
    check_emitted(["twice", "then-fine"], emitted(engine_server.engine), unanswered(proxy))
    assert emitted(engine_server.engine) == ["twice", "twice", "then-fine"]
    assert stats.events_unconfirmed == {"channel_occupied": 1}
    assert stats.webhooks == {("accepted", 200): 1, ("duplicate", 200): 1}


async def test_a_late_answer_is_waited_for_and_the_event_emitted_once(
    http: aiohttp.ClientSession, engine_server: EngineServer, proxy: LossyProxy
) -> None:
    proxy.late = 5.0  # past the answer to the sender, within the emission's own time
    async with serving(engine_server, apps=[APP], endpoint=proxy.address) as running:
        statuses = await deliver(http, running, body_of(occupied("late")))
    assert (statuses[0], statuses[-1]) == (503, 200)
    check_emitted(["late"], emitted(engine_server.engine), unanswered(proxy))
    assert emitted(engine_server.engine) == ["late"]


async def test_a_body_emitted_then_answered_503_at_a_stop_is_not_emitted_again_after_it(
    http: aiohttp.ClientSession,
    engine_server: EngineServer,
    proxy: LossyProxy,
    redis_server: RedisServer,
) -> None:
    proxy.late = 1.5  # three events: the sender's answer (503) comes before the last one
    sent, names = bodies(1, 3)
    async with serving(
        engine_server, apps=[APP], endpoint=proxy.address, store=redis_server.url
    ) as first:
        assert (await post(http, first, sent[0])).status == 503
        assert await first.finish() == 0  # the emission under way ends within the grace period
    assert emitted(engine_server.engine) == names
    proxy.late = 0.0
    async with serving(
        engine_server, apps=[APP], endpoint=proxy.address, store=redis_server.url
    ) as second:
        assert await deliver(http, second, sent[0]) == [200]  # the retry: a duplicate
        assert second.service.stats.webhooks == {("duplicate", 200): 1}
    counts = check_emitted(names, emitted(engine_server.engine), unanswered(proxy))
    assert set(counts.values()) == {1}


async def test_an_emission_cut_by_a_stop_resumes_at_the_next_instance(
    http: aiohttp.ClientSession,
    engine_server: EngineServer,
    proxy: LossyProxy,
    redis_server: RedisServer,
) -> None:
    proxy.late = 30.0  # the first event is emitted; its answer comes after the grace period
    sent, names = bodies(1, 3)
    async with serving(
        engine_server,
        apps=[APP],
        endpoint=proxy.address,
        store=redis_server.url,
        grace_period=2.0,
    ) as first:
        assert (await post(http, first, sent[0])).status == 503
        await first.finish()
    assert emitted(engine_server.engine) == names[:1]
    # The cut send may have emitted the first event: the next instance sends it once more at
    # most. Its answer is lost too: then it is left unconfirmed, never sent a third time.
    proxy.late = 0.0
    cut_at = proxy.emits
    proxy.lose = lambda n: n == cut_at + 1
    async with serving(
        engine_server, apps=[APP], endpoint=proxy.address, store=redis_server.url
    ) as second:
        assert await deliver(http, second, sent[0]) == [200]
        assert second.service.stats.events_unconfirmed == {"channel_occupied": 1}
    assert unanswered(proxy) == {names[0]: 2}
    counts = check_emitted(names, emitted(engine_server.engine), unanswered(proxy))
    assert counts == {names[0]: 2, names[1]: 1, names[2]: 1}
