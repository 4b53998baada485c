"""The new tasks meet pusher-js (Node) on the local server and on soketi: pusher-js joins a
private, a presence and a ``private-encrypted-`` channel with auth bodies the tasks produce
(``authorizeChannel`` behind an HTTP endpoint, as a workflow would answer it), signs in with
``authenticateUser``, receives ``sendToUser`` events, is disconnected by
``terminateUserConnections``, and decrypts an encrypted ``trigger`` (pusher-js opens it: that
proves the cipher). ``channels``, ``channel`` and ``users`` ask both servers about the same
subscriptions, and their answers are compared: the local server's are Pusher's, soketi's differ
only where it ignores ``info``.

The runner takes its credentials from the environment (``PUSHER_URL`` and the master key), as
a deployed service would."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from mesg_pusher.local_server import LocalServer
from mesg_pusher.pusher import HttpPool
from mesg_pusher.tasks import ServiceEnvironment, TaskOutput, TaskRunner

from .conftest import APP, NodeProcess, Soketi, node_package
from .test_delivery import wait_for

pytestmark = pytest.mark.integration

MASTER_KEY = base64.b64encode(bytes(range(64, 96))).decode()
PRIVATE, PRESENCE, ENCRYPTED = "private-room", "presence-room", "private-encrypted-room"
CHANNELS = [PRIVATE, PRESENCE, ENCRYPTED, "news"]


@asynccontextmanager
async def task_runner(port: int) -> AsyncIterator[TaskRunner]:
    environ = {
        "PUSHER_URL": f"http://{APP.key}:{APP.secret}@127.0.0.1:{port}/apps/{APP.app_id}",
        "PUSHER_ENCRYPTION_MASTER_KEY_BASE64": MASTER_KEY,
    }
    http = HttpPool()
    try:
        yield TaskRunner(http, environment=ServiceEnvironment.read(environ))
    finally:
        await http.close()


@asynccontextmanager
async def auth_by_tasks(runner: TaskRunner) -> AsyncIterator[str]:
    """``<url>/channel/<user>`` and ``<url>/user/<user>``: an app's auth endpoints that answer
    pusher-js with the output of ``authorizeChannel`` and ``authenticateUser`` as it is."""

    async def answer(task: str, inputs: dict[str, Any]) -> web.Response:
        output = await runner.execute(task, inputs)
        return web.json_response(output.data, status=200 if output.key == "success" else 403)

    async def channel(request: web.Request) -> web.Response:
        form = await request.post()
        user = request.match_info["user"]
        inputs: dict[str, Any] = {
            "socket_id": str(form["socket_id"]),
            "channel": str(form["channel_name"]),
        }
        if inputs["channel"].startswith("presence-"):
            inputs["channel_data"] = {"user_id": user, "user_info": {"name": user.title()}}
        return await answer("authorizeChannel", inputs)

    async def user(request: web.Request) -> web.Response:
        form = await request.post()
        user_data = {"id": request.match_info["user"], "user_info": {"team": "blue"}}
        return await answer(
            "authenticateUser", {"socket_id": str(form["socket_id"]), "user_data": user_data}
        )

    app = web.Application()
    app.router.add_post("/channel/{user}", channel)
    app.router.add_post("/user/{user}", user)
    site_runner = web.AppRunner(app, access_log=None)
    await site_runner.setup()
    site = web.TCPSite(site_runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site_runner.addresses[0][1]}"
    finally:
        await site_runner.cleanup()


async def subscriber(port: int, endpoint: str, user: str) -> NodeProcess:
    node_package("pusher-js")
    process = await NodeProcess.start(
        "subscriber.js",
        {
            "host": "127.0.0.1",
            "port": port,
            "key": APP.key,
            "authEndpoint": f"{endpoint}/channel/{user}",
            "userAuthEndpoint": f"{endpoint}/user/{user}",
            "channels": CHANNELS,
        },
    )
    await process.expect("connected")
    subscribed: dict[str, dict[str, Any]] = {}
    while set(subscribed) != set(CHANNELS):
        line = await wait_for(
            process, lambda line: line["type"] in {"subscribed", "subscription_error"}
        )
        if line["type"] == "subscription_error":
            pytest.fail(f"{user} could not join {line['channel']}: {line}")
        subscribed[line["channel"]] = line
    assert subscribed[PRESENCE]["members"]["me"] == user
    return process


async def ok(runner: TaskRunner, task: str, inputs: dict[str, Any]) -> dict[str, Any]:
    output = await runner.execute(task, inputs)
    assert output.key == "success", (task, output)
    return dict(output.data)


async def scenario(port: int) -> dict[str, Any]:
    """Everything above against the server on `port`; what the query tasks answered."""
    async with task_runner(port) as runner, auth_by_tasks(runner) as endpoint:
        ada = await subscriber(port, endpoint, "ada")
        bob = await subscriber(port, endpoint, "bob")
        try:
            # An encrypted trigger: pusher-js opens it with the shared secret it was given.
            data = {"order": 1042, "note": "é, sealed"}
            sent = await ok(
                runner, "trigger", {"channel": ENCRYPTED, "name": "order-paid", "data": data}
            )
            assert sent == {"message": "sent"}
            for process in (ada, bob):
                line = await wait_for(process, lambda line: line.get("event") == "order-paid")
                assert (line["channel"], line["data"]) == (ENCRYPTED, data)

            answers = {
                "channels": await ok(runner, "channels", {}),
                "presence": await ok(
                    runner, "channels", {"filter_by_prefix": "presence-", "info": "user_count"}
                ),
                "channel": await ok(runner, "channel", {"channel": PRESENCE, "info": "user_count"}),
                "private": await ok(runner, "channel", {"channel": PRIVATE}),
                "vacant": await ok(runner, "channel", {"channel": "private-nobody"}),
                "users": await ok(runner, "users", {"channel": PRESENCE}),
            }

            # Sign in with authenticateUser, receive sendToUser, then be disconnected.
            await ada.send({"cmd": "signin"})
            joined = await wait_for(ada, lambda line: line["type"] == "user_subscribed")
            assert joined["channel"] == "#server-to-user-ada"
            sent = await ok(
                runner, "sendToUser", {"userId": "ada", "name": "greeting", "data": {"hi": 1}}
            )
            assert sent == {"message": "sent"}
            assert (await ada.expect("user_event"))["data"] == {"hi": 1}
            done = await ok(runner, "terminateUserConnections", {"userId": "ada"})
            assert done == {"message": "terminated"}
            await wait_for(ada, lambda line: line.get("current") == "disconnected")
            # bob was not signed in as ada: still connected, still receiving.
            await ok(runner, "trigger", {"channel": "news", "name": "still-here", "data": {}})
            await wait_for(bob, lambda line: line.get("event") == "still-here")
            assert not [line for line in bob.lines if line.get("current") == "disconnected"]
        finally:
            await ada.stop()
            await bob.stop()
    return answers


async def test_pusher_js_meets_the_tasks_on_the_local_server_and_on_soketi(
    server: LocalServer, soketi_with_signin: Soketi
) -> None:
    local = await scenario(server.port)
    third = await scenario(soketi_with_signin.port)
    expected = {
        "channels": {"channels": {name: {} for name in CHANNELS}},
        "presence": {"channels": {PRESENCE: {"user_count": 2}}},
        "channel": {"occupied": True, "user_count": 2},
        "private": {"occupied": True},
        "vacant": {"occupied": False},
        "users": {"users": [{"id": "ada"}, {"id": "bob"}]},
    }
    # The same subscriptions; users in any order.
    for answers in (local, third):
        answers["users"]["users"].sort(key=lambda user: user["id"])
    assert local == expected
    # soketi ignores info on these endpoints (docs/local-server.md): it lists every channel
    # with subscription_count and occupied, never user_count, and adds subscription_count to
    # one channel's answer. Past that, the two servers agree.
    both = {"subscription_count": 2, "occupied": True}
    assert third == {
        **expected,
        "channels": {"channels": {name: both for name in CHANNELS}},
        "presence": {"channels": {PRESENCE: both}},
        "channel": {"occupied": True, "user_count": 2, "subscription_count": 2},
        "private": {"occupied": True, "subscription_count": 2},
        "vacant": {"occupied": False, "subscription_count": 0},
    }


async def test_an_authorization_a_task_refuses_is_refused_by_pusher_js_too(
    server: LocalServer,
) -> None:
    # authorizeChannel refuses a public channel; the endpoint answers 403 with the error output.
    async with task_runner(server.port) as runner, auth_by_tasks(runner) as endpoint:
        output = await runner.execute("authorizeChannel", {"socket_id": "1.2", "channel": "news"})
        assert output == TaskOutput(
            "error",
            {
                "error": "channel: only private- and presence- channels are authorized (others "
                'need no authorization); got "news"',
                "kind": "input",
                "retry": "useless",
            },
        )
        node_package("pusher-js")
        process = await NodeProcess.start(
            "subscriber.js",
            {
                "host": "127.0.0.1",
                "port": server.port,
                "key": APP.key,
                # A presence user id is at most 128 characters: the task refuses this one.
                "authEndpoint": f"{endpoint}/channel/{'u' * 129}",
                "channels": ["presence-x"],
            },
        )
        try:
            line = await wait_for(
                process, lambda line: line["type"] in {"subscribed", "subscription_error"}
            )
            assert line["type"] == "subscription_error"
            assert line["error"]["status"] == 403
        finally:
            await process.stop()
