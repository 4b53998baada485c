"""``trigger`` and ``triggerBatch`` with ``info`` and ``encryptionMasterKey``, through the
mock transport: what is sent (the data sealed for the channel, under the runner's nonces), what
comes back (the attributes Pusher gave), and every bad input named."""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

import pytest
from nacl.secret import SecretBox

from mesg_pusher.pusher import MasterKey, MockTransport
from mesg_pusher.tasks import TaskOutput, TaskRunner
from tests.tasks.conftest import DROP, answering, batch_inputs, sent_by, trigger_inputs

MASTER_KEY = base64.b64encode(bytes(range(1, 33))).decode()
CHANNEL = "private-encrypted-orders"


def counting_nonces() -> Any:
    """Nonces 0, 1, 2... as 24 bytes each: the runner's randomness, made visible."""
    numbers = itertools.count()
    return lambda: next(numbers).to_bytes(24, "big")


def opened(data: str, channel: str) -> str:
    """What a subscriber of `channel` reads from an encrypted event's data."""
    envelope = json.loads(data)
    assert list(envelope) == ["nonce", "ciphertext"]
    box = SecretBox(MasterKey.from_base64(MASTER_KEY).channel_key(channel))
    plain = box.decrypt(
        base64.b64decode(envelope["ciphertext"]), base64.b64decode(envelope["nonce"])
    )
    return plain.decode()


async def test_an_event_for_an_encrypted_channel_is_sealed_for_it() -> None:
    runner = TaskRunner(MockTransport(lambda c, r: (200, b"{}")), nonce=counting_nonces())
    inputs = trigger_inputs(channel=CHANNEL, data={"order": "é"}, encryptionMasterKey=MASTER_KEY)
    output = await runner.execute("trigger", json.dumps(inputs))
    assert output == TaskOutput("success", {"message": "sent"})
    [(_, request)] = sent_by(runner)
    body = json.loads(request.body)
    assert body["channels"] == [CHANNEL]
    assert json.loads(body["data"])["nonce"] == base64.b64encode(bytes(24)).decode()
    assert opened(body["data"], CHANNEL) == '{"order":"é"}'
    assert MASTER_KEY not in request.body.decode() + request.query


async def test_each_batch_event_is_sealed_under_its_own_nonce() -> None:
    runner = TaskRunner(MockTransport(lambda c, r: (200, b"{}")), nonce=counting_nonces())
    batch = [
        {"name": "a", "channel": CHANNEL, "data": "first"},
        {"name": "b", "channel": "public", "data": "in the clear"},
        {"name": "c", "channel": "private-encrypted-other", "data": {"n": 3}},
    ]
    inputs = batch_inputs(batch, encryptionMasterKey=MASTER_KEY)
    assert (await runner.execute("triggerBatch", inputs)).key == "success"
    [(_, request)] = sent_by(runner)
    sent = json.loads(request.body)["batch"]
    assert opened(sent[0]["data"], CHANNEL) == "first"
    assert sent[1]["data"] == "in the clear"
    assert opened(sent[2]["data"], "private-encrypted-other") == '{"n":3}'
    nonces = {json.loads(sent[i]["data"])["nonce"] for i in (0, 2)}
    assert len(nonces) == 2


async def test_the_master_key_leaves_other_channels_alone(runner: TaskRunner) -> None:
    inputs = trigger_inputs(
        channels=["a", "private-b"], channel=DROP, encryptionMasterKey=MASTER_KEY
    )
    assert (await runner.execute("trigger", inputs)).key == "success"
    [(_, request)] = sent_by(runner)
    assert json.loads(request.body)["data"] == '{"message":"hello"}'


async def test_the_data_limit_counts_the_encrypted_form(runner: TaskRunner) -> None:
    # 6,998 bytes of data become 9,412 once sealed and written in base64; 7,708 become 10,360.
    ok = trigger_inputs(channel=CHANNEL, data={"p": "x" * 6990}, encryptionMasterKey=MASTER_KEY)
    assert (await runner.execute("trigger", ok)).key == "success"
    over = {**ok, "data": {"p": "x" * 7700}}
    output = await runner.execute("trigger", over)
    assert output.data["error"].startswith(
        "data: event data is at most 10240 bytes once encrypted, as Pusher measures it"
    )


