"""A MESG service's side of each later engine generation, as the official libraries spoke it,
built from the protocol description's messages with `mesg_wire` (no generated code, nothing of
the project's): the bytes each library sent, on the rpc paths it called.

- `MesgJs3` (mesg-js 3, engine v0.10): api.Service ListenTask / SubmitResult (outputData as
  JSON.stringify) / EmitEvent, with MESG_TOKEN.
- `MesgJs4` (mesg-js 4.0 to 5.0, engines v0.11 to v0.16): api.Execution Stream / Update,
  api.Event Create; `json` (4.0: JSON texts), `hashes_as_bytes` (4.3+: bs58-decoded token) and
  `package` (5.0: mesg.api) give the release's variant.
- `MesgService01` (@mesg/service 0.1, v0.17 to v0.20): the stream filtered by executorHash,
  MESG_INSTANCE_HASH for events.
- `MesgService02` (@mesg/service 0.2, v0.21 to v0.26): Register with the signature as given,
  then the Runner API with the token in the metadata.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grpc import aio

from tests.support.mesg_wire import (
    Field,
    Packed,
    b58decode,
    encode,
    fields_of,
    message,
    read_struct,
    struct_fields,
)

IN_PROGRESS = 2
Metadata = tuple[tuple[str, str], ...]


def js_json(value: Any) -> str:
    """JSON.stringify: compact, keys in the object's order, non-ASCII as it is."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Task:
    """One execution as the service receives it: its hash as the wire carries it."""

    hash: str | bytes
    key: str
    inputs: dict[str, Any]
    raw: bytes


class Tasks:
    """A stream of executions to run."""

    def __init__(self, call: aio.UnaryStreamCall[bytes, bytes], read: Any) -> None:
        self.call = call
        self._read = read

    async def ready(self) -> tuple[tuple[str, str], ...]:
        """The stream's header (``status: ready``), once subscribed; raises a refusal."""
        return tuple(await self.call.initial_metadata() or ())

    async def next(self) -> Task:
        raw = await self.call.read()
        assert isinstance(raw, bytes), f"the stream ended: {raw!r}"
        task: Task = self._read(raw)
        return task

    def cancel(self) -> None:
        self.call.cancel()


class Library:
    """What every library shares: a channel, raw rpcs."""

    def __init__(self, endpoint: str, env: Mapping[str, str]) -> None:
        self.env = dict(env)
        self.channel = aio.insecure_channel(endpoint)
        self.metadata: Metadata = ()

    async def unary(self, path: str, fields: list[Field], metadata: Metadata = ()) -> bytes:
        call = self.channel.unary_unary(path, None, None)
        reply: bytes = await call(encode(fields), metadata=metadata or self.metadata, timeout=30)
        return reply

    def stream(self, path: str, fields: list[Field], read: Any) -> Tasks:
        call = self.channel.unary_stream(path, None, None)
        return Tasks(call(encode(fields), metadata=self.metadata), read)

    async def close(self) -> None:
        await self.channel.close(None)


class MesgJs1(Library):
    """mesg-js 1 and 2 on the first generation (v0.1 to v0.9): keyed outputs."""

    def listen(self) -> Tasks:
        return self.stream(
            "/api.Service/ListenTask", message((1, self.env["MESG_TOKEN"])), MesgJs3._task
        )

    async def answer(self, hash: str | bytes, key: str, data: Mapping[str, Any]) -> bytes:
        return await self.unary(
            "/api.Service/SubmitResult", message((1, hash), (2, key), (3, js_json(data)))
        )

    async def emit(self, key: str, data: Mapping[str, Any]) -> bytes:
        return await self.unary(
            "/api.Service/EmitEvent",
            message((1, self.env["MESG_TOKEN"]), (2, key), (3, js_json(data))),
        )


class MesgJs3(Library):
    """mesg-js 3 on engine v0.10."""

    def listen(self) -> Tasks:
        return self.stream(
            "/api.Service/ListenTask", message((1, self.env["MESG_TOKEN"])), self._task
        )

    @staticmethod
    def _task(raw: bytes) -> Task:
        found = fields_of(raw)
        return Task(
            found[1][0].decode(),
            found[2][0].decode(),
            json.loads(found[3][0]) if 3 in found else {},
            raw,
        )

    async def answer(
        self, hash: str | bytes, outputs: Mapping[str, Any] | None = None, error: str | None = None
    ) -> bytes:
        result = (3, js_json(outputs)) if error is None else (4, error)
        fields = [Field(1, hash)] if hash else []
        fields.append(Field(*result))
        return await self.unary("/api.Service/SubmitResult", fields)

    async def emit(self, key: str, data: Mapping[str, Any]) -> bytes:
        return await self.unary(
            "/api.Service/EmitEvent",
            message((1, self.env["MESG_TOKEN"]), (2, key), (3, js_json(data))),
        )


