"""``mesg-pusher local-server`` in a terminal: the banner's ``PUSHER_URL`` and pusher-js line work
as pasted (into the official Python SDK and into pusher-js), ``--log`` prints a line for each API
call, connection, subscription, client event and webhook without ever showing a secret, and the
new options refuse what they cannot use."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import pusher
import pytest

from mesg_pusher.local_server import DEFAULT_APP, Subscriber
from mesg_pusher.local_server._terminal import STOP_LINE, log_line
from mesg_pusher.pusher import App
from tests.support.webhook_receiver import WebhookReceiver

from .conftest import NodeProcess, local_server_process, node_package, refused

pytestmark = pytest.mark.integration

SECRET = "s3cr3t-for-the-log"
APP = App(app_id="7", key="key-seven", secret=SECRET)


class Running:
    def __init__(self, process: asyncio.subprocess.Process, lines: list[str]) -> None:
        self.process = process
        self.lines = lines
        self.port = int(lines[0].rsplit(":", 1)[1])
        self.stderr: list[str] = []

    def after(self, prefix: str) -> str:
        """The rest of the first banner line that starts with `prefix` (indent ignored)."""
        found = [line.strip() for line in self.lines if line.strip().startswith(prefix)]
        assert found, (prefix, self.lines)
        return found[0][len(prefix) :]

    async def log_until(self, fragment: str, within: float = 20.0) -> str:
        """Read standard error until a line holding `fragment`."""
        assert self.process.stderr is not None
        deadline = time.monotonic() + within
        for line in self.stderr:
            if fragment in line:
                return line
        while True:
            raw = await asyncio.wait_for(
                self.process.stderr.readline(), max(deadline - time.monotonic(), 0.01)
            )
            if not raw:
                pytest.fail(f"no log line with {fragment!r}: {self.stderr}")
            line = raw.decode().rstrip("\n")
            self.stderr.append(line)
            if fragment in line:
                return line


@asynccontextmanager
async def running(*args: str) -> AsyncIterator[Running]:
    process = await local_server_process(*args)
    assert process.stdout is not None
    lines: list[str] = []
    try:
        while STOP_LINE not in lines:
            raw = await asyncio.wait_for(process.stdout.readline(), 30)
            if not raw:
                pytest.fail(f"local-server exited early: {lines}")
            lines.append(raw.decode().rstrip("\n"))
        yield Running(process, lines)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.communicate(), 30)


async def test_the_printed_pusher_url_and_pusher_js_line_work_as_pasted() -> None:
    node_package("pusher-js")
    async with running() as server:
        url = server.after("PUSHER_URL=")
        assert url == (
            f"http://{DEFAULT_APP.key}:{DEFAULT_APP.secret}@127.0.0.1:{server.port}/apps/1"
        )
        snippet = server.after("pusher-js: ")
        page = await NodeProcess.start("pasted.js", {"snippet": snippet, "channel": "pasted"})
        try:
            await page.expect("connected")
            await page.expect("subscribed")
            # The service's own task, with PUSHER_URL in its environment as printed.
            execute = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "mesg_pusher.cli", "execute", "trigger",
                "-d", "channel=pasted", "-d", "name=hello", "-d", 'data={"from":"the banner"}',
                env={**os.environ, "PUSHER_URL": url},
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, err = await asyncio.wait_for(execute.communicate(), 60)
            assert execute.returncode == 0, (out, err)
            event = await page.expect("event")
            assert (event["event"], event["data"]) == ("hello", {"from": "the banner"})
        finally:
            await page.stop()
        assert server.after("App 1 options: ").startswith("none, as on a new Pusher app")


async def test_given_apps_show_their_options_and_never_their_secret() -> None:
    spec = f"{APP.app_id}:{APP.key}:{SECRET}:client-events,subscription-count"
    async with running("--app", spec, "--quota", "1000", "--fault", "http-500:0.5") as server:
        assert server.after(f"App {APP.app_id} options: ") == "client-events, subscription-count"
        assert server.after("PUSHER_URL=") == (
            f"http://{APP.key}:SECRET@127.0.0.1:{server.port}/apps/{APP.app_id}"
        )
        assert server.after("Quota: ").startswith("1000 messages a day per app")
        assert server.after("Faults: ").startswith("http-500 at rate 0.5 (seed ")
    assert all(SECRET not in line for line in server.lines)


async def test_log_prints_a_line_per_call_connection_subscription_client_event_and_webhook() -> (
    None
):
    receiver = await WebhookReceiver().start()
    spec = f"{APP.app_id}:{APP.key}:{SECRET}:client-events"
    try:
        async with running(
            "--app", spec, "--log", "--webhook", receiver.url, "--webhook-delay", "0.1"
        ) as server:
            ws_url = f"ws://127.0.0.1:{server.port}"
            async with (
                await Subscriber.connect(ws_url, APP.key) as ada,
                await Subscriber.connect(ws_url, APP.key) as bob,
            ):
                await ada.subscribe_signed("private-chat", APP)
                await bob.subscribe_signed("private-chat", APP)
                await ada.trigger("private-chat", "client-typing", {"who": SECRET})
                assert (await bob.next_event()).event == "client-typing"
                sdk = pusher.Pusher(
                    app_id=APP.app_id, key=APP.key, secret=SECRET, host="127.0.0.1",
                    port=server.port, ssl=False,
                )  # fmt: skip
                await asyncio.to_thread(sdk.trigger, "private-chat", "from-api", SECRET)
                assert (await bob.next_event()).event == "from-api"
                wrong = pusher.Pusher(
                    app_id=APP.app_id, key=APP.key, secret="not-" + SECRET, host="127.0.0.1",
                    port=server.port, ssl=False,
                )  # fmt: skip
                with pytest.raises(pusher.errors.PusherBadAuth):
                    await asyncio.to_thread(wrong.trigger, "private-chat", "refused", "x")
            await receiver.next()
            lines = [
                await server.log_until(" info connection open "),
                await server.log_until(" info subscribed "),
                await server.log_until(" info client event sent "),
                await server.log_until("events=from-api"),
                await server.log_until("status=401"),
                await server.log_until(" info connection close "),
                await server.log_until(" info webhook "),
            ]
    finally:
        await receiver.stop()
    assert "channel=private-chat" in lines[1]
    assert "name=client-typing" in lines[2]
    assert "method=POST path=/apps/7/events status=200" in lines[3]
    assert "Invalid signature" in lines[4]
    assert 'reason="closed by the client (code 1000)"' in lines[5]
    assert "outcome=delivered" in lines[6]
    # The secret was sent as data and quoted in a refusal's expected string: never shown.
    everything = "\n".join(server.stderr + server.lines)
    assert SECRET not in everything


def test_records_without_a_line_of_their_own() -> None:
    assert log_line({"kind": "unknown"}) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--app", "7:k:top-secret-value:client-event"], "--app: the options after the secret"),
        (["--quota", "0"], "--quota: must be at least 1 message a day (got 0)"),
        (["--disabled", "9"], "--disabled: app id 9 is not one of the apps served"),
        (["--fault", "http-404"], "--fault: unknown kind 'http-404'"),
        (["--fault", "slow-answer:2"], "--fault: slow-answer: RATE is a fraction from 0 to 1"),
        (["--fault", "ws-drop", "--fault", "ws-drop:0.5"], "--fault: a kind of fault is given"),
        (["--signin-timeout", "0"], "--signin-timeout: must be a positive number of seconds"),
    ],
)
async def test_new_options_refuse_what_they_cannot_use(args: Sequence[str], message: str) -> None:
    err = await refused(*args)
    assert err.startswith(f"mesg-pusher local-server: error: {message}"), err
    assert "top-secret-value" not in err


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_right_after_the_banner_stops_it_cleanly(number: int) -> None:
    # The banner's last line says the server may be signalled: it must be ready for it then.
    for _ in range(3):
        async with running("--tls") as server:
            ca_file = server.after("TLS CA certificate: ").split(" (")[0]
            assert await asyncio.to_thread(os.path.exists, ca_file)
            server.process.send_signal(number)
            out, _ = await asyncio.wait_for(server.process.communicate(), 30)
            assert server.process.returncode == 0
            assert b"Local Pusher server stopped" in out
            assert not await asyncio.to_thread(os.path.exists, ca_file)  # its folder went too
