"""The official Node.js SDK (npm `pusher` 5.3.4) against our pure core, on generated requests.

`tests/node/server-sdk.js` runs the SDK's own calls (its `get`, `trigger`, `triggerBatch`,
`sendToUser`, `terminateUserConnections` against a recording server, `authorizeChannel`,
`authenticateUser`, its signing helper, its channel keys, and tweetnacl's secretbox) with the
clock reading each case gives it. GET requests and the terminate POST must be byte-equal to the
SDK's; for publishes, whose JSON bodies list the same keys in another order, the body must be
the same JSON and the SDK's signer, given our body, must produce our query string exactly.

Generated objects avoid keys made of digits only: JavaScript moves those first in an object, so
there the SDK's text differs from the caller's order, which we keep (both sign what they send).
Set MESG_PUSHER_NODE_SEED to try other cases.
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nacl.bindings import crypto_secretbox_open

from mesg_pusher import _json
from mesg_pusher.pusher import (
    App,
    BatchEvent,
    ChannelQuery,
    ChannelsQuery,
    Event,
    HttpRequest,
    MasterKey,
    authenticate_user,
    authorize_channel,
    batch_request,
    channel_request,
    channels_request,
    encode_data,
    terminate_request,
    trigger_request,
    user_event,
    users_request,
)

from .test_encryption import CHANNEL, KEY_BASE64, VECTOR

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[1] / "node" / "server-sdk.js"
SEED = int(os.environ.get("MESG_PUSHER_NODE_SEED", "20261201"))
CASES_PER_KIND = 40
NAME_CHARACTERS = "ABCXYZabcxyz0189_-=@,.;"
MASTER_KEY = MasterKey(bytes(range(7, 39)))
MASTER_KEY_BASE64 = base64.b64encode(MASTER_KEY.key).decode()


def node_sdk(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is not installed: these tests need `node` (Debian nodejs, 20+)")
    if not (SCRIPT.parent / "node_modules" / "pusher").is_dir():
        pytest.fail(f"the npm modules are missing: run `npm ci` in {SCRIPT.parent}")
    done = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps({"cases": cases}).encode(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    # Lines end at "\n" only: JSON.stringify leaves U+2028 as it is, which splitlines() splits at.
    answers = [json.loads(line) for line in done.stdout.decode().split("\n") if line]
    assert len(answers) == len(cases)
    return answers


def sdk_app(app: App, *, master_key: bool = False) -> dict[str, str]:
    found = {"appId": app.app_id, "key": app.key, "secret": app.secret}
    if master_key:
        found["masterKeyBase64"] = MASTER_KEY_BASE64
    return found


class Generator:
    """Random but valid inputs, the same for a given seed."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def name(self, prefix: str = "", most: int = 30) -> str:
        size = self.random.randint(1, most)
        return prefix + "".join(self.random.choice(NAME_CHARACTERS) for _ in range(size))

    def app(self) -> App:
        key = "".join(self.random.choice("abcdef0123456789._~-") for _ in range(20))
        return App(str(self.random.randint(1, 10**7)), key, self.text(1, 24))

    def timestamp(self) -> int:
        return self.random.randint(1_000_000_000, 2_000_000_000)

    def socket_id(self) -> str:
        return f"{self.random.randint(0, 10**9)}.{self.random.randint(0, 10**9)}"

    def text(self, least: int = 0, most: int = 12) -> str:
        pieces = ["a", "Z", "0", " ", '"', "\\", "/", "\n", "\t", "\x01", "\x7f", "é", "€"]
        pieces += ["\u2028", "😀", "<", "&", "'", ":", ","]
        return "".join(self.random.choice(pieces) for _ in range(self.random.randint(least, most)))

    def number(self) -> float | int:
        return self.random.choice(
            [
                self.random.randint(-(10**15), 10**15),
                self.random.uniform(-1e6, 1e6),
                self.random.choice([0.1, 1e21, 1e-7, 123e-20, -0.5, 2.0**53, 5e-324, 1.7e308]),
            ]
        )

    def json(self, depth: int = 0) -> Any:
        kinds: list[Callable[[], Any]] = [self.text, self.number, lambda: None]
        kinds.append(lambda: self.random.random() < 0.5)
        if depth < 3:
            kinds.append(lambda: [self.json(depth + 1) for _ in range(self.random.randint(0, 3))])
            kinds.append(lambda: self.object(depth + 1))
        return self.random.choice(kinds)()

    def object(self, depth: int = 0) -> dict[str, Any]:
        keys = [self.text(1, 6) + "k" for _ in range(self.random.randint(0, 4))]
        return {key: self.json(depth) for key in keys}

    def data(self) -> Any:
        return self.text() if self.random.random() < 0.3 else self.object()

    def info(self, presence: bool) -> str | None:
        choices = [None, "subscription_count"]
        if presence:
            choices += [
                "user_count",
                "user_count,subscription_count",
                "subscription_count,user_count",
            ]
        return self.random.choice(choices)


def assert_byte_equal(ours: HttpRequest, sdk: dict[str, Any]) -> None:
    assert sdk["request"] == {
        "method": ours.method,
        "target": ours.target,
        "body": ours.body.decode(),
    }


