"""mesg.yml: its contract with the seed, the engine's rules, and the README it renders to."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mesg_pusher.mesg import (
    DefinitionError,
    Parameter,
    load,
    load_packaged,
    render,
    render_tasks,
    validate,
)

ROOT = Path(__file__).resolve().parents[2]
#: The original service's README, as its mesg.yml rendered it: the contract kept here.
SEED_RENDERING = Path(__file__).resolve().parent / "data" / "seed-README.md"


def test_root_mesg_yml_is_the_packaged_one() -> None:
    assert (ROOT / "mesg.yml").read_text() == (ROOT / "src/mesg_pusher/mesg.yml").read_text()


def test_definition_is_the_seed_contract_with_socket_id_as_a_string() -> None:
    """Rendered with the seed's one deliberate difference undone, mesg.yml gives the seed's
    README byte for byte: same keys, types, descriptions and outputs."""
    definition = load_packaged()
    assert definition.tasks["trigger"].inputs["socket_id"].type == "String"
    trigger = definition.tasks["trigger"]
    as_seed = dataclasses.replace(
        trigger,
        inputs={
            **trigger.inputs,
            "socket_id": dataclasses.replace(trigger.inputs["socket_id"], type="Object"),
        },
    )
    # The seed declared no events; they are this service's addition (tests/mesg/test_events.py).
    seed = dataclasses.replace(
        definition, tasks={**definition.tasks, "trigger": as_seed}, events={}
    )
    assert render(seed) == SEED_RENDERING.read_text("utf-8")


def test_required_and_optional_inputs() -> None:
    tasks = load_packaged().tasks
    required = {
        key: sorted(k for k, p in task.inputs.items() if not p.optional)
        for key, task in tasks.items()
    }
    assert required == {
        "trigger": ["appId", "data", "key", "name", "secret"],
        "triggerBatch": ["appId", "batch", "key", "secret"],
    }
    for task in tasks.values():
        assert sorted(task.outputs) == ["error", "success"]
        assert task.outputs["success"].data == {"message": Parameter("message")}
        assert task.outputs["error"].data == {"error": Parameter("error")}


def test_readme_tasks_section_is_what_mesg_yml_renders_to() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    tasks = render_tasks(load_packaged())
    assert tasks.strip().startswith("# Tasks")
    assert tasks in readme


def test_engine_rules() -> None:
    params = {
        "s": Parameter("s", "String"),
        "n": Parameter("n", "Number"),
        "b": Parameter("b", "Boolean"),
        "o": Parameter("o", "Object"),
        "opt": Parameter("opt", "String", optional=True),
    }
    assert validate(params, {"s": "x", "n": 1.5, "b": False, "o": [], "extra": 1}) == []
    assert validate(params, {"s": "x", "n": 0, "b": True, "o": {}, "opt": None}) == []
    assert validate(params, {"s": None, "n": True, "b": 0, "o": "x", "opt": 3}) == [
        ("b", "is not a boolean"),
        ("n", "is not a number"),
        ("o", "is not an object or array"),
        ("opt", "is not a string"),
        ("s", "is required"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("description: x", "name is required"),
        ("name: x\nunknown: 1", "unknown keys unknown"),
        ("name: x\ntasks:\n  bad.key:\n    outputs: {}", "a key matches"),
        ("name: x\ntasks:\n  t:\n    inputs: {}", "outputs are required"),
        ("name: x\ntasks:\n  t:\n    outputs:\n      o: {}", "data is required"),
        (
            "name: x\ntasks:\n  t:\n    inputs:\n      a: {type: Integer}\n    outputs: {}",
            "one of String, Number, Boolean, Object",
        ),
        ("name: [", "not valid YAML"),
    ],
)
def test_malformed_definitions_are_refused(text: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        load(text)


def test_parameter_type_defaults_to_string() -> None:
    definition = load("name: x\ntasks:\n  t:\n    inputs:\n      a: {}\n    outputs: {}")
    assert definition.tasks["t"].inputs["a"].type == "String"
