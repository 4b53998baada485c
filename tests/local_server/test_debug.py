"""The debug console's endpoints over real HTTP: they answer the console's own page only, so a
page of another site cannot read the feed (which shows private events) or publish, even when it
makes its own name resolve to this server (DNS rebinding)."""

from __future__ import annotations

import json

import aiohttp
import pytest

from mesg_pusher.local_server import LocalServer, ServerSettings

from .conftest import APP, OPTIONS

FOREIGN = "http://evil.example"


def own(server: LocalServer) -> dict[str, str]:
    host = f"127.0.0.1:{server.port}"
    return {"Host": host, "Origin": f"http://{host}"}


async def test_the_feed_accepts_the_own_page_and_refuses_other_origins(
    server: LocalServer, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(f"{server.ws_url}/debug/feed", headers=own(server)) as ws:
        hello = json.loads((await ws.receive(timeout=10)).data)
        assert hello["type"] == "hello"
    for headers in (
        {"Origin": FOREIGN},
        {"Origin": "null"},
        {"Host": f"evil.example:{server.port}", "Origin": f"http://evil.example:{server.port}"},
    ):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{server.ws_url}/debug/feed", headers=headers)
        assert refused.value.status == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("GET", "/debug/state"), ("POST", "/debug/trigger")],
)
async def test_a_foreign_host_name_is_refused_on_every_debug_endpoint(
    server: LocalServer, http: aiohttp.ClientSession, method: str, path: str
) -> None:
    rebound = f"evil.example:{server.port}"
    headers = {"Host": rebound, "Origin": f"http://{rebound}", "Content-Type": "application/json"}
    body = json.dumps({"app": APP.app_id, "channel": "c", "event": "e", "data": "{}"})
    async with http.request(method, server.url + path, headers=headers, data=body) as answer:
        assert answer.status == 403
        assert "own names only" in await answer.text()
    assert not any(entry.get("source") == "console" for entry in server.broker.debug.history)


async def test_the_trigger_publishes_for_the_own_page_only(
    server: LocalServer, http: aiohttp.ClientSession
) -> None:
    body = json.dumps({"app": APP.app_id, "channel": "c", "event": "e", "data": "{}"})
    json_type = {"Content-Type": "application/json"}
    async with http.post(
        f"{server.url}/debug/trigger", data=body, headers={**own(server), **json_type}
    ) as answer:
        assert answer.status == 200, await answer.text()
    async with http.post(
        f"{server.url}/debug/trigger", data=body, headers={"Origin": FOREIGN, **json_type}
    ) as answer:
        assert answer.status == 403
        assert (await answer.json())["error"].endswith("not a page of 'http://evil.example'")
    statuses = [e["status"] for e in server.broker.debug.history if e.get("source") == "console"]
    assert statuses == [200]


async def test_a_name_given_in_the_settings_is_the_servers_own(
    http: aiohttp.ClientSession,
) -> None:
    settings = ServerSettings(apps=(APP,), app_options=OPTIONS, console_hosts=("devbox.lan",))
    async with LocalServer(settings) as server:
        async with http.get(f"{server.url}/", headers={"Host": "devbox.lan"}) as answer:
            assert answer.status == 200
            assert answer.content_type == "text/html"
        async with http.get(f"{server.url}/", headers={"Host": "other.lan"}) as answer:
            assert answer.status == 403


async def test_a_page_that_closes_the_feed_is_answered_and_forgotten(
    server: LocalServer, http: aiohttp.ClientSession
) -> None:
    ws = await http.ws_connect(f"{server.ws_url}/debug/feed", headers=own(server))
    assert json.loads((await ws.receive(timeout=10)).data)["type"] == "hello"
    await ws.close()
    assert ws.close_code == aiohttp.WSCloseCode.OK  # the server answered the close frame
