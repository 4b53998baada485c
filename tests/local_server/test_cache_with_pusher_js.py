"""Cache channels meet pusher-js (Node) on the local server and on soketi, fed and asked by the
service's tasks: a first subscriber gets ``pusher:cache_miss`` right after it joins; after a
``trigger`` a second subscriber gets that event at once, before anything else; the frames both
servers send are compared, and so are their answers to the ``channel`` task with
``info: cache`` (soketi keeps cache channels but ignores ``info``)."""

from __future__ import annotations

from typing import Any

import pytest

from mesg_pusher.local_server import LocalServer
from mesg_pusher.tasks import TaskRunner

from .conftest import APP, NodeProcess, Soketi, node_package
from .test_delivery import wait_for
from .test_tasks_with_pusher_js import ok, task_runner

pytestmark = pytest.mark.integration

CHANNEL = "cache-scores"


async def joined(port: int) -> NodeProcess:
    node_package("pusher-js")
    process = await NodeProcess.start(
        "subscriber.js", {"host": "127.0.0.1", "port": port, "key": APP.key, "channels": [CHANNEL]}
    )
    await process.expect("connected")
    await process.expect("subscribed")
    return process


async def seen(process: NodeProcess, kind: str, event: str) -> dict[str, Any]:
    """The line of type `kind` for `event`, read already or still to come."""

    def match(line: dict[str, Any]) -> bool:
        return line["type"] == kind and line.get("event") == event

    for line in process.lines:
        if match(line):
            return line
    return await wait_for(process, match)


def frames(process: NodeProcess) -> list[dict[str, Any]]:
    """The frames of the cache channel, as pusher-js decoded them, without its type tag."""
    return [
        {key: value for key, value in line.items() if key != "type"}
        for line in process.lines
        if line["type"] == "frame"
    ]


async def scenario(runner: TaskRunner, port: int) -> dict[str, Any]:
    first = await joined(port)
    second: NodeProcess | None = None
    try:
        missed = await first.expect("cache_miss")
        asked_empty = await ok(runner, "channel", {"channel": CHANNEL, "info": "cache"})
        score = {"home": 2, "away": 1}
        sent = await ok(runner, "trigger", {"channel": CHANNEL, "name": "score", "data": score})
        assert sent == {"message": "sent"}
        await seen(first, "event", "score")
        await seen(first, "frame", "score")
        second = await joined(port)
        cached = await seen(second, "event", "score")
        await seen(second, "frame", "score")
        asked_full = await ok(runner, "channel", {"channel": CHANNEL, "info": "cache"})
        return {
            "missed": missed,
            "cached": cached,
            "first": frames(first),
            "second": frames(second),
            "empty": asked_empty,
            "full": asked_full,
        }
    finally:
        await first.stop()
        if second is not None:
            await second.stop()


async def test_pusher_js_on_a_cache_channel_of_the_local_server_and_of_soketi(
    server: LocalServer, soketi: Soketi
) -> None:
    async with task_runner(server.port) as runner:
        local = await scenario(runner, server.port)
    async with task_runner(soketi.port) as runner:
        third = await scenario(runner, soketi.port)

    score = {"home": 2, "away": 1}
    succeeded = {"event": "pusher_internal:subscription_succeeded", "channel": CHANNEL}
    for answers in (local, third):
        # pusher-js hands pusher:cache_miss to the channel's binders with no data at all.
        assert answers["missed"] == {"type": "cache_miss", "channel": CHANNEL}
        assert answers["cached"] == {
            "type": "event",
            "channel": CHANNEL,
            "event": "score",
            "data": score,
        }
        # The cached event is the first frame after subscription_succeeded, and the only one.
        assert answers["second"][1:] == [{"event": "score", "channel": CHANNEL, "data": score}]
        assert answers["first"][1:] == [
            {"event": "pusher:cache_miss", "channel": CHANNEL},
            {"event": "score", "channel": CHANNEL, "data": score},
        ]
    # The frames differ only in subscription_succeeded's data: the local server sends "{}" as
    # Pusher does, soketi none.
    assert [f["data"] for f in (local["first"][0], local["second"][0])] == [{}, {}]
    for frame in (third["first"][0], third["second"][0]):
        assert frame == succeeded
    assert {k: v for k, v in local["first"][0].items() if k != "data"} == succeeded

    # The channel task: Pusher's cache answer from the local server; soketi ignores info.
    assert local["empty"] == {"occupied": True}  # "cache": null is left out of the output
    cache = local["full"].pop("cache")
    assert 1799 <= cache.pop("ttl") <= 1800
    assert (local["full"], cache) == ({"occupied": True}, {"data": '{"home":2,"away":1}'})
    assert third["empty"] == {"occupied": True, "subscription_count": 1}
    assert third["full"] == {"occupied": True, "subscription_count": 2}
