"""A later-form mesg.yml as the CLIs of v0.11 and later compile it, each task's ``price`` kept.

Those CLIs (mesg-cli 1.1 to 2.0.1, @mesg/compiler 0.3.1) send the engine a definition made by
picking each part's keys and turning every mapping into a list whose items carry their
``key``: tasks, events, parameters (``object`` too) and dependencies. None of them keeps a
task's ``price``, which v0.26.0 requires on every task, so a service compiled by them is
refused there. `compiled_service` makes the same definition with the prices in, for
``mesg-cli service:create``, which passes a definition on as it is given (``service-dir
--engine v0.26`` writes it as ``service.json``). It has no ``source``: the CLI's own compile
gives that (the IPFS hash of the uploaded directory). Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import yaml

#: What each part keeps, in the compilers' order; ``price`` is the one they leave out.
TOP: Final = ("sid", "name", "description", "configuration", "repository")
TASK: Final = ("name", "description", "inputs", "outputs", "price")
EVENT: Final = ("name", "description", "data")
PARAMETER: Final = ("name", "description", "type", "repeated", "optional", "object")


def compiled_service(text: str) -> str:
    """The compiled definition of the later-form mesg.yml `text`, as JSON text."""
    tree = yaml.safe_load(text)
    service: dict[str, Any] = _picked(tree, TOP)
    service["tasks"] = [
        _keyed(key, _picked(body, TASK, parameters=("inputs", "outputs")))
        for key, body in (tree.get("tasks") or {}).items()
    ]
    service["events"] = [
        _keyed(key, _picked(body, EVENT, parameters=("data",)))
        for key, body in (tree.get("events") or {}).items()
    ]
    service["dependencies"] = [
        _keyed(key, dict(body)) for key, body in (tree.get("dependencies") or {}).items()
    ]
    return json.dumps(service, indent=2) + "\n"


def _keyed(key: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, **body}


def _picked(
    body: Mapping[str, Any] | None, keys: tuple[str, ...], *, parameters: tuple[str, ...] = ()
) -> dict[str, Any]:
    given = body or {}
    picked = {key: given[key] for key in keys if key in given}
    for name in parameters:
        if name in picked:
            picked[name] = _parameters(picked[name])
    return picked


def _parameters(parameters: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return [
        _keyed(key, _picked(body, PARAMETER, parameters=("object",)))
        for key, body in (parameters or {}).items()
    ]
