"""The official Node.js SDK (npm ``pusher`` 5.3.4) against the local server: trigger and
triggerBatch signatures are accepted, a wrong secret is refused with 401, a wrong key with 400."""

from __future__ import annotations

from typing import Any

import pytest

from mesg_pusher.local_server import LocalServer, Subscriber

from .conftest import APP, NodeProcess, node_package

pytestmark = pytest.mark.integration


async def run_sdk(server: LocalServer, calls: list[dict[str, Any]], **creds: str) -> list[Any]:
    node_package("pusher")
    config = {
        "appId": APP.app_id,
        "key": APP.key,
        "secret": APP.secret,
        "host": "127.0.0.1",
        "port": server.port,
        "calls": calls,
        **creds,
    }
    process = await NodeProcess.start("trigger.js", config)
    try:
        results = [await process.expect("result") for _ in calls]
        assert await process.finish() == 0
        return results
    finally:
        await process.stop()


async def test_node_sdk_trigger_and_batch_are_accepted(server: LocalServer) -> None:
    async with await Subscriber.connect(server.ws_url, APP.key) as sub:
        await sub.subscribe("node-news")
        calls: list[dict[str, Any]] = [
            {"trigger": {"channels": ["node-news"], "event": "one", "data": {"from": "node"}}},
            {
                "batch": [
                    {"channel": "node-news", "name": "b1", "data": "text"},
                    {"channel": "node-news", "name": "b2", "data": {"n": 2}},
                ]
            },
            {
                "trigger": {
                    "channels": ["node-news"],
                    "event": "counted",
                    "data": "x",
                    "params": {"info": "subscription_count"},
                }
            },
        ]
        results = await run_sdk(server, calls)
        assert [r["status"] for r in results] == [200, 200, 200]
        assert results[0]["body"] == {}
        assert results[2]["body"] == {"channels": {"node-news": {"subscription_count": 1}}}
        received = [await sub.next_event() for _ in range(4)]
        assert [(e.event, e.data) for e in received] == [
            ("one", '{"from":"node"}'),
            ("b1", "text"),
            ("b2", '{"n":2}'),
            ("counted", "x"),
        ]


async def test_node_sdk_bad_signatures_are_refused(server: LocalServer) -> None:
    calls: list[dict[str, Any]] = [
        {"trigger": {"channels": ["c"], "event": "e", "data": "x"}},
        {"batch": [{"channel": "c", "name": "e", "data": "x"}]},
    ]
    wrong_secret = await run_sdk(server, calls, secret="not-the-secret")
    assert [r["status"] for r in wrong_secret] == [401, 401]
    assert all(r["error"].startswith("Invalid signature: you should have") for r in wrong_secret)
    wrong_key = await run_sdk(server, calls[:1], key="not-the-key")
    assert (wrong_key[0]["status"], wrong_key[0]["error"].strip()) == (400, "Unknown auth_key")
