"""mesg.yml: its contract with the seed, the engine's rules, and the README it renders to."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mesg_pusher.mesg import (
    DefinitionError,
    Parameter,
    load,
    load_packaged,
    render_tasks,
    validate,
)

ROOT = Path(__file__).resolve().parents[2]
#: The original service's README, as its mesg.yml rendered it: the contract kept here.
SEED_RENDERING = Path(__file__).resolve().parent / "data" / "seed-README.md"


def test_root_mesg_yml_is_the_packaged_one() -> None:
    assert (ROOT / "mesg.yml").read_text() == (ROOT / "src/mesg_pusher/mesg.yml").read_text()


def seed_contract() -> dict[str, dict[str, dict[str, str]]]:
    """The seed's tasks as its README renders them: each task's inputs and each output's data,
    key to type (``trigger``, ``trigger.success`` ...)."""
    contract: dict[str, dict[str, dict[str, str]]] = {}
    task = place = ""
    for line in SEED_RENDERING.read_text("utf-8").splitlines():
        if line.startswith("## "):
            task = place = line[3:]
        elif line.startswith("##### "):
            place = f"{task}.{line[6:]}"
        elif match := re.fullmatch(r"\| \*\*(\w+)\*\* \| `(\w+)` \|.*", line):
            contract.setdefault(task, {}).setdefault(place, {})[match[1]] = match[2]
    return contract


def test_every_seed_task_input_and_output_keeps_its_key_and_type() -> None:
    """The seed's contract holds: each of its tasks, inputs and outputs is declared with the same
    type, except `socket_id`, a `String` since a socket id is one ("1234.5678"). Descriptions
    are this service's own, and `appId`, `key`, `secret` became optional (the environment may
    give them)."""
    definition = load_packaged()
    contract = seed_contract()
    assert sorted(contract) == ["trigger", "triggerBatch"]
    for key, places in contract.items():
        task = definition.tasks[key]
        for place, parameters in places.items():
            output = place.partition(".")[2]
            declared = task.outputs[output].data if output else task.inputs
            for name, kind in parameters.items():
                expected = "String" if (key, name) == ("trigger", "socket_id") else kind
                assert declared[name].type == expected, (place, name)
    assert contract["trigger"]["trigger"]["socket_id"] == "Object"


def test_required_and_optional_inputs() -> None:
    tasks = load_packaged().tasks
    required = {
        key: sorted(k for k, p in task.inputs.items() if not p.optional)
        for key, task in tasks.items()
    }
    assert required == {
        "trigger": ["data", "name"],
        "triggerBatch": ["batch"],
        "channels": [],
        "channel": ["channel"],
        "users": ["channel"],
        "sendToUser": ["data", "name", "userId"],
        "terminateUserConnections": ["userId"],
        "authorizeChannel": ["channel", "socket_id"],
        "authenticateUser": ["socket_id", "user_data"],
    }
    for key, task in tasks.items():
        assert sorted(task.outputs) == ["error", "success"]
        error = task.outputs["error"].data
        assert error["error"] == Parameter("error", description="what went wrong")
        shape = {k: (p.type, p.optional) for k, p in error.items()}
        expected = {"error": ("String", False), "kind": ("String", False)}
        expected["retry"] = ("String", False)
        if not key.startswith("auth"):  # the tasks that call Pusher
            expected["status"] = ("Number", True)
        if key in ("trigger", "triggerBatch"):
            expected["published"] = ("Number", True)
        if key in ("trigger", "triggerBatch", "sendToUser"):
            expected["dataBytes"] = ("Number", True)
        assert shape == expected, key


CONNECTION = [
    "appId", "key", "secret", "cluster", "encrypted", "proxy", "host", "port", "keepAlive",
    "timeout",
]  # fmt: skip


def test_every_task_declares_the_connection_inputs_it_reads_alike() -> None:
    """Each task calling Pusher takes trigger's connection inputs, each declared exactly as
    trigger declares it; the two that sign for a browser take the key and the secret only."""
    tasks = load_packaged().tasks
    trigger = tasks["trigger"].inputs
    for key, task in tasks.items():
        names = ["key", "secret"] if key.startswith("auth") else CONNECTION
        for name in names:
            assert task.inputs[name] == trigger[name], (key, name)
            assert task.inputs[name].optional
        others = set(CONNECTION) - set(names)
        assert not others & set(task.inputs), key


def test_descriptions_are_printable_ascii_as_later_engines_require() -> None:
    text = (ROOT / "src/mesg_pusher/mesg.yml").read_text("utf-8")
    assert all(" " <= c <= "~" or c == "\n" for c in text)


def test_outputs_declare_what_the_answers_carry() -> None:
    tasks = load_packaged().tasks

    def shape(task: str) -> dict[str, tuple[str, bool]]:
        data = tasks[task].outputs["success"].data
        return {k: (p.type, p.optional) for k, p in data.items()}

    message = {"message": ("String", False)}
    calls = {"calls": ("Number", True)}
    assert shape("trigger") == {**message, **calls, "channels": ("Object", True)}
    assert shape("triggerBatch") == {**message, **calls, "batch": ("Object", True)}
    assert shape("sendToUser") == shape("terminateUserConnections") == message
    assert shape("channels") == {"channels": ("Object", False)}
    assert shape("channel") == {
        "occupied": ("Boolean", False),
        "user_count": ("Number", True),
        "subscription_count": ("Number", True),
        "cache": ("Object", True),
    }
    assert shape("users") == {"users": ("Object", False)}
    assert shape("authorizeChannel") == {
        "auth": ("String", False),
        "channel_data": ("String", True),
        "shared_secret": ("String", True),
    }
    assert shape("authenticateUser") == {"auth": ("String", False), "user_data": ("String", False)}


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
        ("description: x", r"^mesg.yml: name: is required \(v0.1.0 to v0.9.1\)$"),
        ("name: x\nunknown: 1", r"^mesg.yml: unknown: unknown key: the definition takes "),
        ("name: x\ntasks:\n  bad.key:\n    outputs: {}", r"tasks\.bad\.key: a key matches"),
        ("name: x\ntasks:\n  t:\n    inputs: {}", r"tasks\.t\.outputs: is required"),
        ("name: x\ntasks:\n  t:\n    outputs:\n      o: {}", r"tasks\.t\.outputs\.o\.data: is"),
        (
            "name: x\ntasks:\n  t:\n    inputs:\n      a: {type: Integer}\n    outputs: {}",
            "one of String, Number, Boolean, Object, not 'Integer'",
        ),
        ("name: [", "not valid YAML"),
        (
            "name: x\ntasks:\n  t:\n    inputs:\n      keyBase64: {type: String}\n    outputs: {}",
            r"tasks\.t\.inputs\.keyBase64: a key matches \^\[a-zA-Z_-\]\+\$ \(v0.1.0 to v0.2.0\)$",
        ),
        (
            "name: x\ntasks:\n  t:\n    outputs:\n      o:\n        data:\n          n2: {}",
            r"n2: a key matches",
        ),
        # The schema of v0.1.0 to v0.8.1 requires a parameter's type (its "default" is a
        # comment to readers: JSON schema validation does not apply it).
        (
            "name: x\ntasks:\n  t:\n    inputs:\n      a: {}\n    outputs: {}",
            r"a\.type: is required",
        ),
        ("name: x\ntasks:\n  t:\n    outputs: {}\n    secrets: {}", r"t\.secrets: unknown key"),
        ("name: x\nname: y", "the key 'name' is written twice"),
    ],
)
def test_malformed_definitions_are_refused(text: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        load(text)


def test_the_loaded_model_holds_configuration_and_sid() -> None:
    definition = load(
        "name: x\nsid: com.x\ntasks:\n  t:\n    inputs:\n      a: {type: Number}\n"
        "    outputs: {}\nconfiguration:\n  ports: ['3000']\n  env: [A=1]\n",
        engine="v0.6",
    )
    assert definition.tasks["t"].inputs["a"].type == "Number"
    assert definition.sid == "com.x"
    assert definition.configuration.ports == ("3000",)
    assert definition.configuration.env == ("A=1",)
    assert load_packaged().configuration.ports == ("3000",)
