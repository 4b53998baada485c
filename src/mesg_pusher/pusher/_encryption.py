"""End-to-end encryption of ``private-encrypted-`` channels; pure, the nonce passed in.

The app's encryption master key (32 bytes, given in base64) never leaves the service. Each
channel has its own key, the SHA-256 of the channel name's bytes followed by the master key's.
An event's data is sealed with NaCl's secretbox (XSalsa20-Poly1305) under a 24-byte nonce and
travels as the JSON string ``{"nonce":"<base64>","ciphertext":"<base64>"}``; subscribers get the
channel's key as the ``shared_secret`` of their channel authorization and open it themselves.
Pusher measures its data limit on that string, so the limit is checked after encryption.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from typing import Final

from .._errors import InputError
from ._limits import (
    ENCRYPTION_MASTER_KEY_BYTES,
    MAX_DATA_BYTES,
    NONCE_BYTES,
    SECRETBOX_OVERHEAD_BYTES,
)
from ._settings import unicode_text

_KEY_FORM: Final = (
    f"an encryption master key is {ENCRYPTION_MASTER_KEY_BYTES} bytes written in standard "
    "base64 (44 characters of A-Z a-z 0-9 + / ending in =)"
)
#: What errors about the key call it: the client's (and the official SDKs') setting.
MASTER_KEY: Final = "encryption_master_key"
#: Characters of ``{"nonce":"","ciphertext":""}``, what the two base64 texts are wrapped in.
_ENVELOPE_CHARS: Final = 28


@dataclass(frozen=True, slots=True)
class MasterKey:
    """An app's encryption master key. Its bytes stay out of `repr`: it is a secret, and no
    message says anything of it but its length."""

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != ENCRYPTION_MASTER_KEY_BYTES:
            raise InputError(MASTER_KEY, f"{_KEY_FORM}; this one is {len(self.key)} bytes")

    @classmethod
    def from_base64(cls, text: str, where: str = MASTER_KEY) -> MasterKey:
        """The key from its base64 form; an `InputError` naming `where`, never quoting it."""
        try:
            key = base64.b64decode(text.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error):
            raise InputError(where, f"{_KEY_FORM}; this is not valid base64") from None
        if len(key) != ENCRYPTION_MASTER_KEY_BYTES:
            raise InputError(where, f"{_KEY_FORM}; this one decodes to {len(key)} bytes")
        return cls(key)

    def channel_key(self, channel: str) -> bytes:
        """The channel's own key: what its authorization hands out as ``shared_secret``."""
        return hashlib.sha256(channel.encode("utf-8") + self.key).digest()


def encrypted_size(data_bytes: int) -> int:
    """Bytes of the data string an event carries once `data_bytes` of data are encrypted."""
    sealed = data_bytes + SECRETBOX_OVERHEAD_BYTES
    return _ENVELOPE_CHARS + _base64_chars(NONCE_BYTES) + _base64_chars(sealed)


def _base64_chars(count: int) -> int:
    return 4 * ((count + 2) // 3)


def encrypt(
    data: str,
    channel: str,
    key: MasterKey,
    nonce: bytes,
    *,
    where: str = "data",
    max_data_bytes: int = MAX_DATA_BYTES,
) -> str:
    """The data string of an event for the encrypted `channel`: `data` sealed under `nonce`
    (24 random bytes, never used twice with one key) with the channel's key.

    Refused when the result would be over `max_data_bytes`, before any work is done.
    """
    if len(nonce) != NONCE_BYTES:
        # The caller's randomness is wrong: a defect, not an input problem.
        raise ValueError(f"a secretbox nonce is {NONCE_BYTES} bytes, not {len(nonce)}")
    # A lone surrogate has no UTF-8 form that a subscriber could decode.
    unicode_text(data, where, "event data to encrypt")
    plain = data.encode("utf-8")
    size = encrypted_size(len(plain))
    if size > max_data_bytes:
        raise InputError(
            where,
            f"event data is at most {max_data_bytes} bytes once encrypted, as Pusher measures "
            f"it (this would be {size} bytes: {len(plain)} bytes of data, sealed and written "
            "in base64)",
        )
    # Loaded on first use: most services never encrypt, and libsodium costs every process
    # that loads it about a megabyte (serve's imports: 52.6 -> 51.5 MB RSS without it).
    from nacl.bindings import crypto_secretbox  # noqa: PLC0415

    sealed = crypto_secretbox(plain, nonce, key.channel_key(channel))
    return (
        f'{{"nonce":"{base64.b64encode(nonce).decode("ascii")}",'
        f'"ciphertext":"{base64.b64encode(sealed).decode("ascii")}"}}'
    )
