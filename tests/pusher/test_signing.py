"""Signing: the published vector, and the official Python SDK signing the same requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import string

import pusher as official
import pytest

from mesg_pusher.pusher import (
    App,
    Event,
    body_md5,
    channel_auth,
    channel_auth_string,
    encode_data,
    same_signature,
    sign_request,
    string_to_sign,
    trigger_request,
    user_auth,
    user_auth_string,
    verify_signature,
    webhook_signature,
)

VECTOR_APP = App("3", "278d425bdf160c739803", "7ad3773142a6692b25b8")
VECTOR_TIMESTAMP = 1353088179
VECTOR_BODY = b'{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}'
VECTOR_MD5 = "ec365a775a4cd0599faeb73354201b6f"
VECTOR_SIGNATURE = "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"


def test_published_vector() -> None:
    query = sign_request(
        key=VECTOR_APP.key,
        secret=VECTOR_APP.secret,
        method="POST",
        path="/apps/3/events",
        timestamp=VECTOR_TIMESTAMP,
        body=VECTOR_BODY,
    )
    assert query == (
        "auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0"
        f"&body_md5={VECTOR_MD5}&auth_signature={VECTOR_SIGNATURE}"
    )


def test_trigger_request_reproduces_the_vector_byte_for_byte() -> None:
    event = Event("foo", encode_data({"some": "data"}), ("project-3",))
    request = trigger_request(VECTOR_APP, event, timestamp=VECTOR_TIMESTAMP)
    assert request.method == "POST"
    assert request.path == "/apps/3/events"
    assert request.body == VECTOR_BODY
    assert request.query.endswith(f"body_md5={VECTOR_MD5}&auth_signature={VECTOR_SIGNATURE}")


def test_verify_signature_accepts_the_vector_and_refuses_changes() -> None:
    params = dict(
        pair.split("=", 1)
        for pair in sign_request(
            key=VECTOR_APP.key,
            secret=VECTOR_APP.secret,
            method="POST",
            path="/apps/3/events",
            timestamp=VECTOR_TIMESTAMP,
            body=VECTOR_BODY,
        ).split("&")
    )
    assert verify_signature(VECTOR_APP.secret, "POST", "/apps/3/events", params)
    assert not verify_signature("other-secret", "POST", "/apps/3/events", params)
    assert not verify_signature(VECTOR_APP.secret, "POST", "/apps/4/events", params)
    assert not verify_signature(VECTOR_APP.secret, "POST", "/apps/3/events", {**params, "x": "1"})
    assert not verify_signature(
        VECTOR_APP.secret, "POST", "/apps/3/events", {**params, "auth_signature": "é"}
    )


def test_string_to_sign_lower_cases_and_sorts_keys_and_leaves_out_the_signature() -> None:
    text = string_to_sign(
        "get", "/apps/1/channels", {"Zeta": "1", "alpha": "a,b", "auth_signature": "x"}
    )
    assert text == "GET\n/apps/1/channels\nalpha=a,b&zeta=1"


def test_body_md5_is_lower_case_hex_of_the_exact_bytes() -> None:
    assert body_md5(VECTOR_BODY) == VECTOR_MD5
    assert body_md5(b"") == hashlib.md5(b"").hexdigest()


def _random_text(rng: random.Random, alphabet: str, low: int, high: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))


CHANNEL_ALPHABET = string.ascii_letters + string.digits + "_-=@,.;"
TEXT_ALPHABET = string.printable + "éü€漢字😀\u2028"


@pytest.mark.parametrize("seed", range(200))
def test_signatures_match_the_official_sdk(seed: int) -> None:
    """The official SDK builds and signs a request (its own clock, its own JSON); signing the same
    body at the same timestamp with our code must give the same query string, byte for byte."""
    rng = random.Random(seed)
    app_id = str(rng.randint(1, 10**7))
    key = _random_text(rng, string.ascii_lowercase + string.digits, 1, 40)
    secret = _random_text(rng, string.ascii_letters + string.digits + "!$%&", 1, 40)
    client = official.Pusher(app_id=app_id, key=key, secret=secret)
    channels = [_random_text(rng, CHANNEL_ALPHABET, 1, 30) for _ in range(rng.randint(1, 5))]
    name = _random_text(rng, TEXT_ALPHABET, 1, 50)
    data = {"text": _random_text(rng, TEXT_ALPHABET, 0, 200), "n": rng.randint(-(10**9), 10**9)}
    socket_id = f"{rng.randint(1, 10**6)}.{rng.randint(1, 10**6)}" if rng.random() < 0.5 else None

    if rng.random() < 0.7:
        sdk = client._pusher_client.trigger.make_request(channels, name, data, socket_id)
    else:
        batch = [{"channel": c, "name": name, "data": json.dumps(data)} for c in channels]
        sdk = client._pusher_client.trigger_batch.make_request(batch)

    ours = sign_request(
        key=key,
        secret=secret,
        method=sdk.method,
        path=sdk.path,
        timestamp=int(sdk.query_params["auth_timestamp"]),
        body=sdk.body,
    )
    assert _pairs(ours) == _pairs(sdk.query_string)
    assert verify_signature(secret, sdk.method, sdk.path, sdk.query_params)


def _pairs(query: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in query.split("&"))


@pytest.mark.parametrize("seed", range(50))
def test_channel_auth_matches_the_official_sdk(seed: int) -> None:
    rng = random.Random(seed)
    key = _random_text(rng, string.ascii_lowercase + string.digits, 5, 20)
    secret = _random_text(rng, string.ascii_letters + string.digits, 5, 40)
    client = official.Pusher(app_id="1", key=key, secret=secret)
    socket_id = f"{rng.randint(1, 10**6)}.{rng.randint(1, 10**6)}"
    channel = "private-" + _random_text(rng, CHANNEL_ALPHABET, 1, 30)
    expected = client.authenticate(channel=channel, socket_id=socket_id)
    assert (
        channel_auth(key=key, secret=secret, socket_id=socket_id, channel=channel)
        == (expected["auth"])
    )
    presence = "presence-" + _random_text(rng, CHANNEL_ALPHABET, 1, 30)
    member = {"user_id": str(rng.randint(1, 999)), "user_info": {"name": "Zoë"}}
    expected = client.authenticate(channel=presence, socket_id=socket_id, custom_data=member)
    assert (
        channel_auth(
            key=key,
            secret=secret,
            socket_id=socket_id,
            channel=presence,
            channel_data=expected["channel_data"],
        )
        == expected["auth"]
    )


def test_user_auth_signs_the_documented_string() -> None:
    user_data = '{"id":"42"}'
    expected = hmac.new(b"s", b"1.2::user::" + user_data.encode(), hashlib.sha256).hexdigest()
    assert user_auth(key="k", secret="s", socket_id="1.2", user_data=user_data) == f"k:{expected}"


def test_the_auth_strings_are_the_documented_ones() -> None:
    assert channel_auth_string("1.2", "private-a") == "1.2:private-a"
    assert channel_auth_string("1.2", "presence-a", '{"user_id":"u"}') == (
        '1.2:presence-a:{"user_id":"u"}'
    )
    assert channel_auth_string("1.2", "presence-a", "") == "1.2:presence-a:"
    assert user_auth_string("1.2", '{"id":"42"}') == '1.2::user::{"id":"42"}'


#: A webhook's body and its X-Pusher-Signature, computed with
#: `openssl dgst -sha256 -hmac 7ad3773142a6692b25b8` over the body.
WEBHOOK_BODY = (
    b'{"time_ms":1327078148132,"events":[{"name":"channel_occupied","channel":"test_channel"}]}'
)
WEBHOOK_SIGNATURE = "709fdb84c03664445f7698120b0edf0acc1ab1c8c6e93a0368c61841d6b998aa"


def test_webhook_signature_matches_a_vector_computed_by_openssl() -> None:
    assert webhook_signature(VECTOR_APP.secret, WEBHOOK_BODY) == WEBHOOK_SIGNATURE


@pytest.mark.parametrize(
    "body", [b"", b"{}", "é ünïcode ✓".encode(), b"\xff\xfe not utf-8", b"x" * 100_000]
)
def test_webhook_signature_is_the_hmac_of_the_raw_bytes(body: bytes) -> None:
    for secret in (VECTOR_APP.secret, "sécret"):
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert webhook_signature(secret, body) == expected


@pytest.mark.parametrize(
    ("given", "same"),
    [
        (WEBHOOK_SIGNATURE, True),
        (WEBHOOK_SIGNATURE.upper(), False),
        (WEBHOOK_SIGNATURE[:-1], False),
        ("", False),
        ("é" * 64, False),
        ("\udcff" * 64, False),  # undecodable header bytes: no exception
    ],
)
def test_same_signature_compares_any_text_without_raising(given: str, same: bool) -> None:
    assert same_signature(WEBHOOK_SIGNATURE, given) is same