def test_get_requests_are_byte_equal_to_the_node_sdks() -> None:
    gen = Generator(SEED)
    cases: list[dict[str, Any]] = []
    ours: list[HttpRequest] = []
    for _ in range(CASES_PER_KIND):
        app, stamp = gen.app(), gen.timestamp()
        presence = gen.random.random() < 0.5
        prefix = gen.random.choice([None, gen.name("presence-" if presence else "", 12)])
        info = gen.info(presence and prefix is not None)
        query = ChannelsQuery.create(filter_by_prefix=prefix, info=info)
        ours.append(channels_request(app, query, timestamp=stamp))
        params = {k: v for k, v in {"filter_by_prefix": prefix, "info": info}.items() if v}
        args = [{"path": "/channels", "params": params}]
        cases.append({"app": sdk_app(app), "timestamp": stamp, "call": "get", "args": args})

        channel = gen.name("presence-" if presence else gen.random.choice(["", "private-"]))
        info = gen.random.choice([gen.info(presence), "cache", "cache,subscription_count"])
        ours.append(channel_request(app, ChannelQuery.create(channel, info=info), timestamp=stamp))
        args = [{"path": f"/channels/{channel}", "params": {"info": info} if info else {}}]
        cases.append({"app": sdk_app(app), "timestamp": stamp, "call": "get", "args": args})

        channel = gen.name("presence-")
        ours.append(users_request(app, channel, timestamp=stamp))
        args = [{"path": f"/channels/{channel}/users"}]
        cases.append({"app": sdk_app(app), "timestamp": stamp, "call": "get", "args": args})
    for request, answer in zip(ours, node_sdk(cases), strict=True):
        assert_byte_equal(request, answer)


def test_terminate_user_connections_is_byte_equal_to_the_node_sdks() -> None:
    gen = Generator(SEED + 1)
    cases, ours = [], []
    for _ in range(CASES_PER_KIND):
        app, stamp, user = gen.app(), gen.timestamp(), gen.name(most=60)
        ours.append(terminate_request(app, user, timestamp=stamp))
        args = [user]
        call = "terminateUserConnections"
        cases.append({"app": sdk_app(app), "timestamp": stamp, "call": call, "args": args})
    for request, answer in zip(ours, node_sdk(cases), strict=True):
        assert_byte_equal(request, answer)
        # The path the Python SDK gets wrong (it leaves out /apps/<id>).
        assert request.path.startswith("/apps/")


def check_publish(ours: HttpRequest, sdk: dict[str, Any], signed: dict[str, Any]) -> None:
    """Same method, path and JSON body as the SDK's; the SDK's signer signs our body as we do."""
    request = sdk["request"]
    assert request["method"] == ours.method
    assert request["target"].split("?")[0] == ours.path
    assert json.loads(request["body"]) == json.loads(ours.body)
    assert signed["query"] == ours.query


def sign_case(app: App, stamp: int, request: HttpRequest) -> dict[str, Any]:
    args = [request.method, request.path, None, request.body.decode()]
    return {"app": sdk_app(app), "timestamp": stamp, "call": "sign", "args": args}


def test_publishes_sign_as_the_node_sdk_does() -> None:
    gen = Generator(SEED + 2)
    cases: list[dict[str, Any]] = []
    ours: list[HttpRequest] = []
    for _ in range(CASES_PER_KIND):
        app, stamp = gen.app(), gen.timestamp()
        presence = gen.random.random() < 0.5
        prefix = "presence-" if presence else gen.random.choice(["", "private-"])
        channels = [gen.name(prefix) for _ in range(gen.random.randint(1, 3))]
        data, info = gen.data(), gen.info(presence)
        socket_id = gen.random.choice([None, gen.socket_id()])
        event = Event.create(
            "ev-" + gen.name(), encode_data(data), channels, socket_id=socket_id, info=info
        )
        request = trigger_request(app, event, timestamp=stamp)
        params = {k: v for k, v in {"socket_id": socket_id, "info": info}.items() if v}
        args = [channels, event.name, data, params]
        cases += [
            {"app": sdk_app(app), "timestamp": stamp, "call": "trigger", "args": args},
            sign_case(app, stamp, request),
        ]
        ours.append(request)

        items = []
        sdk_items = []
        for _ in range(gen.random.randint(1, 10)):
            presence = gen.random.random() < 0.5
            channel = gen.name("presence-" if presence else "")
            data, info = gen.data(), gen.info(presence)
            items.append(BatchEvent.create("b", channel, encode_data(data), info=info))
            sdk_items.append(
                {"name": "b", "channel": channel, "data": data} | ({"info": info} if info else {})
            )
        request = batch_request(app, items, timestamp=stamp)
        cases += [
            {"app": sdk_app(app), "timestamp": stamp, "call": "triggerBatch", "args": [sdk_items]},
            sign_case(app, stamp, request),
        ]
        ours.append(request)

        user, data = gen.name(most=60), gen.data()
        request = trigger_request(
            app, user_event(user, "to-user", encode_data(data)), timestamp=stamp
        )
        cases += [
            {
                "app": sdk_app(app),
                "timestamp": stamp,
                "call": "sendToUser",
                "args": [user, "to-user", data],
            },
            sign_case(app, stamp, request),
        ]
        ours.append(request)
    answers = node_sdk(cases)
    for index, request in enumerate(ours):
        check_publish(request, answers[2 * index], answers[2 * index + 1])


