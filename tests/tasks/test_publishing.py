"""Publishing for real: the task runner on `HttpPool` against Pusher-like servers, a real proxy
and TLS, where the wire is the point (signatures, certificates, proxies, timeouts, keep-alive).
How answers become outputs is in test_answers.py, through the mock transport.

The server checks signatures, timestamp, key and body MD5 as Pusher does (tests/support), so a
`success` here means a correctly signed request arrived and was answered 2xx.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from mesg_pusher.pusher import HttpPool
from mesg_pusher.tasks import TaskOutput, TaskRunner
from tests.support.fake_pusher import FakePusher
from tests.support.processes import free_port
from tests.support.tinyproxy import Tinyproxy, start_tinyproxy
from tests.support.tls import TestCertificates
from tests.tasks.test_bad_inputs import data_of_size

pytestmark = pytest.mark.integration


@pytest.fixture
async def runner() -> AsyncIterator[TaskRunner]:
    http = HttpPool()
    yield TaskRunner(http)
    await http.close()


@pytest.fixture
async def tls_runner(certificates: TestCertificates) -> AsyncIterator[TaskRunner]:
    http = HttpPool(ssl_context=certificates.client_context())
    yield TaskRunner(http)
    await http.close()


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Tinyproxy]:
    server = start_tinyproxy(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def auth_proxy(tmp_path: Path) -> Iterator[Tinyproxy]:
    server = start_tinyproxy(tmp_path, basic_auth=("alice", "pr0xy-pa55"))
    yield server
    server.stop()


async def trigger(runner: TaskRunner, server: FakePusher, **inputs: Any) -> TaskOutput:
    base: dict[str, Any] = {"channel": "my-channel", "name": "my-event", "data": {"n": 1}}
    return await runner.execute("trigger", json.dumps({**server.inputs(), **base, **inputs}))


async def test_trigger_publishes_a_signed_event(
    runner: TaskRunner, fake_pusher: FakePusher
) -> None:
    output = await trigger(runner, fake_pusher, data={"text": "héllo", "list": [1, 2]})
    assert output == TaskOutput("success", {"message": "sent"})
    [received] = fake_pusher.received
    assert (received.status, received.method, received.path) == (200, "POST", "/apps/3/events")
    assert (
        received.body
        == (
            '{"name":"my-event","channels":["my-channel"],"data":"{\\"text\\":\\"héllo\\",'
            '\\"list\\":[1,2]}"}'
        ).encode()
    )
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["User-Agent"].startswith("mesg-pusher/")


async def test_trigger_to_many_channels_with_socket_id(
    runner: TaskRunner, fake_pusher: FakePusher
) -> None:
    channels = [f"channel-{i}" for i in range(100)]
    output = await trigger(
        runner, fake_pusher, channel=None, channels=channels, socket_id="123.456"
    )
    assert output.key == "success", output
    body = fake_pusher.received[0].json
    assert body["channels"] == channels
    assert body["socket_id"] == "123.456"


async def test_data_of_exactly_10240_bytes_is_published(
    runner: TaskRunner, fake_pusher: FakePusher
) -> None:
    output = await trigger(runner, fake_pusher, data=data_of_size(10240, "€"))
    assert output.key == "success", output
    assert len(fake_pusher.received[0].json["data"].encode()) == 10240


async def test_trigger_batch_publishes_every_event(
    runner: TaskRunner, fake_pusher: FakePusher
) -> None:
    batch = [
        {"name": f"event-{i}", "channel": f"channel-{i}", "data": {"i": i}} for i in range(9)
    ] + [{"name": "text", "channel": "c", "data": "as is", "socket_id": "1.2"}]
    inputs = {**fake_pusher.inputs(), "batch": batch}
    output = await runner.execute("triggerBatch", json.dumps(inputs))
    assert output == TaskOutput("success", {"message": "sent"})
    [received] = fake_pusher.received
    assert received.path == "/apps/3/batch_events"
    sent = received.json["batch"]
    assert sent[0] == {"name": "event-0", "channel": "channel-0", "data": '{"i":0}'}
    assert sent[9] == {"name": "text", "channel": "c", "data": "as is", "socket_id": "1.2"}


async def test_https_verifies_the_certificate(
    tls_runner: TaskRunner, runner: TaskRunner, fake_pusher_tls: FakePusher
) -> None:
    output = await trigger(tls_runner, fake_pusher_tls)
    assert output.key == "success", output
    # Without the test CA, the certificate cannot be trusted: refused, not ignored.
    output = await trigger(runner, fake_pusher_tls)
    assert output.key == "error"
    assert "TLS certificate was refused" in output.data["error"]
    assert len(fake_pusher_tls.received) == 1


async def test_timeout_bounds_the_whole_request(
    runner: TaskRunner, fake_pusher: FakePusher
) -> None:
    fake_pusher.delay = 5
    started = time.monotonic()
    output = await trigger(runner, fake_pusher, timeout=300)
    elapsed = time.monotonic() - started
    assert output == TaskOutput(
        "error",
        {
            "error": f"request to http://127.0.0.1:{fake_pusher.port}/apps/3/events "
            "timed out after 300 ms",
            "kind": "timeout",
            "retry": "unsafe",  # it was written: not tried again without an idempotencyKey
        },
    )
    assert elapsed < 4
    assert len(fake_pusher.received) <= 1


async def test_a_wrong_secret_is_refused_by_the_server(
    runner: TaskRunner, fake_pusher: FakePusher
) -> None:
    output = await trigger(runner, fake_pusher, secret="not-the-secret")
    assert output.key == "error"
    assert output.data["error"].startswith("Pusher answered 401 Unauthorized: Invalid signature")
    assert "not-the-secret" not in output.data["error"]


async def test_an_unknown_app_is_not_found(runner: TaskRunner, fake_pusher: FakePusher) -> None:
    output = await trigger(runner, fake_pusher, appId="999")
    assert output == TaskOutput(
        "error",
        {
            "error": "Pusher answered 404 Not Found: Unknown app id 999",
            "kind": "rejected",
            "retry": "useless",
            "status": 404,
        },
    )


async def test_the_clock_passed_in_signs_the_request(fake_pusher: FakePusher) -> None:
    http = HttpPool()
    try:
        stale = TaskRunner(http, clock=lambda: time.time() - 601)
        output = await trigger(stale, fake_pusher)
    finally:
        await http.close()
    assert output.key == "error"
    assert "401 Unauthorized: Timestamp expired" in output.data["error"]


async def test_connection_refused(runner: TaskRunner, fake_pusher: FakePusher) -> None:
    port = fake_pusher.port
    await fake_pusher.stop()
    output = await trigger(runner, fake_pusher, port=port)
    assert output == TaskOutput(
        "error",
        {
            "error": f"request to http://127.0.0.1:{port}/apps/3/events failed: "
            "could not connect: Connection refused (after 3 tries)",
            "kind": "network",
            "retry": "safe",
        },
    )


async def test_proxy_carries_the_request(
    runner: TaskRunner, fake_pusher: FakePusher, proxy: Tinyproxy
) -> None:
    output = await trigger(runner, fake_pusher, proxy=proxy.url())
    assert output.key == "success", output
    assert f"127.0.0.1:{fake_pusher.port}" in proxy.log()
    assert fake_pusher.received[0].status == 200


async def test_proxy_tunnels_https(
    tls_runner: TaskRunner, fake_pusher_tls: FakePusher, proxy: Tinyproxy
) -> None:
    output = await trigger(tls_runner, fake_pusher_tls, proxy=proxy.url())
    assert output.key == "success", output
    assert "CONNECT" in proxy.log()


async def test_proxy_credentials_are_used_and_never_shown(
    runner: TaskRunner, fake_pusher: FakePusher, auth_proxy: Tinyproxy, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    output = await trigger(runner, fake_pusher, proxy=auth_proxy.url("alice:pr0xy-pa55"))
    assert output.key == "success", output
    output = await trigger(runner, fake_pusher, proxy=auth_proxy.url("alice:wrong-pa55"))
    assert output.key == "error"
    message = output.data["error"]
    assert message.startswith(
        f"the proxy http://alice:***@127.0.0.1:{auth_proxy.port}, or Pusher behind it, answered "
        "401 Unauthorized: Unauthorized The administrator of this proxy"
    )
    assert "wrong-pa55" not in message
    assert "pa55" not in caplog.text


async def test_refused_proxy_credentials_over_a_tunnel(
    tls_runner: TaskRunner, fake_pusher_tls: FakePusher, auth_proxy: Tinyproxy
) -> None:
    output = await trigger(tls_runner, fake_pusher_tls, proxy=auth_proxy.url("alice:wrong-pa55"))
    assert output == TaskOutput(
        "error",
        {
            "error": f"request to https://127.0.0.1:{fake_pusher_tls.port}/apps/3/events failed: "
            f"the proxy http://alice:***@127.0.0.1:{auth_proxy.port} answered 401 Unauthorized",
            "kind": "network",
            "retry": "useless",  # the same credentials are refused again
        },
    )
    output = await trigger(tls_runner, fake_pusher_tls, proxy=auth_proxy.url("alice:pr0xy-pa55"))
    assert output.key == "success", output


async def test_proxy_that_is_down(runner: TaskRunner, fake_pusher: FakePusher) -> None:
    port = free_port()
    output = await trigger(runner, fake_pusher, proxy=f"http://bob:s3cret-pw@127.0.0.1:{port}")
    message = output.data["error"]
    assert output.key == "error"
    assert f"could not connect to the proxy http://bob:***@127.0.0.1:{port}" in message
    assert "s3cret-pw" not in message


@pytest.mark.parametrize("password", ["pr0xy-pa55", "hunter2"])
async def test_a_proxy_that_echoes_the_credentials_header_never_gets_it_shown(
    runner: TaskRunner, fake_pusher: FakePusher, caplog: Any, password: str
) -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = [line for line in head.split(b"\r\n") if line.startswith(b"Proxy-Authorization")]
        page = (
            b"<html><body><h1>Refused</h1><p>you sent " + b" ".join(lines) + b"</p></body></html>"
        )
        writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n")
        writer.write(b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(page), page))
        await writer.drain()
        writer.close()

    caplog.set_level(logging.DEBUG)
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        output = await trigger(
            runner, fake_pusher, proxy=f"http://alice:{password}@127.0.0.1:{port}"
        )
    finally:
        server.close()
    message = output.data["error"]
    token = base64.b64encode(f"alice:{password}".encode()).decode()
    assert message.startswith(
        f"the proxy http://alice:***@127.0.0.1:{port}, or Pusher behind it, answered 407 "
        "Proxy Authentication Required: Refused you sent Proxy-Authorization: Basic ***"
    ), message
    assert token[:8] not in message
    assert token[:8] not in caplog.text


@pytest.mark.parametrize("encrypted", [False, True])
async def test_a_proxy_whose_name_does_not_resolve_is_named(
    runner: TaskRunner, fake_pusher: FakePusher, encrypted: bool
) -> None:
    # .invalid never resolves (RFC 6761); the proxy, not the Pusher host, is what failed.
    proxy = "http://bob:s3cret-pw@proxy.invalid:3128"
    output = await trigger(runner, fake_pusher, proxy=proxy, encrypted=encrypted)
    scheme = "https" if encrypted else "http"
    assert output.data["error"].startswith(
        f"request to {scheme}://127.0.0.1:{fake_pusher.port}/apps/3/events failed: "
        "could not resolve the proxy http://bob:***@proxy.invalid:3128: "
    )
    assert "s3cret-pw" not in output.data["error"]


@pytest.mark.parametrize(("keep_alive", "connections"), [(True, 1), (False, 5)])
async def test_keep_alive_reuses_one_connection_across_executions(
    runner: TaskRunner, fake_pusher: FakePusher, keep_alive: bool, connections: int
) -> None:
    for _ in range(5):
        output = await trigger(runner, fake_pusher, keepAlive=keep_alive)
        assert output.key == "success", output
    assert len(fake_pusher.received) == 5
    assert fake_pusher.connections == connections


async def test_keep_alive_pools_are_per_endpoint(runner: TaskRunner) -> None:
    first, second = FakePusher(), FakePusher()
    await first.start()
    await second.start()
    try:
        for _ in range(3):
            for server in (first, second):
                assert (await trigger(runner, server, keepAlive=True)).key == "success"
    finally:
        await first.stop()
        await second.stop()
    assert (first.connections, second.connections) == (1, 1)


async def test_concurrent_executions_each_get_their_own_answer(
    runner: TaskRunner, fake_pusher: FakePusher
) -> None:
    outputs = await asyncio.gather(
        *(trigger(runner, fake_pusher, keepAlive=True, name=f"e{i}") for i in range(200))
    )
    assert all(o.key == "success" for o in outputs)
    assert sorted(r.json["name"] for r in fake_pusher.received) == sorted(
        f"e{i}" for i in range(200)
    )


async def test_secret_never_in_outputs_or_logs(
    runner: TaskRunner, fake_pusher: FakePusher, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = fake_pusher.apps["3"][1]
    outputs = [
        await trigger(runner, fake_pusher),
        await trigger(runner, fake_pusher, secret=secret + "x"),
        await trigger(runner, fake_pusher, port=1),
        await trigger(runner, fake_pusher, channel=secret),
    ]
    fake_pusher.answer = (500, f"echo {secret}")
    outputs.append(await trigger(runner, fake_pusher))
    for output in outputs:
        assert secret not in output.json()
    assert secret not in caplog.text


async def test_https_to_a_plain_http_port_says_so(
    runner: TaskRunner, fake_pusher: FakePusher
) -> None:
    output = await trigger(runner, fake_pusher, encrypted=True)
    assert output == TaskOutput(
        "error",
        {
            "error": f"request to https://127.0.0.1:{fake_pusher.port}/apps/3/events failed: "
            "TLS failed: WRONG_VERSION_NUMBER (the server does not speak TLS on that port)",
            "kind": "network",
            "retry": "useless",
        },
    )


async def test_numbers_in_data_arrive_as_javascript_writes_them(
    runner: TaskRunner, fake_pusher: FakePusher
) -> None:
    output = await trigger(runner, fake_pusher, data={"price": 10.0, "tiny": 1e-7, "big": 1e21})
    assert output.key == "success", output
    assert fake_pusher.received[0].json["data"] == '{"price":10,"tiny":1e-7,"big":1e+21}'
