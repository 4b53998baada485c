"""What the tests of serve under every engine generation share: one release per wire variant,
the stand-in of a release (with short blocks), the environment the engine gives serve, and each
generation's way of answering, refusing and naming an execution, as the stand-in has them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Final

import pytest

from mesg_pusher.engine import Engine, EngineClient, EngineServer, Heard
from mesg_pusher.engine import _rules as rules
from mesg_pusher.mesg import Release, release

#: One release per wire variant: G1, G2, G3's four (JSON text, Struct, bytes, mesg.api), G4
#: (v0.17.0 with its credentials, and the last), G5.
TAGS: Final = ("v0.2", "v0.10", "v0.11", "v0.12", "v0.14", "v0.16", "v0.17", "v0.20", "v0.26")
#: One release per generation, for the longer suites.
ONE_PER_GENERATION: Final = ("v0.2", "v0.10", "v0.16", "v0.20", "v0.26")
#: The chain's block time in these tests (the releases': 1 s or 5 s).
BLOCK: Final = 0.05
#: v0.17.0's account, which it wants with every result.
CREDENTIALS: Final = ("pusher-account", "pusher-passphrase-0123")
RELEASES = pytest.mark.parametrize("tag", TAGS)
GENERATIONS = pytest.mark.parametrize("tag", ONE_PER_GENERATION)
WAIT = 20.0


def engine_of(tag: str, **options: Any) -> Engine:
    """The stand-in of release `tag`, blocks of `BLOCK` from G4."""
    chosen = release(tag)
    if chosen.generation >= 4:
        options.setdefault("block_seconds", BLOCK)
    if chosen.generation == 1:
        options.setdefault("ready_header", chosen.ready_header)
    return Engine(release=chosen, **options)


@asynccontextmanager
async def stand_in(tag: str, **options: Any) -> AsyncIterator[EngineServer]:
    async with EngineServer(engine_of(tag, **options)) as server:
        yield server


def environment(server: EngineServer) -> dict[str, str]:
    """What the engine gives serve (and v0.17.0's credentials, which its operator gives)."""
    env = server.environment()
    if server.engine.release.credentials_on_update:
        username, passphrase = CREDENTIALS
        env["MESG_PUSHER_CREDENTIAL_USERNAME"] = username
        env["MESG_PUSHER_CREDENTIAL_PASSPHRASE"] = passphrase
    return env


#: An error output as later engines carry it: ``<kind>: <message> (retry: <r>[, <name>: <v>])``.
_ERROR_TEXT: Final = re.compile(
    r"(?P<kind>[a-z_]+): (?P<message>.*) \(retry: (?P<retry>safe|unsafe|useless)"
    r"(?P<details>(?:, [A-Za-z]+: [0-9]+)*)\)",
    re.S,
)


def error_data(text: str) -> dict[str, Any]:
    """An error text of a later engine read back into the first generation's ``error`` output
    data, so one expectation serves every release; a text of another form is its message."""
    found = _ERROR_TEXT.fullmatch(text)
    if found is None:
        return {"error": text}
    data: dict[str, Any] = {
        "error": found["message"],
        "kind": found["kind"],
        "retry": found["retry"],
    }
    for detail in filter(None, found["details"].split(", ")):
        name, _, value = detail.partition(": ")
        data[name] = int(value)
    return data


def outcome(engine: Engine, execution_id: str) -> tuple[str, dict[str, Any]]:
    """An answered execution as the first generation's keyed outputs: ``("success", data)`` or
    ``("error", data)`` (later generations: the outputs, or the error text read back)."""
    result = engine.results[execution_id]
    if engine.release.generation == 1:
        return result.output_key, dict(result.data)
    if result.error is not None:
        return "error", error_data(result.error)
    return "success", dict(result.data)


def defect_outcome(engine: Engine) -> tuple[str, dict[str, Any]]:
    """How `outcome` reads trigger's answer after a defect of the service, on `engine`'s
    release: the keyed output on the first generation, its kind first in the error text after."""
    return "error", {
        "error": "internal error in task trigger: RuntimeError",
        "kind": "defect",
        "retry": "useless",
    }


def answer_elsewhere(engine: Engine, execution_id: str, text: str = "answered elsewhere") -> None:
    """Another service answers the execution first."""
    if engine.release.generation == 1:
        engine.submit_result(
            execution_id, "error", f'{{"error":"{text}","kind":"defect","retry":"useless"}}'
        )
    else:
        engine.finish(execution_id, error=f"defect: {text} (retry: useless)")


def gone_texts(engine: Engine, execution_id: str) -> set[str]:
    """The release's refusal of a result for an execution answered already."""
    chosen = engine.release
    if chosen.generation == 1:
        return {engine.gone_form.format(id=execution_id)}
    return {rules.status_error(chosen, failed) for failed in (False, True)}


def outputs_invalid(chosen: Release, problem: str = "is required") -> str:
    """The release's refusal of outputs without their ``message``."""
    if chosen.generation == 1:
        return "Outputs 'success' of task 'trigger' are invalid. Value of 'message' " + problem
    return rules.outputs_invalid(chosen, "mesg-pusher", "trigger", [("message", "required")])


def assert_answered_once(engine: Engine, ids: list[str]) -> None:
    """Each execution of `ids` had exactly one result accepted; a refused result may only be
    the retry of an attempt that timed out after the engine took it (the release's refusal of
    a second result)."""
    accepted = sorted(s.execution_id for s in engine.submissions if s.error is None)
    assert accepted == sorted(ids)
    for refused in engine.refused():
        assert refused.error in gone_texts(engine, refused.execution_id)
        assert refused.execution_id in engine.results


def client_of(server: EngineServer) -> EngineClient:
    """An application of the stand-in's release."""
    engine = server.engine
    credentials = CREDENTIALS if engine.release.credentials_on_update else None
    return EngineClient(
        server.address, engine.release, identity=engine.identity, credentials=credentials
    )


async def opened(stream: Heard, counted: Callable[[], bool]) -> Heard:
    """`stream` read once the stand-in counts it (`counted`): engines before v0.7 send no
    header to wait for."""
    await stream.start(ready=False)
    async with asyncio.timeout(WAIT):
        while not counted():  # noqa: ASYNC110 - the stand-in's state
            await asyncio.sleep(0.005)
    return stream
