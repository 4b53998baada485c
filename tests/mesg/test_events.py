"""mesg.yml's events: one per Pusher webhook event with the issue's keys, in the engine's v0.2
format, checked with the engine's rules, and rendered in gen-doc and the README."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mesg_pusher.mesg import (
    DefinitionError,
    Output,
    Parameter,
    load,
    load_packaged,
    render,
    render_events,
    render_tasks,
    validate,
)

ROOT = Path(__file__).resolve().parents[2]

#: The contract of issue 11: each event's data beside `channel` and `time_ms`.
CONTRACT: dict[str, dict[str, tuple[str, bool]]] = {
    "channel_occupied": {},
    "channel_vacated": {},
    "cache_miss": {},
    "member_added": {"user_id": ("String", False), "user_info": ("Object", True)},
    "member_removed": {"user_id": ("String", False), "user_info": ("Object", True)},
    "client_event": {
        "event": ("String", False),
        "data": ("String", False),
        "socket_id": ("String", False),
        "user_id": ("String", True),
    },
    "subscription_count": {"subscription_count": ("Number", False)},
}

REGENERATE = (
    "regenerate the README's tail: .venv/bin/python -c 'from mesg_pusher.mesg import *; "
    'd = load_packaged(); print(render_tasks(d) + render_events(d), end="")\''
)


def test_one_event_per_pusher_webhook_with_the_contract_keys() -> None:
    events = load_packaged().events
    assert sorted(events) == sorted(CONTRACT)
    for key, more in CONTRACT.items():
        expected = {
            "channel": ("String", False),
            "app_key": ("String", False),
            "time_ms": ("Number", False),
            **more,
        }
        data = events[key].data
        assert {k: (p.type, p.optional) for k, p in data.items()} == expected, key
        assert events[key].description, key
        assert all(p.description for p in data.values()), key


def test_events_use_only_the_v0_2_format() -> None:
    # No `repeated`, no `Any`, no nested `object`: the loader refuses them, and every type used
    # is one of the four the v0.2 engine knows.
    text = (ROOT / "src/mesg_pusher/mesg.yml").read_text("utf-8")
    for newer in ("repeated", "Any", "object:"):
        assert newer not in text
    for event in load_packaged().events.values():
        assert {p.type for p in event.data.values()} <= {"String", "Number", "Object"}


def test_the_engine_rules_apply_to_event_data() -> None:
    client_event = load_packaged().events["client_event"].data
    good = {
        "channel": "private-room",
        "event": "client-typing",
        "data": '{"typing":true}',
        "socket_id": "1.2",
        "app_key": "278d425bdf160c739803",
        "time_ms": 1700000000000,
    }
    assert validate(client_event, good) == []
    assert validate(client_event, {**good, "user_id": "ada"}) == []
    assert validate(client_event, {**good, "data": {"typing": True}, "time_ms": "1"}) == [
        ("data", "is not a string"),
        ("time_ms", "is not a number"),
    ]
    assert validate(client_event, {"channel": "x"}) == [
        ("app_key", "is required"),
        ("data", "is required"),
        ("event", "is required"),
        ("socket_id", "is required"),
        ("time_ms", "is required"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nevents:\n  bad.key:\n    data: {}", "a key matches"),
        ("name: x\nevents:\n  e: {}", r"events\.e\.data: is required"),
        ("name: x\nevents:\n  e:\n    data: {}\n    inputs: {}", r"e\.inputs: unknown key: "),
        ("name: x\nevents:\n  e:\n    data:\n      p: {type: Any}", "one of String"),
        (
            "name: x\nevents:\n  e:\n    data:\n      p: {type: String, repeated: true}",
            r"p\.repeated: unknown key here \(repeated is read by v0.7.0 to v0.26.0\)",
        ),
    ],
)
def test_malformed_events_are_refused(text: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        load(text)


def test_gen_doc_renders_events_as_the_v0_2_engine_does() -> None:
    """The engine's template: ``# Events`` before ``# Tasks``, per event ``## <key>``, its key,
    its description and a table of its data, rows in key order."""
    definition = load_packaged()
    document = render(definition)
    events = render_events(definition)
    assert document.index(events) < document.index(render_tasks(definition))
    one = dataclasses.replace(
        definition,
        tasks={},
        events={
            "zeta": Output("zeta", {"b": Parameter("b", "Number", "second")}, "last one"),
            "alpha": Output("alpha", {"a": Parameter("a", description="the a")}, "first"),
        },
    )
    assert render(one) == (
        "# mesg-pusher\n\nMESG Service for [Pusher](https://pusher.com/docs/server_api_guide)\n\n"
        "# Events\n"
        "\n## alpha\n\nEvent key: `alpha`\n\nfirst\n\n"
        "| **Key** | **Type** | **Description** |\n| --- | --- | --- |\n"
        "| **a** | `String` | the a |\n"
        "\n## zeta\n\nEvent key: `zeta`\n\nlast one\n\n"
        "| **Key** | **Type** | **Description** |\n| --- | --- | --- |\n"
        "| **b** | `Number` | second |\n"
        "\n\n"
    )
    assert render_events(dataclasses.replace(definition, events={})) == ""


def test_readme_reference_is_the_tasks_then_the_events_rendering() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    definition = load_packaged()
    assert render_events(definition).startswith("# Events\n")
    assert readme.endswith(render_tasks(definition) + render_events(definition)), REGENERATE