BAD_ENCRYPTION = [
    (
        {"channel": CHANNEL},
        "channel: private-encrypted- channels take only data encrypted end to end with the app's "
        "encryption master key: give encryptionMasterKey",
    ),
    (
        {"channel": DROP, "channels": [CHANNEL, "other"], "encryptionMasterKey": MASTER_KEY},
        "channels[0]: an event for a private-encrypted- channel goes to that channel alone",
    ),
    (
        {"channel": CHANNEL, "encryptionMasterKey": base64.b64encode(bytes(16)).decode()},
        "encryptionMasterKey: an encryption master key is 32 bytes written in standard "
        "base64 (44 characters of A-Z a-z 0-9 + / ending in =); this one decodes to 16 bytes",
    ),
    (
        {"encryptionMasterKey": "@@@@"},
        "encryptionMasterKey: an encryption master key is 32 bytes written in standard "
        "base64 (44 characters of A-Z a-z 0-9 + / ending in =); this is not valid base64",
    ),
    (
        {"encryptionMasterKey": 32},
        "Inputs of task 'trigger' are invalid. Value of 'encryptionMasterKey' is not a string",
    ),
    (
        {"data": {"key": MASTER_KEY}, "encryptionMasterKey": MASTER_KEY},
        "data.key: holds the app secret, the proxy password or the encryption master key",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), BAD_ENCRYPTION)
async def test_bad_encryption_inputs_are_named(
    runner: TaskRunner, changes: dict[str, Any], expected: str
) -> None:
    output = await runner.execute("trigger", trigger_inputs(**changes))
    assert output.key == "error"
    assert output.data["error"].startswith(expected)
    assert MASTER_KEY not in output.json()
    assert sent_by(runner) == []


async def test_an_encrypted_batch_event_without_the_key_is_named(runner: TaskRunner) -> None:
    batch = [
        {"name": "a", "channel": "c", "data": "d"},
        {"name": "b", "channel": CHANNEL, "data": "d"},
    ]
    output = await runner.execute("triggerBatch", batch_inputs(batch))
    assert output.data["error"].startswith(
        "batch[1].channel: private-encrypted- channels take only data encrypted end to end"
    )


async def test_info_asks_pusher_and_the_answer_carries_the_channels() -> None:
    answer = '{"channels":{"presence-a":{"user_count":2,"subscription_count":3},"b":{}}}'
    runner = TaskRunner(answering(200, answer))
    inputs = trigger_inputs(channel=DROP, channels=["presence-a", "b"], info="subscription_count")
    output = await runner.execute("trigger", inputs)
    assert output == TaskOutput(
        "success",
        {
            "message": "sent",
            "channels": {"presence-a": {"user_count": 2, "subscription_count": 3}, "b": {}},
        },
    )
    [(_, request)] = sent_by(runner)
    assert json.loads(request.body)["info"] == "subscription_count"


async def test_without_info_the_answer_is_only_sent() -> None:
    runner = TaskRunner(answering(200, '{"channels":{"b":{}}}'))
    assert await runner.execute("trigger", trigger_inputs()) == TaskOutput(
        "success", {"message": "sent"}
    )


async def test_info_on_batch_events_and_the_batch_answer() -> None:
    answer = '{"batch":[{"subscription_count":1},{}]}'
    runner = TaskRunner(answering(200, answer))
    batch = [
        {"name": "a", "channel": "c", "data": "d", "info": "subscription_count"},
        {"name": "b", "channel": "e", "data": "d"},
    ]
    output = await runner.execute("triggerBatch", batch_inputs(batch))
    assert output == TaskOutput(
        "success", {"message": "sent", "batch": [{"subscription_count": 1}, {}]}
    )
    [(_, request)] = sent_by(runner)
    sent = json.loads(request.body)["batch"]
    assert sent[0]["info"] == "subscription_count"
    assert "info" not in sent[1]


BAD_INFO = [
    (
        {"info": "members"},
        'info: unknown attribute "members" (known here: subscription_count, user_count)',
    ),
    (
        {"info": "user_count"},
        'info: info user_count exists on presence- channels only, and "my-channel" is not one '
        "(Pusher refuses it)",
    ),
    ({"info": ",user_count"}, "info: info is a comma list of attributes"),
    ({"info": 1}, "Inputs of task 'trigger' are invalid. Value of 'info' is not a string"),
]


@pytest.mark.parametrize(("changes", "expected"), BAD_INFO)
async def test_bad_info_is_named(
    runner: TaskRunner, changes: dict[str, Any], expected: str
) -> None:
    output = await runner.execute("trigger", trigger_inputs(**changes))
    assert output.data["error"].startswith(expected)
    assert sent_by(runner) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"info": ["user_count"]}, "batch[0].info: info is a string, a comma list of attributes"),
        (
            {"info": "user_count"},
            "batch[0].info: info user_count exists on presence- channels only",
        ),
        ({"info": "cache"}, 'batch[0].info: unknown attribute "cache"'),
    ],
)
async def test_bad_info_on_a_batch_event_is_named(
    runner: TaskRunner, item: dict[str, Any], expected: str
) -> None:
    output = await runner.execute(
        "triggerBatch", batch_inputs([{"name": "a", "channel": "c", "data": "d", **item}])
    )
    assert output.data["error"].startswith(expected)
