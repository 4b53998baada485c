"""`PusherClient` as a Python program uses it: every call of the server API through a recording
transport, settings from a URL and from the environment, errors in Pusher's words with their
status and body, and the official Python SDK agreeing on every signature."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import parse_qsl

import pusher as official
import pytest
from nacl.bindings import crypto_secretbox_open

from mesg_pusher import InputError, PusherConnectionError, PusherHTTPError
from mesg_pusher.pusher import (
    Connection,
    HttpRequest,
    InvalidWebhook,
    MockTransport,
    PusherClient,
    channel_auth,
    sign_request,
    verify_signature,
    webhook_signature,
)

APP: dict[str, Any] = {
    "app_id": "3",
    "key": "278d425bdf160c739803",
    "secret": "7ad3773142a6692b25b8",
}
NOW = 1_700_000_000.0
MASTER_KEY = base64.b64encode(bytes(range(32))).decode()
Answer = tuple[int, bytes]


def recording(answer: Answer = (200, b"{}")) -> MockTransport:
    return MockTransport(lambda connection, request: answer)


def make(transport: MockTransport, **settings: Any) -> PusherClient:
    return PusherClient(**APP, transport=transport, clock=lambda: NOW, **settings)


def params_of(request: HttpRequest) -> dict[str, str]:
    return dict(parse_qsl(request.query, keep_blank_values=True))


def sent(transport: MockTransport) -> tuple[Connection, HttpRequest]:
    *_, last = transport.sent
    return last


def test_tls_is_the_default_and_every_setting_has_pushers_name() -> None:
    client = make(recording())
    assert (client.connection.scheme, client.connection.host, client.connection.port) == (
        "https",
        "api.pusherapp.com",
        443,
    )
    assert client.connection.keep_alive is True
    assert make(recording(), cluster="eu", tls=False).connection.base_url == (
        "http://api-eu.pusher.com:80"
    )
    refused: list[tuple[dict[str, Any], str]] = [
        ({"app_id": "a b"}, "app_id"),
        ({"timeout_ms": 0}, "timeout_ms"),
        ({"encryption_master_key": "c2hvcnQ="}, "encryption_master_key"),
        ({"port": 0}, "port"),
    ]
    for settings, name in refused:
        with pytest.raises(InputError) as caught:
            PusherClient(**(APP | settings), transport=recording())
        assert caught.value.input == name


async def test_trigger_sends_the_event_with_socket_id_and_info() -> None:
    transport = recording((200, b'{"channels":{"presence-a":{"subscription_count":2}}}'))
    answer = await make(transport).trigger(
        ["presence-a", "b"], "ev", {"n": 1}, socket_id="123.456", info=["subscription_count"]
    )
    assert answer == {"channels": {"presence-a": {"subscription_count": 2}}}
    _connection, request = sent(transport)
    assert (request.method, request.path) == ("POST", "/apps/3/events")
    assert json.loads(request.body) == {
        "name": "ev",
        "channels": ["presence-a", "b"],
        "data": '{"n":1}',
        "socket_id": "123.456",
        "info": "subscription_count",
    }
    assert params_of(request)["auth_timestamp"] == str(int(NOW))
    assert verify_signature(APP["secret"], "POST", request.path, params_of(request))


async def test_trigger_batch_takes_the_sdks_dicts() -> None:
    transport = recording()
    batch: list[dict[str, Any]] = [
        {"channel": "a", "name": "one", "data": {"x": 1}},
        {"channel": "b", "name": "two", "data": "text", "socket_id": "1.2", "info": "user_count"},
    ]
    with pytest.raises(InputError) as caught:
        await make(transport).trigger_batch(batch)  # user_count on a public channel
    assert caught.value.input == "batch[1].info"
    batch[1]["info"] = "subscription_count"
    assert await make(transport).trigger_batch(batch) == {}
    _, request = sent(transport)
    assert request.path == "/apps/3/batch_events"
    assert json.loads(request.body)["batch"][0] == {
        "name": "one",
        "channel": "a",
        "data": '{"x":1}',
    }
    assert batch[0] == {"channel": "a", "name": "one", "data": {"x": 1}}  # the caller's, as given
    # `info` as a list of names, as `trigger` takes it.
    batch[1]["info"] = ["subscription_count"]
    assert await make(transport).trigger_batch(batch) == {}
    assert json.loads(sent(transport)[1].body)["batch"][1]["info"] == "subscription_count"
    assert batch[1]["info"] == ["subscription_count"]
    batch[1]["info"] = [1]
    with pytest.raises(InputError) as caught:
        await make(transport).trigger_batch(batch)
    assert caught.value.input == "batch[1].info"


async def test_data_json_cannot_carry_is_an_input_error() -> None:
    transport = recording()
    for data in ({"t": b"xx"}, {"s": {1, 2}}, {"n": float("nan")}):
        with pytest.raises(InputError) as caught:
            await make(transport).trigger("c", "n", data)
        assert caught.value.input == "data"
        assert "event data cannot be written as JSON" in str(caught.value)
    with pytest.raises(InputError) as caught:
        await make(transport).trigger_batch([{"channel": "c", "name": "n", "data": [b"x"]}])
    assert caught.value.input == "batch[0].data"
    assert transport.sent == []


async def test_the_queries_and_the_user_calls() -> None:
    answers = {
        "/apps/3/channels": b'{"channels":{"presence-a":{"user_count":1}}}',
        "/apps/3/channels/presence-a": b'{"occupied":true,"user_count":1}',
        "/apps/3/channels/presence-a/users": b'{"users":[{"id":"ada"}]}',
    }
    transport = MockTransport(lambda c, r: (200, answers.get(r.path, b"{}")))
    client = make(transport)
    assert await client.channels(filter_by_prefix="presence-", info="user_count") == {
        "channels": {"presence-a": {"user_count": 1}}
    }
    assert params_of(sent(transport)[1])["filter_by_prefix"] == "presence-"
    assert await client.channel("presence-a", info=["user_count"]) == {
        "occupied": True,
        "user_count": 1,
    }
    assert await client.users("presence-a") == {"users": [{"id": "ada"}]}
    assert await client.send_to_user("ada", "hello", {"n": 1}) == {}
    assert json.loads(sent(transport)[1].body)["channels"] == ["#server-to-user-ada"]
    assert await client.terminate_user_connections("ada") == {}
    assert sent(transport)[1].path == "/apps/3/users/ada/terminate_connections"
    with pytest.raises(InputError) as caught:
        await client.users("public")
    assert caught.value.input == "channel"
    with pytest.raises(InputError) as caught:
        await client.send_to_user("a b", "e", "x")
    assert caught.value.input == "user_id"


async def test_errors_carry_status_and_body() -> None:
    body = b"The data content of this event exceeds the allowed maximum (10240 bytes)"
    client = make(recording((413, body)))
    with pytest.raises(PusherHTTPError) as caught:
        await client.trigger("a", "e", "x")
    assert (caught.value.status, caught.value.body) == (413, body)
    assert str(caught.value).startswith("Pusher answered 413 Request Entity Too Large: The data")

    def refuse(connection: Connection, request: HttpRequest) -> Answer:
        raise PusherConnectionError(connection.base_url, "could not connect: refused", sent=False)

    with pytest.raises(PusherConnectionError) as failed:
        await make(MockTransport(refuse)).trigger("a", "e", "x")
    assert failed.value.sent is False


async def test_private_encrypted_events_are_sealed_with_the_channels_key() -> None:
    transport = recording()
    client = make(transport, encryption_master_key=MASTER_KEY, nonce=lambda: bytes(24))
    await client.trigger("private-encrypted-room", "e", {"secret": "plan"})
    envelope = json.loads(json.loads(sent(transport)[1].body)["data"])
    channel_key = hashlib.sha256(b"private-encrypted-room" + bytes(range(32))).digest()
    opened = crypto_secretbox_open(
        base64.b64decode(envelope["ciphertext"]), base64.b64decode(envelope["nonce"]), channel_key
    )
    assert json.loads(opened) == {"secret": "plan"}
    authorization = client.authorize_channel("private-encrypted-room", "1.2")
    assert base64.b64decode(authorization["shared_secret"]) == channel_key
    with pytest.raises(InputError) as caught:
        await make(recording()).trigger("private-encrypted-room", "e", "x")
    assert caught.value.rule.endswith("give encryption_master_key")


def test_from_url_reads_the_sdks_form() -> None:
    client = PusherClient.from_url(
        f"http://{APP['key']}:{APP['secret']}@127.0.0.1:6001/apps/3", transport=recording()
    )
    assert client.app.app_id == "3"
    assert client.connection.base_url == "http://127.0.0.1:6001"
    with pytest.raises(InputError) as caught:
        PusherClient.from_url(f"ftp://k:{APP['secret']}@h/apps/1")
    assert caught.value.input == "url"
    assert APP["secret"] not in str(caught.value)
    with pytest.raises(ValueError, match="given by the URL"):
        PusherClient.from_url(f"https://k:{APP['secret']}@h/apps/1", host="other")


def test_from_env_leaves_the_services_sending_settings_aside() -> None:
    environ = {
        "PUSHER_URL": f"http://{APP['key']}:{APP['secret']}@127.0.0.1:6001/apps/3",
        "PUSHER_RETRIES": "5",
        "PUSHER_MAX_DATA_BYTES": "20000",
        "PUSHER_MAX_BATCH_EVENTS": "20",
    }
    client = PusherClient.from_env(environ, transport=recording())
    assert client.connection.base_url == "http://127.0.0.1:6001"
    with pytest.raises(InputError, match="PUSHER_RETRIES: a whole number from 0 to 10"):
        PusherClient.from_env({**environ, "PUSHER_RETRIES": "many"})


def test_from_env_reads_the_variables_and_the_url() -> None:
    environ = {
        "PUSHER_URL": f"http://{APP['key']}:{APP['secret']}@127.0.0.1:6001/apps/3",
        "PUSHER_TIMEOUT": "2500",
        "PUSHER_ENCRYPTION_MASTER_KEY_BASE64": MASTER_KEY,
    }
    client = PusherClient.from_env(environ, transport=recording())
    assert client.connection.base_url == "http://127.0.0.1:6001"
    assert client.connection.timeout_ms == 2500
    assert client.master_key is not None
    # A keyword wins over the environment; the cluster chooses the endpoint over the URL's.
    chosen = PusherClient.from_env(environ, cluster="eu", transport=recording())
    assert chosen.connection.base_url == "https://api-eu.pusher.com:443"
    with pytest.raises(InputError) as caught:
        PusherClient.from_env({"PUSHER_APP_KEY": "k"})
    assert str(caught.value) == (
        "app_id: is required: give app_id, or set PUSHER_APP_ID or PUSHER_URL"
    )
    with pytest.raises(InputError) as caught:
        PusherClient.from_env({**environ, "PUSHER_PORT": "http"})
    assert caught.value.input == "PUSHER_PORT"


def test_browser_authorizations_are_the_official_sdks() -> None:
    client = make(recording())
    sdk = official.Pusher(**APP)
    assert client.authorize_channel("private-a", "1234.5678") == sdk.authenticate(
        "private-a", "1234.5678"
    )
    member = {"user_id": "ada", "user_info": {"name": "Ada"}}
    ours = client.authorize_channel("presence-a", "1234.5678", channel_data=member)
    theirs = sdk.authenticate("presence-a", "1234.5678", member)
    assert json.loads(ours["channel_data"]) == json.loads(theirs["channel_data"])
    # Each signs its own channel_data text (the SDK writes JSON with spaces): the same rule.
    assert theirs["auth"] == channel_auth(
        key=APP["key"],
        secret=APP["secret"],
        socket_id="1234.5678",
        channel="presence-a",
        channel_data=theirs["channel_data"],
    )
    user = {"id": "ada", "name": "Ada"}
    signed_in = client.authenticate_user("1234.5678", user)
    assert json.loads(signed_in["user_data"]) == user


def test_webhooks_are_verified_as_the_sdk_verifies_them() -> None:
    client = make(recording())
    sdk = official.Pusher(**APP)
    body = json.dumps({"time_ms": int(NOW * 1000), "events": [{"name": "channel_occupied"}]})
    signature = webhook_signature(APP["secret"], body.encode())
    assert client.verify_webhook(APP["key"], signature, body) == json.loads(body)
    for key, given, text, reason in [
        ("other-key", signature, body, "not this app's key"),
        (APP["key"], "0" * 64, body, "does not sign this body"),
        (APP["key"], None, body, "X-Pusher-Signature is missing"),
        (APP["key"], webhook_signature(APP["secret"], b"[]"), "[]", "not a JSON object"),
    ]:
        with pytest.raises(InvalidWebhook, match=reason):
            client.verify_webhook(key, given, text)
    old = json.dumps({"time_ms": int(NOW * 1000) - 301_000, "events": []})
    with pytest.raises(InvalidWebhook, match="more than 300 s"):
        client.verify_webhook(APP["key"], webhook_signature(APP["secret"], old.encode()), old)
    # The SDK reads its own clock: it accepts what we accept, made now.
    fresh = PusherClient(**APP, transport=recording())
    now_body = json.dumps({"time_ms": int(fresh._clock() * 1000), "events": []})
    now_signature = webhook_signature(APP["secret"], now_body.encode())
    assert sdk.validate_webhook(APP["key"], now_signature, now_body) == json.loads(now_body)
    assert fresh.verify_webhook(APP["key"], now_signature, now_body) == json.loads(now_body)


async def test_the_official_sdk_signs_the_same_request_byte_for_byte() -> None:
    sdk = official.Pusher(**APP)
    theirs = sdk._pusher_client.trigger.make_request(["a", "b"], "ev", "payload", "123.456")
    transport = recording()
    client = PusherClient(
        **APP, transport=transport, clock=lambda: float(theirs.query_params["auth_timestamp"])
    )
    await client.trigger(["a", "b"], "ev", "payload", socket_id="123.456")
    _, mine = sent(transport)
    assert json.loads(mine.body) == json.loads(theirs.body)
    # The same bytes signed at the same time: every parameter, the signature included.
    query = sign_request(
        key=APP["key"],
        secret=APP["secret"],
        method="POST",
        path=theirs.path,
        timestamp=int(theirs.query_params["auth_timestamp"]),
        body=theirs.body,
    )
    assert dict(parse_qsl(query)) == theirs.query_params
    assert params_of(mine)["auth_timestamp"] == theirs.query_params["auth_timestamp"]
