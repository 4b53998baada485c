"""How an engine names the services it runs, release by release, and what it gives each one
when it starts it: pure decisions, no state.

- G1 and G2 name a service by a token (G1 any text, G2 its hash in base58).
- G3 runs instances: a service hash and its customised environment make the instance hash,
  which names it (MESG_TOKEN).
- G4 runs runners: the engine's account running an instance makes the runner hash, which
  applications name (``executorHash``).
- G5 makes the instance from the service hash and the environment's own hash (what the
  registration carries), and hands the service a registration the engine signed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

from .. import _engine_texts as words
from ..mesg import ServiceDefinition, b58encode
from ..mesg.protocol import Release
from . import _hashes, _messages, _rules
from ._g5_wire import registration_payload
from ._schema import ServiceSchema


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """A service the engine runs. `token` names it to applications: the token (G1, G2), the
    instance hash (G3) or the runner hash (G4, G5) in base58."""

    token: str
    name: str
    definition: ServiceDefinition | None
    schema: ServiceSchema
    service_hash: bytes = b""
    instance_hash: bytes = b""
    runner_hash: bytes = b""
    env_hash: bytes = b""
    env: Mapping[str, str] = field(default_factory=dict)


def named(
    release: Release,
    definition: ServiceDefinition | None,
    schema: ServiceSchema,
    *,
    token: str | None,
    env: Mapping[str, str],
    engine_key: bytes,
    draw: Callable[[], str],
) -> ServiceRecord:
    """The service `release` runs for `definition` (its later form `schema`) with the
    customised `env`; `token` (G1, G2) when given, else `draw()` (G1) or its hash (G2);
    `engine_key` is the engine's account (G4, G5)."""
    service = _hashes.service_hash(asdict(schema))
    generation = release.generation
    instance = runner = env_hash = b""
    if generation == 1:
        name = token if token is not None else draw()
    elif generation == 2:
        name = token if token is not None else b58encode(service)
    else:
        if generation <= 4:
            instance = _hashes.instance_hash(service, env)
        else:
            env_hash = _hashes.env_hash(env)
            instance = _hashes.registered_instance_hash(service, env_hash)
        if generation >= 4:
            runner = _hashes.runner_hash(engine_key, instance)
        name = b58encode(runner or instance)
    return ServiceRecord(
        name, schema.name, definition, schema, service, instance, runner, env_hash, dict(env)
    )


def environment(
    release: Release, record: ServiceRecord, endpoint: str, sign: Callable[[bytes], str]
) -> dict[str, str]:
    """What the engine gives the service when it starts it, in the release's names: its own
    MESG_* variables (`endpoint` is MESG_ENDPOINT; `sign` signs G5's registration), then the
    customised environment."""
    values = {
        "MESG_TOKEN": record.token if release.generation <= 2 else b58encode(record.instance_hash),
        "MESG_ENDPOINT": endpoint,
        "MESG_ENDPOINT_TCP": endpoint,
        "MESG_SERVICE_HASH": b58encode(record.service_hash),
        "MESG_INSTANCE_HASH": b58encode(record.instance_hash),
        "MESG_RUNNER_HASH": b58encode(record.runner_hash),
        "MESG_ENV_HASH": b58encode(record.env_hash),
    }
    if release.generation == 5:
        values["MESG_REGISTER_SIGNATURE"] = sign(
            registration_payload(record.service_hash, record.env_hash)
        )
    chosen = {name: values[name] for name in release.environment}
    return {**chosen, **record.env}


def unknown(release: Release, token: str) -> str:
    """The release's refusal of a service (token, instance, runner) it does not run."""
    generation = release.generation
    if generation == 1:
        return _messages.service_not_found(token)
    if generation == 2:
        return words.DATABASE_SERVICE_NOT_FOUND.format(token=token)
    if generation == 3:
        return words.LEVELDB_NOT_FOUND.format()
    return _rules.runner_not_found(release, token)
