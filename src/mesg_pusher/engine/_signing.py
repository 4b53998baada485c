"""The stand-in's key (G5): it signs the registration it hands a service (MESG_REGISTER_SIGNATURE)
and verifies it, and the requests of applications that hold the same key.

The real orchestrator verified a signature, made with a key it was told to trust, over the
request encoded as sorted amino JSON. Here the key is an Ed25519 key of the stand-in's own
(Tendermint knows that kind too), and the signed text is the request's set fields as JSON with
sorted keys and no spaces, hashes in base58, Structs as the JSON they mean (`payload`). The
service never reads it: it forwards the signature as given.

`Identity.load` keeps the key in a file (created, mode 0600, when missing), so that a restarted
stand-in derives the same runner and verifies the same signature again.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey

from .. import _engine_texts as words

SEED_BYTES: Final = 32


class Identity:
    """An Ed25519 key: `public` (32 bytes) names the engine's account; `sign` gives base64."""

    def __init__(self, seed: bytes | None = None) -> None:
        self._key = SigningKey(seed) if seed is not None else SigningKey.generate()
        self.public = bytes(self._key.verify_key)

    @classmethod
    def load(cls, path: Path) -> Identity:
        """The key kept in `path` (hex of the 32-byte seed), made and written there when the
        file does not exist. An `OSError` or a `ValueError` names a file it cannot use."""
        try:
            text = path.read_text("ascii").strip()
        except FileNotFoundError:
            identity = cls()
            identity.save(path)
            return identity
        except UnicodeDecodeError:
            raise ValueError(f"{path} does not hold a key (64 hex digits)") from None
        try:
            seed = bytes.fromhex(text)
        except ValueError:
            seed = b""
        if len(seed) != SEED_BYTES:
            raise ValueError(f"{path} does not hold a key (64 hex digits)")
        return cls(seed)

    def save(self, path: Path) -> None:
        """Keep the key in `path`, a new file only this user may read, as `load` reads it."""
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(self.seed.hex() + "\n")

    @property
    def seed(self) -> bytes:
        return bytes(self._key)

    def sign(self, text: bytes) -> str:
        """The signature of `text`, in base64 (what travels in the metadata)."""
        return base64.b64encode(self._key.sign(text).signature).decode("ascii")

    def verify(self, text: bytes, signature: str) -> str | None:
        """None when `signature` (base64) is this key's over `text`; else the engine's
        refusal."""
        try:
            raw = base64.b64decode(signature.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            return words.BASE64_ILLEGAL.format(index=str(_bad_base64_at(signature)))
        try:
            self._key.verify_key.verify(text, raw)
        except (BadSignatureError, ValueError):
            return words.SIGNATURE_FAILED.format()
        return None


def _bad_base64_at(text: str) -> int:
    """Where Go's base64 decoder stops on `text` (the first byte it cannot take)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    for index, char in enumerate(text):
        if char not in alphabet and char != "=":
            return index
    return len(text)


def payload(fields: Mapping[str, Any]) -> bytes:
    """What is signed: the request's set fields as JSON, keys sorted, no spaces."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
