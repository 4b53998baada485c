"""Each release's rules held to the engine's sources: for every rule, a definition the release
refuses (with the message), and the nearest release that reads the same definition.

Sources, per tag of mesg-foundation/engine: ``service/importer/assets/schema.json`` and the
importer's Go structs (v0.1.0-v0.8.1), ``service/importer/definition.go`` and
``service_file.go`` with ``x/xvalidator`` (v0.9.0-v0.10.1), ``protobuf/types/service.proto``'s
validate tags and ``service/validator`` (v0.11.0 on), after the CLI compiler (mesg-cli
``src/utils/compiler.ts``, @mesg/compiler ``src/service.ts``) picked its keys.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import pytest

from mesg_pusher.mesg import (
    RELEASES,
    DefinitionError,
    Release,
    check_tree,
    parse_tree,
    releases,
    rules_for,
    spans,
)
from mesg_pusher.mesg._check import is_domain, is_request_uri

#: A first-generation definition (outputs keyed, with data) and a later one (outputs are the
#: success data's parameters), each the smallest every release of its form reads.
G1 = "name: s\ntasks:\n  t:\n    outputs:\n      success:\n        data: {}\n"
LATER = "name: s\ntasks:\n  t:\n    outputs:\n      message: {type: String}\n"


def release(name: str) -> Release:
    (found,) = releases(name)
    return found


def problems(text: str, name: str) -> list[str]:
    return [str(f) for f in check_tree(parse_tree(text), release(name)).problems]


def warnings(text: str, name: str) -> list[str]:
    return [str(f) for f in check_tree(parse_tree(text), release(name)).warnings]


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    refused_by: str
    message: str
    read_by: str | None


CASES = [
    # The key rule: no digits in v0.1.0 and v0.2.0, digits from v0.3.0, any printable ASCII from
    # the v0.9.0 validator (`dive,keys,printascii,endkeys`), not empty from v0.21.0.
    Case("digit-in-a-task-key", G1.replace("  t:", "  t2:"), "v0.2.0",
         "tasks.t2: a key matches ^[a-zA-Z_-]+$", "v0.3.0"),
    Case("digit-in-a-parameter-key",
         G1.replace("data: {}", "data:\n          n2: {type: String}"), "v0.1.0",
         "tasks.t.outputs.success.data.n2: a key matches ^[a-zA-Z_-]+$", "v0.3.0"),
    Case("dot-in-a-key", G1.replace("  t:", "  t.x:"), "v0.8.1",
         "tasks.t.x: a key matches ^[0-9a-zA-Z_-]+$", "v0.9.0"),
    Case("accent-in-a-key", G1.replace("  t:", "  té:"), "v0.9.0",
         "tasks.té: a key is printable ASCII", None),
    Case("empty-key", LATER.replace("  t:", '  "":'), "v0.21.0",
         "tasks.: a key must not be empty", "v0.20.0"),
    # Top-level keys: sid from v0.5.0; v0.1.0's Go struct had visibility and publish.
    Case("sid-before-v0.5", G1 + "sid: com.x\n", "v0.4.0",
         "sid: unknown key here (sid is read by v0.5.0 to v0.26.0)", "v0.5.0"),
    Case("visibility-after-v0.1.0", G1 + "visibility: ALL\n", "v0.2.0",
         "visibility: unknown key here (visibility is read by v0.1.0)", "v0.1.0"),
    Case("visibility-value", G1 + "visibility: SOME\n", "v0.1.0",
         "visibility: one of '', 'ALL', 'USERS', 'WORKERS', 'NONE'", None),
    # The schema of v0.1.0 lists `version`, the Go struct does not: the strict reading refuses.
    Case("version", G1 + "version: '1'\n", "v0.1.0",
         "version: unknown key: the definition takes configuration, dependencies, description, "
         "events, name, publish, repository, tasks, visibility", None),
    # A task's secrets: in the schema, in no Go struct (refused), dropped by the compilers.
    Case("secrets", G1.replace("    outputs:", "    secrets: {}\n    outputs:"), "v0.9.1",
         "tasks.t.secrets: unknown key: a task takes description, inputs, name, outputs", None),
    # Outputs: keyed with data to v0.9.1, the success data's parameters from v0.10.0.
    Case("keyed-outputs-on-v0.10", G1, "v0.10.0",
         "tasks.t.outputs.success.type: is required: one of String, Number, Boolean, Object, Any",
         "v0.9.1"),
    Case("parameter-outputs-on-v0.9", LATER, "v0.9.1",
         "tasks.t.outputs.message.type: unknown key: an output takes data, description, name",
         "v0.10.0"),
    Case("outputs-required-to-v0.9", "name: s\ntasks:\n  t: {}\n", "v0.9.1",
         "tasks.t.outputs: is required (a mapping of outputs, each with its data)", "v0.10.0"),
    # The schema requires a parameter's type (its default is not applied); so do the validators.
    Case("type-required", LATER.replace("{type: String}", "{description: x}"), "v0.16.0",
         "tasks.t.outputs.message.type: is required: one of String, Number, Boolean, Object, Any",
         None),
    Case("any-before-v0.7", G1.replace("data: {}", "data:\n          a: {type: Any}"), "v0.6.0",
         "tasks.t.outputs.success.data.a.type: one of String, Number, Boolean, Object, not 'Any' "
         "(Any is read from v0.7.0)", "v0.7.0"),
    Case("repeated-before-v0.7",
         G1.replace("data: {}", "data:\n          a: {type: String, repeated: true}"), "v0.6.0",
         "tasks.t.outputs.success.data.a.repeated: unknown key here (repeated is read by v0.7.0 "
         "to v0.26.0)", "v0.7.0"),
    Case("object-before-v0.7",
         G1.replace("data: {}", "data:\n          a:\n            type: Object\n            "
                    "object: {b: {type: String}}"), "v0.6.0",
         "tasks.t.outputs.success.data.a.object: unknown key here (object is read by v0.7.0 to "
         "v0.26.0)", "v0.7.0"),
    Case("nested-object-keys", G1.replace("data: {}", "data:\n          a:\n            type: "
                                          "Object\n            object: {b.c: {type: String}}"),
         "v0.8.1", "tasks.t.outputs.success.data.a.object.b.c: a key matches ^[0-9a-zA-Z_-]+$",
         "v0.9.0"),
    # configuration: args from v0.5.0, env from v0.6.0, volumesfrom renamed in v0.10.0.
    Case("args-before-v0.5", G1 + "configuration: {args: [x]}\n", "v0.4.0",
         "configuration.args: unknown key here (args is read by v0.5.0 to v0.26.0)", "v0.5.0"),
    Case("env-before-v0.6", G1 + "configuration: {env: [A=]}\n", "v0.5.0",
         "configuration.env: unknown key here (env is read by v0.6.0 to v0.26.0)", "v0.6.0"),
    Case("volumesFrom-before-v0.10",
         G1 + "dependencies: {db: {image: x}}\nconfiguration: {volumesFrom: [db]}\n", "v0.9.1",
         "configuration.volumesFrom: unknown key here (volumesFrom is read by v0.10.0 to v0.26.0)",
         None),
    Case("volumesfrom-on-v0.10",
         LATER + "dependencies: {db: {image: x}}\nconfiguration: {volumesfrom: [db]}\n", "v0.10.0",
         "configuration.volumesfrom: unknown key here (volumesfrom is read by v0.1.0 to v0.9.1)",
         None),
    Case("volumesFrom-names-a-dependency", LATER + "configuration: {volumesFrom: [db]}\n",
         "v0.10.0", "configuration.volumesFrom: dependency 'db' does not exist", None),
    Case("configuration-image", G1 + "configuration: {image: x}\n", "v0.9.1",
         "configuration.image: is not allowed: the engine builds the image", "v0.9.0"),
    Case("dependency-image", G1 + "dependencies: {db: {ports: ['80']}}\n", "v0.9.0",
         "dependencies.db.image: is required for a dependency", None),
    Case("dependency-named-service", G1 + "dependencies: {service: {image: x}}\n", "v0.7.0",
         "dependencies.service: the key service is kept for the service itself", "v0.6.0"),
    # configuration.env entries: unique texts (schema), then x/xvalidator's IsEnv: exactly one
    # `=` to v0.16.0, one or none from v0.17.0; the name ^[a-zA-Z][a-zA-Z0-9_]*$.
    Case("env-without-equals", LATER + "configuration: {env: [A]}\n", "v0.16.0",
         "configuration.env: 'A' is not KEY=VALUE (a name matching ^[a-zA-Z][a-zA-Z0-9_]*$, "
         "exactly one =; an empty value as in KEY= is fine)", "v0.17.0"),
    Case("env-without-equals-g1", G1 + "configuration: {env: [A]}\n", "v0.9.0",
         "configuration.env: 'A' is not KEY=VALUE (a name matching ^[a-zA-Z][a-zA-Z0-9_]*$, "
         "exactly one =; an empty value as in KEY= is fine)", "v0.8.1"),
    Case("env-two-equals", LATER + "configuration: {env: ['A=b=c']}\n", "v0.25.1",
         "configuration.env: 'A=b=c' is not KEY or KEY=VALUE (a name matching "
         "^[a-zA-Z][a-zA-Z0-9_]*$, at most one =; an empty value as in KEY= is fine)", None),
    Case("env-name", LATER + "configuration: {env: ['1A=x']}\n", "v0.17.0",
         "configuration.env: '1A=x' is not KEY or KEY=VALUE (a name matching "
         "^[a-zA-Z][a-zA-Z0-9_]*$, at most one =; an empty value as in KEY= is fine)", None),
    Case("env-twice", G1 + "configuration: {env: [A=, A=]}\n", "v0.6.0",
         "configuration.env: each entry once", None),
    Case("env-null", G1 + "configuration: {env: }\n", "v0.8.1",
         "configuration.env: a list of text is expected", "v0.9.0"),
    # sid: the schema's ^[0-9a-zA-Z._-]+$ up to 39 characters, then max=63 and domain-style.
    Case("sid-40", G1 + f"sid: {'a' * 40}\n", "v0.8.1",
         "sid: at most 39 characters matching ^[0-9a-zA-Z._-]+$", "v0.9.0"),
    Case("sid-64", G1 + f"sid: {'a' * 64}\n", "v0.9.0", "sid: at most 63 characters", None),
    Case("sid-domain", G1 + "sid: com..mesg\n", "v0.9.0",
         "sid: must be domain-style, like com.mesg.pusher", "v0.8.1"),
    # printascii: texts from v0.9.0.
    Case("accent", G1 + "description: café\n", "v0.9.0",
         "description: printable ASCII only, not 'é'", "v0.8.1"),
    Case("line-break", G1 + "description: |\n  two\n  lines\n", "v0.9.0",
         "description: printable ASCII only, not '\\n'", "v0.8.1"),
    # portmap and uri from v0.9.0; the schema took any unique texts.
    Case("port", G1 + "configuration: {ports: [http]}\n", "v0.9.0",
         "configuration.ports: 'http' is not a port or a mapping (like 80 or 80:8080, 1 to "
         "65535)", "v0.8.1"),
    Case("port-range", LATER + "configuration: {ports: ['80:70000']}\n", "v0.16.0",
         "configuration.ports: '80:70000' is not a port or a mapping (like 80 or "
         "80:8080, 1 to 65535)", None),
    Case("repository", G1 + "repository: github.com/x\n", "v0.9.0",
         "repository: an absolute URI is expected (like https://github.com/x)", "v0.8.1"),
    # Event data: required by the schema (present), not null for the v0.9 validator, optional
    # once compiled.
    Case("event-data", LATER + "events:\n  e: {}\n", "v0.10.0",
         "events.e.data: is required (a mapping of parameters, {} for none)", "v0.11.0"),
    Case("event-data-null", G1 + "events:\n  e: {data: }\n", "v0.9.0",
         "events.e.data: is required (a mapping of parameters, {} for none)", "v0.8.1"),
    # The strict readers refuse what the compilers drop.
    Case("unknown-task-key", LATER.replace("    outputs:", "    foo: 1\n    outputs:"), "v0.10.1",
         "tasks.t.foo: unknown key: a task takes description, inputs, name, outputs", "v0.11.0"),
    Case("boolean", G1.replace("data: {}", "data:\n          a: {type: String, optional: 'yes'}"),
         "v0.9.0", "tasks.t.outputs.success.data.a.optional: true or false is expected", None),
    # v0.26.0: each task's price (a nil price fails `validate:"dive,required"`).
    Case("price", LATER, "v0.26.0",
         'tasks.t.price: is required from v0.26.0: perCall, perSec and perKB, whole numbers '
         '(like "0")', "v0.25.1"),
    Case("price-number", LATER + "    price: {perCall: '1', perSec: x, perKB: '0'}\n",
         "v0.26.0", 'tasks.t.price.perSec: is required: a whole number, like "0"', None),
    Case("name", "tasks: {}\n", "v0.16.0", "name: is required", None),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_rule_refuses_what_its_release_refuses(case: Case) -> None:
    assert case.message in problems(case.text, case.refused_by)
    if case.read_by is not None:
        assert problems(case.text, case.read_by) == []


@pytest.mark.parametrize(
    ("text", "release", "warning"),
    [
        (
            LATER.replace("    outputs:", "    secrets: {}\n    outputs:"),
            "v0.11.0",
            "tasks.t.secrets: dropped by the compiler: unknown key: a task takes description, "
            "inputs, name, outputs",
        ),
        (
            LATER.replace("    outputs:", "    foo: 1\n    outputs:"),
            "v0.11.0",
            "tasks.t.foo: dropped by the compiler: unknown key: a task takes description, "
            "inputs, name, outputs",
        ),
        (
            LATER + "configuration: {image: x}\n",
            "v0.13.0",
            "configuration.image: dropped by the compiler: unknown key here (image is read by "
            "v0.1.0 to v0.10.1)",
        ),
        (
            LATER + "configuration: {volumesfrom: []}\n",
            "v0.16.0",
            "configuration.volumesfrom: dropped by the compiler: unknown key here (volumesfrom is "
            "read by v0.1.0 to v0.9.1)",
        ),
        (
            LATER.replace("{type: String}", "{type: String, optional: 'no'}"),
            "v0.16.0",
            "tasks.t.outputs.message.optional: 'no' is not true or false: the compiler reads it "
            "as True",
        ),
        (
            LATER + "    price: {perCall: '0', perSec: '0', perKB: '0'}\n",
            "v0.25.1",
            "tasks.t.price: dropped by the compiler: unknown key here (price is read by v0.26.0)",
        ),
    ],
)
def test_what_a_compiler_drops_is_a_warning_not_a_problem(
    text: str, release: str, warning: str
) -> None:
    found = warnings(text, release)
    assert any(w.startswith(warning) or warning in w for w in found), found
    assert problems(text, release) == []


def test_secrets_are_refused_by_every_strict_reader_and_dropped_by_every_compiler() -> None:
    """The schema lists a task's secrets; no Go struct has them."""
    for base, form in ((G1, "v0.1.0 to v0.9.1"), (LATER, "v0.10.0 to v0.26.0")):
        text = base.replace("    outputs:", "    secrets: {}\n    outputs:")
        refused = [
            r
            for r in RELEASES
            if any(f.path == "tasks.t.secrets" for f in check_tree(parse_tree(text), r).problems)
        ]
        dropped = [
            r
            for r in RELEASES
            if any(f.path == "tasks.t.secrets" for f in check_tree(parse_tree(text), r).warnings)
        ]
        assert spans(refused) == "v0.1.0 to v0.10.1", form
        assert spans(dropped) == "v0.11.0 to v0.26.0", form


