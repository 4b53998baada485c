"""End-to-end encryption: the master key's rules, the channel key, a fixed vector, the limit as
Pusher measures it, and the official Python SDK sealing the same data under the same nonce."""

from __future__ import annotations

import base64
import hashlib
import json

import pusher.crypto as official
import pytest
from nacl.secret import SecretBox

from mesg_pusher import InputError
from mesg_pusher.pusher import MASTER_KEY, Event, MasterKey, encrypt, limits

KEY = bytes(range(32))
KEY_BASE64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
NONCE = bytes(range(100, 124))
CHANNEL = "private-encrypted-orders"
#: Sealed once, and opened by tweetnacl in test_node_sdk.py.
VECTOR = (
    '{"nonce":"ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7",'
    '"ciphertext":"B6xMYs8tt5loNmK+Il3tUR65SKJiKKAPXj0MM/cA6O2lOsQ="}'
)


def test_a_fixed_vector() -> None:
    assert MasterKey.from_base64(KEY_BASE64) == MasterKey(KEY)
    assert encrypt('{"message":"hello"}', CHANNEL, MasterKey(KEY), NONCE) == VECTOR


def test_the_channel_key_is_sha256_of_the_name_then_the_master_key() -> None:
    expected = hashlib.sha256(CHANNEL.encode() + KEY).digest()
    assert MasterKey(KEY).channel_key(CHANNEL) == expected
    assert MasterKey(KEY).channel_key("private-encrypted-other") != expected


def test_the_python_sdk_seals_the_same_bytes() -> None:
    for data in ("", "x", '{"a":"é😀"}', "y" * 5000):
        theirs = official.encrypt(CHANNEL, data, KEY, NONCE)
        assert json.loads(encrypt(data, CHANNEL, MasterKey(KEY), NONCE)) == theirs


def test_what_is_sealed_opens_with_the_channel_key_only() -> None:
    envelope = json.loads(encrypt("secret words", CHANNEL, MasterKey(KEY), NONCE))
    assert list(envelope) == ["nonce", "ciphertext"]
    sealed = base64.b64decode(envelope["ciphertext"])
    box = SecretBox(MasterKey(KEY).channel_key(CHANNEL))
    assert box.decrypt(sealed, base64.b64decode(envelope["nonce"])) == b"secret words"
    with pytest.raises(Exception, match="Decryption failed"):
        SecretBox(MasterKey(KEY).channel_key("private-encrypted-x")).decrypt(sealed, NONCE)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("AAEC", "decodes to 3 bytes"),
        (base64.b64encode(bytes(33)).decode(), "decodes to 33 bytes"),
        ("", "decodes to 0 bytes"),
        (KEY_BASE64[:-1], "not valid base64"),
        (KEY_BASE64 + "\n", "not valid base64"),
        (KEY_BASE64.replace("A", "-", 1), "not valid base64"),
        ("é" * 44, "not valid base64"),
        ("\udcff" * 44, "not valid base64"),
    ],
)
def test_a_bad_master_key_is_refused_naming_the_input_never_quoting_it(
    text: str, rule: str
) -> None:
    with pytest.raises(InputError) as caught:
        MasterKey.from_base64(text)
    assert caught.value.input == MASTER_KEY == "encryption_master_key"
    assert rule in caught.value.rule
    assert "32 bytes" in caught.value.rule
    if len(text) > 3:
        assert text not in str(caught.value)
        assert text[:8] not in str(caught.value)


def test_the_variable_can_be_named_instead_of_the_input() -> None:
    with pytest.raises(InputError) as caught:
        MasterKey.from_base64("AAEC", "PUSHER_ENCRYPTION_MASTER_KEY_BASE64")
    assert caught.value.input == "PUSHER_ENCRYPTION_MASTER_KEY_BASE64"


def test_the_key_never_shows_in_repr() -> None:
    key = MasterKey(b"K" * 32)
    assert "KKKK" not in repr(key)
    assert "KKKK" not in repr(Event.create("e", "d", [CHANNEL], master_key=key, nonce=NONCE))
    with pytest.raises(InputError) as caught:
        MasterKey(b"K" * 31)
    assert "KKKK" not in str(caught.value)
    assert "31 bytes" in caught.value.rule


def test_a_nonce_of_the_wrong_size_is_a_defect_not_an_input_error() -> None:
    with pytest.raises(ValueError, match="24 bytes") as caught:
        encrypt("d", CHANNEL, MasterKey(KEY), bytes(23))
    assert not isinstance(caught.value, InputError)


def test_the_size_limit_is_measured_on_the_encrypted_string_as_pusher_does() -> None:
    """Pusher counts the bytes of the ``data`` string it receives: the sealed envelope."""
    key = MasterKey(KEY)
    # 7619 bytes sealed are 7635, 2545 groups of base64: 10180 characters, 10240 with the rest.
    event = Event.create("e", "x" * 7619, [CHANNEL], master_key=key, nonce=NONCE)
    assert len(event.data.encode()) == limits.MAX_DATA_BYTES
    with pytest.raises(InputError) as caught:
        Event.create("e", "x" * 7620, [CHANNEL], master_key=key, nonce=NONCE)
    assert caught.value.input == "data"
    assert "at most 10240 bytes once encrypted" in caught.value.rule
    assert "10244 bytes" in caught.value.rule
    # Plain data of that size is well within the limit: only its encrypted form is not.
    Event("e", "x" * 7620, ("private-a",))


def test_multibyte_data_is_measured_in_utf8_bytes() -> None:
    key = MasterKey(KEY)
    for text in ("é" * 3000, "😀" * 1900, "x" * 100):
        sealed = encrypt(text, CHANNEL, key, NONCE)
        plain = len(text.encode())
        assert len(sealed) == 60 + 4 * -(-(plain + 16) // 3)


def test_data_with_a_lone_surrogate_cannot_be_encrypted() -> None:
    with pytest.raises(InputError, match="lone surrogate") as caught:
        Event.create("e", "a\ud800", [CHANNEL], master_key=MasterKey(KEY), nonce=NONCE)
    assert caught.value.input == "data"