def test_authorizations_are_byte_equal_to_the_node_sdks() -> None:
    gen = Generator(SEED + 3)
    cases: list[dict[str, Any]] = []
    ours: list[str] = []
    for _ in range(CASES_PER_KIND):
        app, socket_id = gen.app(), gen.socket_id()
        kind = gen.random.choice(["private-", "presence-", "private-encrypted-"])
        channel = gen.name(kind)
        channel_data: dict[str, Any] | None = None
        if kind == "presence-":
            channel_data = {"user_id": gen.text(1, 20)}
            if gen.random.random() < 0.7:
                channel_data["user_info"] = gen.object()
        answer = authorize_channel(
            key=app.key,
            secret=app.secret,
            socket_id=socket_id,
            channel=channel,
            channel_data=channel_data,
            master_key=MASTER_KEY,
        )
        ours.append(_json.dumps(answer))
        args: list[Any] = [socket_id, channel] + ([channel_data] if channel_data else [])
        sdk = sdk_app(app, master_key=True)
        cases.append({"app": sdk, "timestamp": 0, "call": "authorizeChannel", "args": args})

        user_data = {"id": gen.name(most=60)} | gen.object()
        answer = authenticate_user(
            key=app.key, secret=app.secret, socket_id=socket_id, user_data=user_data
        )
        ours.append(_json.dumps(answer))
        args = [socket_id, user_data]
        cases.append({"app": sdk, "timestamp": 0, "call": "authenticateUser", "args": args})
    for mine, answer in zip(ours, node_sdk(cases), strict=True):
        assert answer == {"json": mine}


def test_channel_keys_match_the_node_sdks() -> None:
    gen = Generator(SEED + 4)
    channels = [gen.name("private-encrypted-", 150) for _ in range(CASES_PER_KIND)]
    app = sdk_app(App("1", "key", "secret"), master_key=True)
    cases = [
        {"app": app, "timestamp": 0, "call": "channelSharedSecret", "args": [c]} for c in channels
    ]
    for channel, answer in zip(channels, node_sdk(cases), strict=True):
        assert answer == {"base64": base64.b64encode(MASTER_KEY.channel_key(channel)).decode()}


def test_the_node_sdk_opens_what_we_encrypt_and_we_open_what_it_encrypts() -> None:
    gen = Generator(SEED + 5)
    app = App("1", "key", "secret")
    cases: list[dict[str, Any]] = []
    expected: list[str] = []
    for _ in range(CASES_PER_KIND):
        channel, data = gen.name("private-encrypted-"), gen.object()
        text = encode_data(data)
        event = Event.create(
            "e", text, [channel], master_key=MASTER_KEY, nonce=gen.random.randbytes(24)
        )
        sdk = sdk_app(app, master_key=True)
        cases.append({"app": sdk, "timestamp": 0, "call": "open", "args": [channel, event.data]})
        expected.append(text)
        # The SDK encrypts the JSON of the data it is given, with its own random nonce.
        cases.append({"app": sdk, "timestamp": 1, "call": "trigger", "args": [channel, "e", data]})
        expected.append(text)
    answers = node_sdk(cases)
    for index in range(0, len(cases), 2):
        assert answers[index] == {"plaintext": expected[index]}
        body = json.loads(answers[index + 1]["request"]["body"])
        (channel,) = body["channels"]
        envelope = json.loads(body["data"])
        opened = crypto_secretbox_open(
            base64.b64decode(envelope["ciphertext"]),
            base64.b64decode(envelope["nonce"]),
            MASTER_KEY.channel_key(channel),
        )
        assert opened.decode() == expected[index + 1]


def test_the_fixed_vector_opens_with_tweetnacl_and_a_tampered_box_does_not() -> None:
    vector_app = {"appId": "1", "key": "key", "secret": "secret", "masterKeyBase64": KEY_BASE64}
    event = Event.create("e", "{}", ["private-encrypted-a"], master_key=MASTER_KEY, nonce=bytes(24))
    sdk = sdk_app(App("1", "key", "secret"), master_key=True)
    tampered = event.data.replace('"ciphertext":"', '"ciphertext":"AAAA', 1)
    cases = [
        {"app": vector_app, "timestamp": 0, "call": "open", "args": [CHANNEL, VECTOR]},
        {"app": sdk, "timestamp": 0, "call": "open", "args": ["private-encrypted-b", event.data]},
        {"app": sdk, "timestamp": 0, "call": "open", "args": ["private-encrypted-a", tampered]},
        {"app": sdk, "timestamp": 0, "call": "open", "args": ["private-encrypted-a", event.data]},
    ]
    assert node_sdk(cases) == [
        {"plaintext": '{"message":"hello"}'},
        {"plaintext": None},
        {"plaintext": None},
        {"plaintext": "{}"},
    ]
