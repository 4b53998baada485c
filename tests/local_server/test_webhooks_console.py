"""The debug console shows each webhook and its answer in real headless Chromium, as text:
markup in a receiver's answer or in a client event's data is an XSS attempt the page must
display, not run. A screenshot is kept in artifacts/."""

from __future__ import annotations

import pytest

from mesg_pusher.local_server import LocalServer, ServerSettings, Subscriber
from tests.support.webhook_receiver import WebhookReceiver

from .conftest import APP, ARTIFACTS, OPTIONS, NodeProcess, node_package
from .test_debug_page import chromium

pytestmark = pytest.mark.integration

ANSWER = '<img src=x onerror="window.__xss=1;alert(1)">'
DATA = "<script>window.__xss=2</script><b>bold?</b>"


async def test_webhooks_and_answers_show_as_text_in_chromium() -> None:
    browser = chromium()
    node_package("playwright-core")
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "local-server-webhooks.png"
    screenshot.unlink(missing_ok=True)
    receiver = await WebhookReceiver(answers=[500], error_body=ANSWER).start()
    settings = ServerSettings(
        apps=(APP,),
        app_options=OPTIONS,
        webhooks=(receiver.url,),
        webhook_delay=0.1,
        webhook_batch_window=0.05,
    )
    try:
        async with (
            LocalServer(settings) as server,
            await Subscriber.connect(server.ws_url, APP.key) as sub,
        ):
            await sub.subscribe_signed("private-notes", APP)
            await sub.trigger("private-notes", "client-note", DATA)
            events = await receiver.events(3)
            assert events[-1]["data"] == DATA
            page = await NodeProcess.start(
                "debug-webhooks.js",
                {
                    "url": server.url + "/",
                    "chromium": browser,
                    "answer": ANSWER,
                    "data": DATA,
                    "screenshot": str(screenshot),
                },
            )
            try:
                done = await page.expect("done", within=60)
                assert await page.finish() == 0
            finally:
                await page.stop()
    finally:
        await receiver.stop()
    assert done["injected"] == 0
    assert done["xss"] is None
    assert done["dialogs"] == []
    assert done["webhookRows"] >= 2
    assert ANSWER in done["firstRow"]
    assert "500" in done["firstRow"]
    assert screenshot.read_bytes().startswith(b"\x89PNG")
