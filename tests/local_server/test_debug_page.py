"""The debug console in real headless Chromium: it shows connections, subscriptions and API
messages live, and its form sends a test event that a subscriber receives. A screenshot is
kept in artifacts/ as the test's artifact."""

from __future__ import annotations

import shutil
from pathlib import Path

import aiohttp
import pytest

from mesg_pusher.local_server import LocalServer, Subscriber

from .conftest import APP, ARTIFACTS, NodeProcess, api, node_package

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"


def chromium() -> str:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("Chromium is not installed: these tests need Debian's `chromium` package")
    return CHROMIUM if Path(CHROMIUM).exists() else str(shutil.which("chromium"))


async def test_debug_console_live_in_chromium(
    server: LocalServer, http: aiohttp.ClientSession
) -> None:
    browser = chromium()
    node_package("playwright-core")
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "local-server-debug-console.png"
    screenshot.unlink(missing_ok=True)
    async with await Subscriber.connect(server.ws_url, APP.key) as sub:
        await sub.subscribe("demo")
        await sub.subscribe_signed("presence-demo", APP, user_id="ada", user_info={"n": "Ada"})
        await sub.subscribe("cache-demo")
        assert (await sub.next_event()).event == "pusher:cache_miss"
        event = {"name": "from-api", "channel": "demo", "data": '{"hello":"world"}'}
        assert (await api(http, server, "POST", "/apps/42/events", event))[0] == 200
        refused = {"name": "refused-one", "channel": "demo", "data": "x" * 10241}
        assert (await api(http, server, "POST", "/apps/42/events", refused))[0] == 413
        page = await NodeProcess.start(
            "debug-page.js",
            {
                "url": server.url + "/",
                "chromium": browser,
                "socketId": sub.socket_id,
                "apiEvent": "from-api",
                "liveEvent": "live-event",
                "channel": "demo",
                "cacheChannel": "cache-demo",
                "app": APP.app_id,
                "screenshot": str(screenshot),
            },
        )
        try:
            await page.expect("ready", within=60)
            live = {"name": "live-event", "channel": "demo", "data": "{}"}
            assert (await api(http, server, "POST", "/apps/42/events", live))[0] == 200
            done = await page.expect("done", within=60)
            assert await page.finish() == 0
        finally:
            await page.stop()
        assert [(await sub.next_event()).event for _ in range(3)] == [
            "from-api",
            "live-event",
            "from-page",
        ]
    assert done["connections"] == "1"
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    history = server.broker.debug.history
    console = [entry for entry in history if entry.get("source") == "console"]
    assert [entry["status"] for entry in console] == [200, 400]
    assert any(entry.get("status") == 413 for entry in history)
