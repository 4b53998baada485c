"""Names the engine gives things, and how it reads them back: execution ids of the first
generation, hex hashes of the second, SHA-256 hashes in base58 (the bitcoin alphabet,
`mesg_pusher.mesg.b58encode`, the codec serve uses too) from the third, with the refusals of
Go's decoders in their own words.

The hashes are the stand-in's own: each is a SHA-256 of what identifies the thing (the real
engine hashed its own encodings), so the same service, environment and identity give the same
hashes in every run, which a restarted stand-in needs for a registration to verify again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Final

from .. import _engine_texts as words
from ..mesg import b58decode
from ._model import EngineError

SIZE: Final = 32  # bytes in a hash


def decode_hash(text: str) -> bytes:
    """A base58 hash as v0.11 to v0.13 read one from a string field, or their refusal."""
    try:
        data = b58decode(text)
    except ValueError as error:
        raise EngineError(words.HASH_INVALID.format(reason=str(error))) from None
    if len(data) != SIZE:
        raise EngineError(words.HASH_INVALID.format(reason=words.HASH_LENGTH.format()))
    return data


def decode_hex(text: str) -> bytes:
    """`text` as Go's ``hex.DecodeString`` reads it, or its refusal (G2's execution hashes)."""
    raw = text.encode("utf-8", "surrogatepass")
    for index in range(1, len(raw), 2):
        for byte in (raw[index - 1], raw[index]):
            if not _is_hex(byte):
                raise EngineError(words.HEX_INVALID_BYTE.format(rune=_go_byte(byte)))
    if len(raw) % 2:
        if not _is_hex(raw[-1]):
            raise EngineError(words.HEX_INVALID_BYTE.format(rune=_go_byte(raw[-1])))
        raise EngineError(words.HEX_ODD_LENGTH.format())
    return bytes.fromhex(raw.decode("ascii"))


def _is_hex(byte: int) -> bool:
    return chr(byte) in "0123456789abcdefABCDEF"


def _go_byte(byte: int) -> str:
    """A byte as Go's ``%#U`` writes the rune of that value: ``U+0067 'g'``."""
    char = chr(byte)
    return f"U+{byte:04X} '{char}'" if char.isprintable() else f"U+{byte:04X}"


def digest(*parts: bytes | str) -> bytes:
    """SHA-256 of the parts, each length-prefixed so that no two lists give the same bytes."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big"))
        hasher.update(data)
    return hasher.digest()


def env_text(env: Mapping[str, str]) -> str:
    """The environment as the engine hashes it: sorted ``K=V`` joined with ``;``."""
    return ";".join(f"{key}={env[key]}" for key in sorted(env))


def service_hash(described: object) -> bytes:
    """The hash of a service: of its definition, as JSON (keys sorted)."""
    return digest(b"service", json.dumps(described, sort_keys=True, default=repr))


def instance_hash(service: bytes, env: Mapping[str, str]) -> bytes:
    """An instance: its service hash and its environment (sha256(service hash || env))."""
    return hashlib.sha256(service + env_text(env).encode("utf-8")).digest()


def registered_instance_hash(service: bytes, env: bytes) -> bytes:
    """G5: an instance as the orchestrator computes it at registration, from the service hash
    and the environment's hash (what the registration request carries)."""
    return digest(b"instance", service, env)


def env_hash(env: Mapping[str, str]) -> bytes:
    """G5's MESG_ENV_HASH: of the customised environment only, empty when there is none."""
    return digest(b"env", env_text(env)) if env else b""


def runner_hash(engine_key: bytes, instance: bytes) -> bytes:
    """A runner: the engine's account (its public key) running an instance."""
    return digest(b"runner", engine_key, instance)