class MesgJs4(Library):
    """mesg-js 4.0 (v0.11: JSON texts, base58 strings), 4.2 (v0.12: Structs), 4.3 (v0.14: the
    token base58-decoded), 5.0 (v0.15, v0.16: package mesg.api)."""

    def __init__(
        self,
        endpoint: str,
        env: Mapping[str, str],
        *,
        json: bool,
        hashes_as_bytes: bool,
        package: str,
    ) -> None:
        super().__init__(endpoint, env)
        self.json = json
        self.bytes = hashes_as_bytes
        self.package = package

    @property
    def token(self) -> str | bytes:
        token = self.env["MESG_TOKEN"]
        return b58decode(token) if self.bytes else token

    def data(self, values: Mapping[str, Any]) -> Any:
        return js_json(values) if self.json else struct_fields(values)

    def read_data(self, raw: bytes) -> dict[str, Any]:
        return json.loads(raw) if self.json else read_struct(raw)

    def filter(self) -> list[Field]:
        return [Field(1, Packed((IN_PROGRESS,))), Field(2, self.token)]

    def listen(self) -> Tasks:
        return self.stream(
            f"/{self.package}.Execution/Stream", [Field(1, self.filter())], self._task
        )

    def _task(self, raw: bytes) -> Task:
        found = fields_of(raw)
        hash_ = found[1][0] if self.bytes else found[1][0].decode()
        inputs = self.read_data(found[7][0]) if 7 in found else {}
        return Task(hash_, found[6][0].decode(), inputs, raw)

    async def answer(
        self, hash: str | bytes, outputs: Mapping[str, Any] | None = None, error: str | None = None
    ) -> bytes:
        fields = [Field(1, hash)] if hash else []
        if error is not None:
            fields.append(Field(3, error))
        elif outputs is not None:
            fields.append(Field(2, self.data(outputs)))
        return await self.unary(f"/{self.package}.Execution/Update", fields)

    async def emit(self, key: str, data: Mapping[str, Any] | None) -> bytes:
        fields = [Field(1, self.instance)] if self.instance else []
        if key:
            fields.append(Field(2, key))
        if data is not None:
            fields.append(Field(3, self.data(data)))
        return await self.unary(f"/{self.package}.Event/Create", fields)

    @property
    def instance(self) -> str | bytes:
        return self.token


class MesgService01(MesgJs4):
    """@mesg/service 0.1 on v0.17 to v0.20: the runner filter; `credentials` as v0.17.0 wants
    (no official library sent them)."""

    def __init__(self, endpoint: str, env: Mapping[str, str]) -> None:
        super().__init__(endpoint, env, json=False, hashes_as_bytes=True, package="mesg.api")

    def filter(self) -> list[Field]:
        return [Field(1, Packed((IN_PROGRESS,))), Field(5, b58decode(self.env["MESG_RUNNER_HASH"]))]

    @property
    def instance(self) -> bytes:
        return b58decode(self.env["MESG_INSTANCE_HASH"])


class MesgService02(Library):
    """@mesg/service 0.2 on v0.21 to v0.26."""

    token = ""

    async def register(self, signature: str | None = None) -> str:
        """Register with the signature as given (MESG_REGISTER_SIGNATURE); keep the token."""
        env_hash = self.env.get("MESG_ENV_HASH", "")
        fields = [Field(1, b58decode(self.env["MESG_SERVICE_HASH"]))]
        if env_hash:
            fields.append(Field(2, b58decode(env_hash)))
        given = self.env["MESG_REGISTER_SIGNATURE"] if signature is None else signature
        reply = await self.unary(
            "/mesg.grpc.orchestrator.Runner/Register",
            fields,
            metadata=(("mesg_request_signature", given),) if given else (("other", "x"),),
        )
        self.token = fields_of(reply)[1][0].decode()
        self.metadata = (("mesg_credential_token", self.token),)
        return self.token

    def listen(self) -> Tasks:
        return self.stream("/mesg.grpc.runner.Runner/Execution", [], self._task)

    @staticmethod
    def _task(raw: bytes) -> Task:
        found = fields_of(raw)
        inputs = read_struct(found[7][0]) if 7 in found else {}
        return Task(found[1][0], found[6][0].decode(), inputs, raw)

    async def answer(
        self, hash: str | bytes, outputs: Mapping[str, Any] | None = None, error: str | None = None
    ) -> bytes:
        fields = [Field(1, hash)] if hash else []
        if error is not None:
            fields.append(Field(3, error))
        elif outputs is not None:
            fields.append(Field(2, struct_fields(outputs)))
        return await self.unary("/mesg.grpc.runner.Runner/Result", fields)

    async def emit(self, key: str, data: Mapping[str, Any] | None) -> bytes:
        fields = [Field(1, key)] if key else []
        if data is not None:
            fields.append(Field(2, struct_fields(data)))
        return await self.unary("/mesg.grpc.runner.Runner/Event", fields)


def library(tag: str, endpoint: str, env: Mapping[str, str]) -> Any:
    """The official library of the engine release `tag` (``v0.16.0``), as a test client."""
    minor = int(tag.split(".")[1])
    if minor < 10:
        return MesgJs1(endpoint, env)
    if minor == 10:
        return MesgJs3(endpoint, env)
    if 11 <= minor <= 16:
        return MesgJs4(
            endpoint,
            env,
            json=minor == 11,
            hashes_as_bytes=minor >= 14,
            package="mesg.api" if minor >= 15 else "api",
        )
    if 17 <= minor <= 20:
        return MesgService01(endpoint, env)
    assert minor >= 21, tag
    return MesgService02(endpoint, env)
