"""The pure HTTP API rules: authentication (with the published test vector) and events."""

from __future__ import annotations

import pytest

from mesg_pusher._json import dumps
from mesg_pusher.local_server import ApiError, ServerSettings
from mesg_pusher.local_server._api_rules import authenticate, parse_info, read_batch, read_trigger

# The test vector of the Pusher docs (spec/pusher-http-api.md).
KEY = "278d425bdf160c739803"
SECRET = "7ad3773142a6692b25b8"
TIMESTAMP = 1353088179
BODY = b'{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}'
PARAMS = {
    "auth_key": KEY,
    "auth_timestamp": str(TIMESTAMP),
    "auth_version": "1.0",
    "body_md5": "ec365a775a4cd0599faeb73354201b6f",
    "auth_signature": "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c",
}
SETTINGS = ServerSettings()


def check(params: dict[str, str], *, now: float = TIMESTAMP, body: bytes = BODY) -> None:
    authenticate(
        key=KEY,
        secret=SECRET,
        method="POST",
        path="/apps/3/events",
        params=params,
        body=body,
        now=now,
    )


def refusal(params: dict[str, str], **kwargs: object) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        check(params, **kwargs)  # type: ignore[arg-type]
    return caught.value.status, caught.value.message


def test_the_published_vector_is_accepted_within_the_window() -> None:
    check(PARAMS)
    check(PARAMS, now=TIMESTAMP + 599)
    check(PARAMS, now=TIMESTAMP - 599)


def test_a_timestamp_600_s_away_has_expired() -> None:
    status, message = refusal(PARAMS, now=TIMESTAMP + 600)
    assert status == 401
    assert message == (
        "Timestamp expired: Given timestamp (2012-11-16T17:49:39Z) not within 600s "
        "of server time (2012-11-16T17:59:39Z)"
    )


def test_bad_signature_shows_the_string_to_sign_as_pusher_does() -> None:
    status, message = refusal({**PARAMS, "auth_signature": "0" * 64})
    assert status == 401
    assert message == (
        'Invalid signature: you should have sent HmacSHA256Hex("POST\\n/apps/3/events\\n'
        "auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0&"
        'body_md5=ec365a775a4cd0599faeb73354201b6f", your_secret_key), '
        f'but you sent "{"0" * 64}"'
    )


def test_key_version_timestamp_and_md5_rules() -> None:
    assert refusal({**PARAMS, "auth_key": "other"}) == (400, "Unknown auth_key")
    without_key = {k: v for k, v in PARAMS.items() if k != "auth_key"}
    assert refusal(without_key) == (401, "Missing parameter: auth_key")
    assert refusal({**PARAMS, "auth_version": "2.0"}) == (401, "Version not supported")
    no_time = {k: v for k, v in PARAMS.items() if k != "auth_timestamp"}
    assert refusal(no_time) == (401, "Timestamp required")
    # The signature covers body_md5, but the body must also have that MD5.
    assert refusal(PARAMS, body=BODY + b" ") == (401, "body_md5 does not match")


def test_not_a_number_timestamp_reads_as_zero_and_has_expired() -> None:
    status, message = refusal({**PARAMS, "auth_timestamp": "soon"})
    assert status == 401
    assert message.startswith("Timestamp expired: Given timestamp (1970-01-01T00:00:00Z)")


@pytest.mark.parametrize("digits", ["9" * 5000, "-" + "1" * 5000, "1" * 19, "2" * 4299])
def test_a_timestamp_of_any_length_has_expired_with_a_short_message(digits: str) -> None:
    status, message = refusal({**PARAMS, "auth_timestamp": digits})
    assert status == 401
    assert message.startswith("Timestamp expired: Given timestamp (")
    assert message.endswith("not within 600s of server time (2012-11-16T17:49:39Z)")
    assert len(message) < 200


def body(**fields: object) -> bytes:
    return dumps(fields).encode()


def refused(raw: bytes, batch: bool = False) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        (read_batch if batch else read_trigger)(raw, SETTINGS)
    return caught.value.status, caught.value.message


def test_trigger_reads_channel_or_channels() -> None:
    one = read_trigger(body(name="e", channel="c", data="d", socket_id="1.2"), SETTINGS)
    assert (one.name, one.channels, one.data, one.socket_id) == ("e", ("c",), "d", "1.2")
    many = read_trigger(body(name="e", channels=["a", "b"], data="", info="user_count"), SETTINGS)
    assert many.channels == ("a", "b")
    assert many.info == {"user_count"}


def test_trigger_refusals() -> None:
    assert refused(b"{") == (400, "Request body is not valid JSON")
    assert refused(body(name=1, channel="c", data="d")) == (
        400,
        "Expected name parameter to be a string",
    )
    assert refused(body(name="e", channel="c", data={"a": 1}))[0] == 400
    assert refused(body(name="e", data="d"))[0] == 400
    status, message = refused(body(name="e", channel="a b", data="d"))
    assert status == 400
    assert message.startswith('Invalid channel name: channel: channel name "a b" has the forbidden')
    assert refused(body(name="e", channels=[f"c{i}" for i in range(101)], data="d")) == (
        400,
        "Too many channels: an event goes to at most 100 channels (got 101)",
    )
    assert refused(body(name="e", channel="c", data="x" * 10241)) == (
        413,
        "The data content of this event exceeds the allowed maximum (10240 bytes).",
    )
    assert refused(body(name="e", channel="c", data="d", socket_id="12"))[0] == 400
    assert refused(body(name="e" * 201, channel="c", data="d"))[0] == 400
    assert refused(body(name="e", channels=["private-encrypted-a", "b"], data="d"))[0] == 400


def test_data_size_counts_utf8_bytes() -> None:
    read_trigger(body(name="e", channel="c", data="é" * 5120), SETTINGS)  # 10240 bytes
    assert refused(body(name="e", channel="c", data="é" * 5120 + "x"))[0] == 413


def test_batch_limits_and_item_paths() -> None:
    events = [{"name": "e", "channel": f"c{i}", "data": "d"} for i in range(11)]
    assert refused(body(batch=events), batch=True) == (
        400,
        "Batch too large: a batch holds at most 10 events (got 11)",
    )
    assert len(read_batch(body(batch=events[:10]), SETTINGS)) == 10
    bad = [*events[:2], {"name": "e", "channel": "c", "data": 5}]
    assert refused(body(batch=bad), batch=True) == (
        400,
        "Expected batch[2].data parameter to be a string",
    )
    bigger = ServerSettings(max_batch_events=20, max_data_bytes=20000)
    assert len(read_batch(body(batch=events), bigger)) == 11
    assert read_trigger(body(name="e", channel="c", data="x" * 20000), bigger).data


def test_info_attributes() -> None:
    assert parse_info("subscription_count, user_count") == {"subscription_count", "user_count"}
    with pytest.raises(ApiError, match="unknown attribute 'members'"):
        parse_info("members")
