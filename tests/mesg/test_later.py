"""The definition of every release, made from mesg.yml: each one passes the rules of every
release it is for, the later form states what each parameter holds, and what is added to
mesg.yml reaches every form."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from mesg_pusher.mesg import (
    FORMS,
    RELEASES,
    SHAPES,
    DefinitionError,
    Output,
    Parameter,
    Price,
    check_tree,
    definition_for,
    detect_form,
    form_of,
    later_definition,
    load_packaged,
    packaged_text,
    parse_tree,
    releases,
    spans,
)
from mesg_pusher.mesg._later import env_entry
from mesg_pusher.runtime import DEPLOYED_VARIABLES

ROOT = Path(__file__).resolve().parents[2]


def generated(name: str, price: Price | None = None) -> str:
    return definition_for(releases(name), packaged_text(), DEPLOYED_VARIABLES, price=price)


def test_the_root_mesg_yml_passes_every_first_generation_release() -> None:
    tree = parse_tree((ROOT / "mesg.yml").read_text("utf-8"))
    assert detect_form(tree) == "first"
    verdicts = [check_tree(tree, release) for release in FORMS["first"]]
    assert [v.release for v in verdicts if v.problems or v.warnings] == []
    assert spans(FORMS["first"]) == "v0.1.0 to v0.9.1"


#: The first release of each form the definitions are written in (v0.1-v0.5 share the root's).
WRITTEN = {"first": "v0.1.0", "first-env": "v0.6.0", "later": "v0.10.0", "priced": "v0.26.0"}


@pytest.mark.parametrize("form", sorted(WRITTEN))
def test_each_written_definition_passes_every_release_of_its_form(form: str) -> None:
    tree = parse_tree(generated(WRITTEN[form]))
    assert detect_form(tree) == form
    for reader in FORMS[detect_form(tree)]:
        verdict = check_tree(tree, reader)
        assert verdict.problems == (), (reader, verdict.problems[:3])
        # v0.26's one warning: the compiler drops the prices (service.json keeps them).
        dropped = ["tasks.trigger.price"] if form == "priced" else []
        assert [w.path for w in verdict.warnings] == dropped, (reader, verdict.warnings[:3])


def test_each_release_is_given_its_forms_definition() -> None:
    texts = {form: generated(name) for form, name in WRITTEN.items()}
    detected = {form: detect_form(parse_tree(text)) for form, text in texts.items()}
    for release in RELEASES:
        assert release in FORMS[detected[form_of(release)]]
    # The same text for every release of a form: its first and its last, at each boundary.
    for first, last in (("v0.1", "v0.5"), ("v0.6", "v0.9.1"), ("v0.10", "v0.25.1")):
        assert generated(first) == generated(last) == texts[form_of(releases(first)[0])]


def test_the_forms_cover_every_release_once_for_the_definitions_written() -> None:
    assert sorted({form_of(r) for r in RELEASES}) == ["first", "first-env", "later", "priced"]
    assert spans(r for r in RELEASES if form_of(r) == "first") == "v0.1.0 to v0.5.0"
    assert spans(FORMS["first-env"]) == "v0.6.0 to v0.9.1"
    assert spans(FORMS["later"]) == "v0.10.0 to v0.25.1"
    assert spans(FORMS["priced"]) == "v0.26.0"


def test_v01_to_v05_deploy_mesg_yml_itself_and_v06_the_repositorys_copy() -> None:
    assert generated("v0.2") == packaged_text()
    assert generated("v0.6") == (ROOT / "mesg-v0.6.yml").read_text("utf-8")
    assert generated("v0.9.1") == generated("v0.6.0")


def test_the_later_form_says_what_each_task_answers() -> None:
    tree = yaml.safe_load(generated("v0.16"))
    assert tree["sid"] == "com.mesg.pusher"
    assert tree["name"] == "mesg-pusher"
    assert tree["configuration"] == {
        "ports": ["3000"],
        "env": [env_entry(name) for name in DEPLOYED_VARIABLES],
    }
    definition = load_packaged()
    assert sorted(tree["tasks"]) == sorted(definition.tasks)
    for key, task in definition.tasks.items():
        later = tree["tasks"][key]
        # One output: the success data's parameters; an error is the execution's error text.
        assert list(later["outputs"]) == list(task.outputs["success"].data)
        assert list(later["inputs"]) == list(task.inputs)
        assert later["description"] == task.description
        assert "price" not in later
    assert list(tree["events"]) == list(definition.events)
    batch = tree["tasks"]["triggerBatch"]["inputs"]["batch"]
    assert (batch["type"], batch["repeated"]) == ("Object", True)
    assert {k: (v["type"], v.get("optional", False)) for k, v in batch["object"].items()} == {
        "name": ("String", False),
        "channel": ("String", False),
        "data": ("Any", False),
        "socket_id": ("String", True),
        "info": ("String", True),
    }
    trigger = tree["tasks"]["trigger"]["inputs"]
    assert (trigger["channels"]["type"], trigger["channels"]["repeated"]) == ("String", True)
    assert trigger["data"]["type"] == "Any"
    assert tree["tasks"]["users"]["outputs"]["users"]["repeated"] is True
    user = tree["tasks"]["authenticateUser"]["inputs"]["user_data"]
    assert (user["type"], list(user["object"])) == ("Object", ["id"])


def test_every_object_of_mesg_yml_has_a_shape_and_every_shape_an_object() -> None:
    """In the later engines Object is a JSON object only: every Object parameter says what it
    holds (a new one fails here until it has its entry in SHAPES)."""
    definition = load_packaged()
    objects = set()
    for key, task in definition.tasks.items():
        places = (("inputs", task.inputs), ("outputs", task.outputs["success"].data))
        for place, parameters in places:
            objects |= {
                f"tasks.{key}.{place}.{name}"
                for name, parameter in parameters.items()
                if parameter.type == "Object"
            }
    for key, event in definition.events.items():
        objects |= {f"events.{key}.data.{n}" for n, p in event.data.items() if p.type == "Object"}
    assert objects == set(SHAPES)


def test_a_parameter_added_to_mesg_yml_reaches_the_later_form() -> None:
    definition = load_packaged()
    trigger = definition.tasks["trigger"]
    success = trigger.outputs["success"]
    added = replace(
        trigger,
        inputs={**trigger.inputs, "extra": Parameter("extra", "Number", "new", optional=True)},
        outputs={
            **trigger.outputs,
            "success": replace(success, data={**success.data, "id": Parameter("id")}),
        },
    )
    later = later_definition(replace(definition, tasks={**definition.tasks, "trigger": added}))
    inputs, outputs = later.tasks["trigger"].inputs, later.tasks["trigger"].outputs
    assert (inputs["extra"].type, inputs["extra"].optional, inputs["extra"].description) == (
        "Number",
        True,
        "new",
    )
    assert outputs["id"].type == "String"


def test_a_task_with_two_answers_besides_error_has_no_later_form() -> None:
    definition = load_packaged()
    trigger = definition.tasks["trigger"]
    two = replace(trigger, outputs={**trigger.outputs, "other": Output("other", {})})
    with pytest.raises(DefinitionError, match=r"tasks.trigger: engines v0.10 and later take one"):
        later_definition(replace(definition, tasks={"trigger": two}))


def test_v026_prices_every_task_zero_unless_asked() -> None:
    free = yaml.safe_load(generated("v0.26"))
    prices = [task["price"] for task in free["tasks"].values()]
    assert prices == [{"perCall": "0", "perSec": "0", "perKB": "0"}] * len(free["tasks"])
    priced = yaml.safe_load(generated("v0.26.0", Price(1000, 20, 3)))
    assert priced["tasks"]["trigger"]["price"] == {"perCall": "1000", "perSec": "20", "perKB": "3"}
    with pytest.raises(ValueError, match=r"a task price is read by v0\.26\.0 only"):
        generated("v0.16", Price())
    with pytest.raises(ValueError, match="a price is zero or more"):
        Price(-1)


def test_releases_of_two_forms_have_no_one_definition() -> None:
    with pytest.raises(ValueError, match="do not read one form"):
        definition_for((*releases("v0.5"), *releases("v0.6")), packaged_text(), DEPLOYED_VARIABLES)


def test_the_later_form_names_the_releases_it_is_for() -> None:
    first = generated("v0.10").splitlines()[0]
    assert first.startswith("# For MESG engines v0.10.0 to v0.25.1. Generated from mesg.yml")
    assert generated("v0.26").splitlines()[0].startswith("# For MESG engines v0.26.0.")
