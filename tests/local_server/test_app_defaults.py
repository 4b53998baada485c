"""Pusher's per-app defaults and limits on a running server, met with the project's subscriber
and signed HTTP calls: client events off unless switched on, ten a second, sign-in enforced
with user-auth, subscription counts with subscription-count, 403 for a disabled app or one over
its quota, and the reason the console gives for each kind of close."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from mesg_pusher.local_server import (
    AppOptions,
    LocalServer,
    ServerSettings,
    Subscriber,
    SubscriberError,
)
from tests.runtime.conftest import until

from .conftest import APP, OTHER_APP, api

pytestmark = pytest.mark.integration


class Clock:
    """A wall clock the test moves: rates and quotas are read from it, never from sleeping."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def serving(clock: Clock | None = None, **options: Any) -> LocalServer:
    settings = ServerSettings(apps=(APP, OTHER_APP), **options)
    return LocalServer(settings, clock=clock or time.time)


async def nothing_more(sub: Subscriber) -> None:
    """Nothing else is waiting for `sub`: a ping's answer comes after whatever was sent before."""
    await sub.ping()
    with pytest.raises(TimeoutError):
        await sub.next_event(within=0.05)


async def joined(server: LocalServer, channel: str) -> tuple[Subscriber, Subscriber]:
    a = await Subscriber.connect(server.ws_url, APP.key)
    b = await Subscriber.connect(server.ws_url, APP.key)
    await a.subscribe_signed(channel, APP)
    await b.subscribe_signed(channel, APP)
    return a, b


async def test_client_events_are_refused_as_pusher_refuses_them_by_default() -> None:
    async with serving() as server:
        a, b = await joined(server, "private-chat")
        async with a, b:
            await a.trigger("private-chat", "client-typing", {"who": "a"})
            refused = await a.next_event()
            assert (refused.event, refused.data) == (
                "pusher:error",
                {
                    "code": None,
                    "message": "To send client events, you must enable this feature in the "
                    "Settings page of your dashboard.",
                },
            )
            await a.ping()  # the connection stays open
            await nothing_more(b)
        refusal = [e for e in server.broker.debug.history if e["kind"] == "client_event"]
        assert [(e["action"], e["name"]) for e in refusal] == [("refused", "client-typing")]


async def test_client_events_with_the_option_and_ten_a_second_at_most() -> None:
    clock = Clock()
    options = {APP.app_id: AppOptions(client_events=True)}
    async with serving(clock, app_options=options) as server:
        a, b = await joined(server, "private-chat")
        async with a, b:
            for n in range(11):  # all within the same second of the server's clock
                await a.trigger("private-chat", "client-n", {"n": n})
            relayed = [(await b.next_event()).json() for _ in range(10)]
            assert relayed == [{"n": n} for n in range(10)]
            limited = await a.next_event()
            assert (limited.event, limited.data) == (
                "pusher:error",
                {"code": 4301, "message": "Client event rejected due to rate limit"},
            )
            await nothing_more(b)
            await a.ping()  # 4301 leaves the connection open, as Pusher's 4300 codes do
            clock.now += 1.0  # a second later the window has room again
            await a.trigger("private-chat", "client-n", {"n": 11})
            assert (await b.next_event()).json() == {"n": 11}
        refused = [e for e in server.broker.debug.history if e.get("action") == "refused"]
        assert [(e["kind"], e["code"]) for e in refused] == [("client_event", 4301)]


async def test_user_auth_closes_a_connection_that_does_not_sign_in() -> None:
    # Long enough for a sign-in on a loaded machine; the test waits it out once.
    timeout = 3.0
    options = {APP.app_id: AppOptions(user_auth=True)}
    async with serving(app_options=options, signin_timeout=timeout) as server:
        async with await Subscriber.connect(server.ws_url, APP.key) as signed:
            await signed.signin(APP, {"id": "ada"})
            async with await Subscriber.connect(server.ws_url, APP.key) as silent:
                assert await silent.wait_closed(within=timeout + 10) == 4009
                error = await silent.next_event()
                assert error.data == {
                    "code": 4009,
                    "message": "Connection not authorized within timeout",
                }
            await signed.ping()  # its deadline passed before the other's: it stays
        # Another app's connections are not asked to sign in.
        async with await Subscriber.connect(server.ws_url, OTHER_APP.key) as other:
            await other.ping()
        closes = [e for e in server.broker.debug.history if e.get("action") == "close"]
        reasons = {(e["by"], e["reason"], e.get("code")) for e in closes}
        assert ("server", f"not signed in within {timeout:g} s (the app has user-auth)", 4009) in (
            reasons
        )


async def test_subscription_counts_with_the_option_only() -> None:
    options = {APP.app_id: AppOptions(subscription_count=True)}
    async with (
        serving(app_options=options) as server,
        await Subscriber.connect(server.ws_url, APP.key) as a,
        await Subscriber.connect(server.ws_url, APP.key) as b,
        await Subscriber.connect(server.ws_url, OTHER_APP.key) as other,
    ):
        await a.subscribe("news")
        await a.wait_subscription_count("news", 1)
        await b.subscribe("news")
        await a.wait_subscription_count("news", 2)
        await b.wait_subscription_count("news", 2)
        await b.unsubscribe("news")
        await a.wait_subscription_count("news", 1)
        # Never on presence channels: members say how many there are.
        await a.subscribe_signed("presence-room", APP, user_id="ada")
        # An app without the option gets no counts.
        await other.subscribe("news")
        await other.ping()
        await a.ping()
        assert "presence-room" not in a.subscription_counts
        assert other.subscription_counts == {}


