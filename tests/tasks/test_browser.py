"""``authorizeChannel`` and ``authenticateUser``: no network call, only the key and the secret
needed, the answer exactly what the pure core (cross-checked with the official SDKs in
tests/pusher) gives, and every bad input named."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest

from mesg_pusher.pusher import MasterKey, MockTransport, authenticate_user, authorize_channel
from mesg_pusher.tasks import TaskOutput, TaskRunner
from tests.pusher.test_node_sdk import node_sdk
from tests.tasks.conftest import DROP, SECRET, accept, inputs_for, sent_by

KEY = "278d425bdf160c739803"
MASTER_KEY = base64.b64encode(bytes(range(40, 72))).decode()


async def answer(runner: TaskRunner, task: str, **changes: Any) -> TaskOutput:
    output = await runner.execute(task, json.dumps(inputs_for(task, **changes)))
    assert sent_by(runner) == []  # never a network call
    return output


async def test_a_private_channel(runner: TaskRunner) -> None:
    output = await answer(runner, "authorizeChannel")
    expected = authorize_channel(
        key=KEY, secret=SECRET, socket_id="1234.5678", channel="private-room"
    )
    assert output == TaskOutput("success", expected)
    assert list(output.data) == ["auth"]
    assert output.data["auth"].startswith(f"{KEY}:")


async def test_a_presence_channel_gets_its_channel_data_signed(runner: TaskRunner) -> None:
    member = {"user_id": "ada", "user_info": {"name": "Ada Lovelace", "tags": ["é", 1.0]}}
    output = await answer(runner, "authorizeChannel", channel="presence-room", channel_data=member)
    assert output.data == authorize_channel(
        key=KEY, secret=SECRET, socket_id="1234.5678", channel="presence-room", channel_data=member
    )
    assert (
        output.data["channel_data"]
        == '{"user_id":"ada","user_info":{"name":"Ada Lovelace","tags":["é",1]}}'
    )
    assert list(output.data) == ["channel_data", "auth"]


async def test_an_encrypted_channel_gets_its_shared_secret(runner: TaskRunner) -> None:
    channel = "private-encrypted-room"
    output = await answer(
        runner, "authorizeChannel", channel=channel, encryptionMasterKey=MASTER_KEY
    )
    key = MasterKey.from_base64(MASTER_KEY)
    assert output.data["shared_secret"] == base64.b64encode(key.channel_key(channel)).decode()
    assert output.data == authorize_channel(
        key=KEY, secret=SECRET, socket_id="1234.5678", channel=channel, master_key=key
    )
    assert MASTER_KEY not in output.json()


async def test_a_user_signs_in(runner: TaskRunner) -> None:
    user = {"id": "ada", "user_info": {"name": "Ada"}, "watchlist": ["bob"]}
    output = await answer(runner, "authenticateUser", user_data=user)
    assert output == TaskOutput(
        "success", authenticate_user(key=KEY, secret=SECRET, socket_id="1234.5678", user_data=user)
    )
    assert output.data["user_data"] == '{"id":"ada","user_info":{"name":"Ada"},"watchlist":["bob"]}'


@pytest.mark.parametrize("task", ["authorizeChannel", "authenticateUser"])
async def test_only_the_key_and_the_secret_are_needed(runner: TaskRunner, task: str) -> None:
    # No appId, no host: and given ones (an engine passes what the workflow has) are ignored.
    assert (await answer(runner, task)).key == "success"
    output = await answer(runner, task, appId="not an app id!", host="http://x", port="80")
    assert output.key == "success"
    for missing, variable in (("key", "PUSHER_APP_KEY"), ("secret", "PUSHER_APP_SECRET")):
        output = await answer(runner, task, **{missing: DROP})
        assert output.data["error"] == (
            f"{missing}: is required: give the input {missing}, or set {variable} or "
            "PUSHER_URL in the service's environment"
        )


BAD_AUTHORIZATIONS = [
    ({"socket_id": "1234"}, 'socket_id: a socket id looks like "1234.5678"'),
    ({"channel": "public-room"}, "channel: only private- and presence- channels are authorized"),
    ({"channel": "private room"}, 'channel: channel name "private room" has the forbidden'),
    (
        {"channel": "presence-room"},
        "channel_data: is required for a presence- channel: an object with user_id",
    ),
    (
        {"channel": "presence-room", "channel_data": {"user_info": {}}},
        "channel_data.user_id: is required: a string (or a number) naming the member",
    ),
    (
        {"channel": "presence-room", "channel_data": [{"user_id": "1"}]},
        "channel_data: channel_data is an object with user_id and optional user_info",
    ),
    (
        {"channel": "presence-room", "channel_data": {"user_id": "a", "user_info": "x" * 1100}},
        "channel_data.user_info: user_info is at most 1024 bytes of JSON",
    ),
    (
        {"channel_data": {"user_id": "ada"}},
        "channel_data: channel_data is for presence- channels only (their members)",
    ),
    (
        {"channel": "private-encrypted-room"},
        "encryptionMasterKey: is required to authorize a private-encrypted- channel",
    ),
    (
        {"channel": "private-encrypted-room", "encryptionMasterKey": "c2hvcnQ="},
        "encryptionMasterKey: an encryption master key is 32 bytes written in standard "
        "base64 (44 characters of A-Z a-z 0-9 + / ending in =); this one decodes to 5 bytes",
    ),
    (
        {"channel": "private-encrypted-room", "encryptionMasterKey": "not base64!"},
        "encryptionMasterKey: an encryption master key is 32 bytes written in standard "
        "base64 (44 characters of A-Z a-z 0-9 + / ending in =); this is not valid base64",
    ),
    (
        {"socket_id": 1234.5678},
        "Inputs of task 'authorizeChannel' are invalid. Value of 'socket_id' is not a string",
    ),
    (
        {"channel_data": "ada"},
        "Inputs of task 'authorizeChannel' are invalid. Value of 'channel_data' is not an "
        "object or array",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("changes", "expected"), BAD_AUTHORIZATIONS)
async def test_every_bad_authorization_input_is_named(
    runner: TaskRunner, changes: dict[str, Any], expected: str
) -> None:
    output = await answer(runner, "authorizeChannel", **changes)
    assert output.key == "error"
    assert output.data["error"].startswith(expected)


BAD_SIGN_INS = [
    (
        {"user_data": {"name": "Ada"}},
        "user_data.id: is required: a non-empty string naming the user",
    ),
    ({"user_data": {"id": ""}}, "user_data.id: must be a non-empty string naming the user"),
    (
        {"user_data": {"id": 42}},
        "user_data.id: must be a string, not a number: pusher-js drops a sign-in whose id is a "
        "number",
    ),
    ({"user_data": {"id": "a b"}}, 'user_data.id: user id "a b" has the forbidden character " "'),
    ({"user_data": ["ada"]}, "user_data: user_data is an object with the user's id"),
    (
        {"user_data": DROP},
        "Inputs of task 'authenticateUser' are invalid. Value of 'user_data' is required",
    ),
    ({"socket_id": "x.1"}, 'socket_id: a socket id looks like "1234.5678"'),
]


@pytest.mark.parametrize(("changes", "expected"), BAD_SIGN_INS)
async def test_every_bad_sign_in_input_is_named(
    runner: TaskRunner, changes: dict[str, Any], expected: str
) -> None:
    output = await answer(runner, "authenticateUser", **changes)
    assert output.key == "error"
    assert output.data["error"].startswith(expected)


@pytest.mark.parametrize(
    ("task", "changes", "where"),
    [
        (
            "authenticateUser",
            {"user_data": {"id": "ada", "note": f"is {SECRET}"}},
            "user_data.note",
        ),
        # A run of it, or its base64 form: refused before the answer is made, naming the place.
        ("authenticateUser", {"user_data": {"id": "ada", "n": SECRET[2:12]}}, "user_data.n"),
        (
            "authenticateUser",
            {"user_data": {"id": "ada", "n": base64.b64encode(SECRET.encode()).decode()}},
            "user_data.n",
        ),
        (
            "authorizeChannel",
            {"channel": "presence-r", "channel_data": {"user_id": "a", "user_info": SECRET[:9]}},
            "channel_data.user_info",
        ),
        (
            "authorizeChannel",
            {
                "channel": "private-encrypted-r",
                "encryptionMasterKey": MASTER_KEY,
                "socket_id": "1.2",
                "channel_data": {"k": MASTER_KEY},
            },
            "channel_data.k",
        ),
    ],
)
async def test_an_answer_never_shows_part_of_a_secret(
    runner: TaskRunner, caplog: Any, task: str, changes: dict[str, Any], where: str
) -> None:
    caplog.set_level(logging.DEBUG)
    output = await answer(runner, task, **changes)
    assert output.key == "error", output
    assert output.data["error"].startswith(f"{where}: holds ")
    for secret in (SECRET, MASTER_KEY):
        assert secret[:8] not in output.json()
        assert secret[:8] not in caplog.text


@pytest.mark.integration
async def test_the_outputs_are_byte_equal_to_the_official_node_sdks(runner: TaskRunner) -> None:
    """What the service submits (the output's JSON) is what the Node SDK's authorizeChannel and
    authenticateUser give pusher-js, byte for byte."""
    sdk = {"appId": "3", "key": KEY, "secret": SECRET, "masterKeyBase64": MASTER_KEY}
    member = {"user_id": "ada", "user_info": {"name": "Ada €", "n": [1.5, 2.0, 1e21], "q": '"'}}
    cases: list[tuple[str, dict[str, Any], list[Any]]] = [
        ("authorizeChannel", {"channel": "private-room"}, ["1234.5678", "private-room"]),
        (
            "authorizeChannel",
            {"channel": "presence-room", "channel_data": member},
            ["1234.5678", "presence-room", member],
        ),
        (
            "authorizeChannel",
            {"channel": "private-encrypted-room", "encryptionMasterKey": MASTER_KEY},
            ["1234.5678", "private-encrypted-room"],
        ),
        (
            "authenticateUser",
            {"user_data": {"id": "ada", "user_info": {"emoji": "\U0001f600\u2028"}}},
            ["1234.5678", {"id": "ada", "user_info": {"emoji": "\U0001f600\u2028"}}],
        ),
    ]
    ours = [(await answer(runner, task, **changes)).json() for task, changes, _ in cases]
    theirs = node_sdk(
        [{"app": sdk, "timestamp": 0, "call": task, "args": args} for task, _, args in cases]
    )
    assert theirs == [{"json": text} for text in ours]


class Notes:
    """A memory of signed members, as serve's: what was noted, in order."""

    def __init__(self) -> None:
        self.noted: list[tuple[str, str, str, float]] = []

    def note(self, key: str, channel: str, channel_data: str, at_ms: float) -> None:
        self.noted.append((key, channel, channel_data, at_ms))


async def test_a_presence_authorization_notes_the_channel_data_it_signed() -> None:
    notes = Notes()
    runner = TaskRunner(MockTransport(accept), clock=lambda: 1_700_000_000.9, members=notes)
    data = {"user_id": "ada", "user_info": {"name": "Ada"}}
    inputs = inputs_for("authorizeChannel", channel="presence-room", channel_data=data)
    output = await runner.execute("authorizeChannel", inputs)
    assert output.key == "success"
    assert notes.noted == [
        (inputs["key"], "presence-room", output.data["channel_data"], 1_700_000_000_900)
    ]
    # Private channels have no members; a refused authorization signs nothing.
    await runner.execute("authorizeChannel", inputs_for("authorizeChannel"))
    refused = inputs_for("authorizeChannel", channel="presence-room", channel_data={"x": 1})
    assert (await runner.execute("authorizeChannel", refused)).key == "error"
    assert len(notes.noted) == 1
    assert sent_by(runner) == []