def test_a_key_written_twice_is_refused_when_read() -> None:
    with pytest.raises(DefinitionError, match="the key 't' is written twice"):
        parse_tree(G1 + "  t:\n    outputs: {}\n")


def test_v0_1_0_reads_its_own_task_fees() -> None:
    fees = "    fees: {executor: 2 MESG, developer: '0.5'}\n"
    text = G1.replace("    outputs:", f"{fees}    outputs:")
    assert problems(text, "v0.1.0") == []
    bad = text.replace("2 MESG", "two")
    assert problems(bad, "v0.1.0") == [
        "tasks.t.fees.executor: an amount like 0.5 or 2 MESG is expected"
    ]
    assert problems(text, "v0.2.0") == ["tasks.t.fees: unknown key here (fees is read by v0.1.0)"]


def test_the_rules_change_only_where_the_sources_say() -> None:
    """Releases of one series read mesg.yml alike, except v0.9.0/v0.9.1 (configuration.image);
    the readers change at v0.9.0 and v0.11.0."""
    for previous, current in itertools.pairwise(RELEASES):
        same_series = previous.minor == current.minor
        if same_series and current != Release(9, 1):
            assert replace(rules_for(previous), release=current) == rules_for(current)
    assert [rules_for(r).reader for r in releases("v0.8")] == ["schema", "schema"]
    assert rules_for(release("v0.9.0")).reader == "importer"
    assert rules_for(release("v0.11.0")).reader == "compiler"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("com.mesg.pusher", True),
        ("_5xBz", True),  # the sid the engine gives a service without one
        ("a-b.c_d", True),
        ("123", False),  # no letter
        ("-a", False),  # a dash may not follow a dot, nor lead
        ("a.-b", False),
        ("a-.b", False),
        ("a..b", False),
        ("a b", False),
        ("a" * 64, False),
        ("a.", True),
        ("", False),
    ],
)
def test_domain_style_is_gos_rule(name: str, expected: bool) -> None:
    assert is_domain(name) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://github.com/mesg-foundation/engine", True),
        ("git@github.com:x/y", False),  # no scheme: not a request URI
        ("github.com/x", False),
        ("/x", True),
        ("mailto:a@b", True),
        ("https://git hub.com/x", False),
        ("#only", False),
    ],
)
def test_a_repository_is_a_request_uri(value: str, expected: bool) -> None:
    assert is_request_uri(value) is expected