async def test_a_disabled_app_answers_403_and_refuses_connections(
    http: aiohttp.ClientSession,
) -> None:
    async with serving(disabled=frozenset({APP.app_id})) as server:
        event = {"name": "e", "channel": "c", "data": "x"}
        assert await api(http, server, "POST", "/apps/42/events", event) == (
            403,
            "Application disabled\n",
        )
        assert (await api(http, server, "GET", "/apps/42/channels"))[0] == 403
        assert (await api(http, server, "POST", "/apps/43/events", event, app=OTHER_APP))[0] == 200
        with pytest.raises(SubscriberError) as refused:
            await Subscriber.connect(server.ws_url, APP.key)
        assert (refused.value.code, refused.value.message) == (4003, "Application disabled")
        # Authentication comes first: another app's key is 400 Unknown auth_key, not 403.
        status, _ = await api(http, server, "POST", "/apps/42/events", event, app=OTHER_APP)
        assert status == 400


async def test_past_its_quota_an_app_is_answered_403(http: aiohttp.ClientSession) -> None:
    clock = Clock()
    async with serving(clock, quota=6) as server:
        async with (
            await Subscriber.connect(server.ws_url, APP.key) as a,
            await Subscriber.connect(server.ws_url, APP.key) as b,
        ):
            await a.subscribe("news")
            await b.subscribe("news")
            event = {"name": "e", "channel": "news", "data": "x"}
            # One message for the call and one per subscriber reached: 3, then 6.
            assert (await api(http, server, "POST", "/apps/42/events", event))[0] == 200
            assert server.broker.messages.today(APP.app_id, clock.now) == 3
            assert (await api(http, server, "POST", "/apps/42/events", event))[0] == 200
            assert server.broker.messages.today(APP.app_id, clock.now) == 6
            over = await api(http, server, "POST", "/apps/42/events", event)
            assert over == (403, "API call failed since (daily) message quota exceeded\n")
            assert (await api(http, server, "GET", "/apps/42/channels/news"))[0] == 403
            # Another app has its own count.
            status, _ = await api(http, server, "GET", "/apps/43/channels", app=OTHER_APP)
            assert status == 200
            for _ in range(2):
                assert (await a.next_event()).event == "e"
        apps = {entry["id"]: entry for entry in server.broker.snapshot()["apps"]}
        assert apps[APP.app_id]["quota"] == 6
        assert apps[APP.app_id]["messages_today"] == 6  # refused calls count nothing


async def test_batches_and_info_count_as_pusher_counts_them(http: aiohttp.ClientSession) -> None:
    clock = Clock()
    async with serving(clock) as server:
        batch = {"batch": [{"name": "e", "channel": "c", "data": "x"}] * 3}
        assert (await api(http, server, "POST", "/apps/42/batch_events", batch))[0] == 200
        assert server.broker.messages.today(APP.app_id, clock.now) == 3  # one an event
        event = {"name": "e", "channel": "c", "data": "x", "info": "subscription_count"}
        assert (await api(http, server, "POST", "/apps/42/events", event))[0] == 200
        assert server.broker.messages.today(APP.app_id, clock.now) == 5  # info: one more


async def test_every_kind_of_close_has_its_own_reason(http: aiohttp.ClientSession) -> None:
    reasons = []
    async with LocalServer(ServerSettings(apps=(APP,))) as server:
        async with await Subscriber.connect(server.ws_url, APP.key) as user:
            await user.signin(APP, {"id": "ada"})
            status, _ = await api(http, server, "POST", "/apps/42/users/ada/terminate_connections")
            assert status == 200
            assert await user.wait_closed() == 4009
        client = await Subscriber.connect(server.ws_url, APP.key)
        await client.close()
        await until(lambda: len(closes(server)) == 2)
        reasons += [(e["by"], e["reason"], e.get("code")) for e in closes(server)]
    # A client that never answers pings: closed with 4201 (on a server of short timeouts, which
    # would close a well-behaved client too if a loaded machine stalled it).
    settings = ServerSettings(apps=(APP,), activity_timeout=0.2, pong_timeout=0.2)
    async with LocalServer(settings) as server:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(f"{server.ws_url}/app/{APP.key}?protocol=7")
            async with asyncio.timeout(20):
                while not ws.closed:
                    await ws.receive()
            assert ws.close_code == 4201
        await until(lambda: len(closes(server)) == 1)
        reasons += [(e["by"], e["reason"], e.get("code")) for e in closes(server)]
    assert reasons == [
        ("server", "terminated by the app (terminate_connections for user ada)", 4009),
        ("client", "closed by the client (code 1000)", None),
        ("server", "no pong within 0.2 s of a ping", 4201),
    ]


def closes(server: LocalServer) -> list[dict[str, Any]]:
    return [e for e in server.broker.debug.history if e.get("action") == "close"]
