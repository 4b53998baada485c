"""Base58 as the engine writes its hashes: published vectors, every length of zeros, and the
plain digit-by-digit definition on random bytes."""

from __future__ import annotations

import random

import pytest

from mesg_pusher.mesg import b58decode, b58encode

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def by_definition(data: bytes) -> str:
    """One ``1`` per leading zero byte, then the number's digits, one division at a time."""
    number = int.from_bytes(data, "big")
    digits = ""
    while number:
        number, digit = divmod(number, 58)
        digits = ALPHABET[digit] + digits
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + digits


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"", ""),
        (b"\0", "1"),
        (b"\0\0\1", "112"),
        (b"hello world", "StV1DL6CwTryKyV"),  # the bitcoin wiki's
        (bytes.fromhex("0000287fb4cd"), "11233QC4"),
    ],
)
def test_published_vectors(data: bytes, text: str) -> None:
    assert b58encode(data) == text
    if text:
        assert b58decode(text) == data


def test_random_bytes_as_the_definition_writes_them() -> None:
    draw = random.Random(58)
    for size in range(70):
        for zeros in range(3):
            data = b"\0" * zeros + draw.randbytes(size)
            assert b58encode(data) == by_definition(data)
            assert b58decode(b58encode(data) or "1") == (data or b"\0")
