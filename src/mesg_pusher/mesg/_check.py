"""mesg.yml checked as one engine release reads it: `read_yaml` reads the YAML once, `check_tree`
applies one release's `Rules` and gives every problem (the release refuses the file) and every
warning (the release's compiler drops something without a word).

A finding names the key path (``tasks.trigger.inputs.channels``) and the rule. Pure: no I/O.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import yaml

from ._releases import RELEASES, Release, spans
from ._rules import (
    ENV_NAME,
    FEE,
    PRICE_FIELDS,
    PUBLISH,
    SID_DOMAIN_MAX,
    SID_PATTERN,
    SID_PATTERN_MAX,
    VISIBILITY,
    Rules,
    rules_for,
)

#: What the validator's ``printascii`` accepts: space to tilde.
_PRINTABLE: Final = re.compile(r"[ -~]*")
_NOT_PRINTABLE: Final = re.compile(r"[^ -~]")
_PORT: Final = re.compile(r"[+-]?[0-9]+")
_WHOLE: Final = re.compile(r"-?[0-9]+")
_SCHEME: Final = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")
_AUTHORITY: Final = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@%\[\]-]*")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
#: Where each level's keys are listed in `Rules`, and how a finding names the level.
_LEVELS: Final = {
    "top": "the definition",
    "task": "a task",
    "output": "an output",
    "event": "an event",
    "parameter": "a parameter",
    "configuration": "configuration",
    "dependency": "a dependency",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a release says about the file: where (a dotted key path) and the rule."""

    path: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}: {self.rule}" if self.path else self.rule


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one release makes of the file."""

    release: Release
    problems: tuple[Finding, ...]
    warnings: tuple[Finding, ...]

    @property
    def valid(self) -> bool:
        return not self.problems


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing a key written twice in one mapping, as Go's strict YAML
    reading (v0.2.0-v0.10.1) and js-yaml (the later compilers) do."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                repeated = key in seen
                seen.add(key)
            except TypeError:
                continue  # an unhashable key: the base class says what is wrong with it
            if repeated:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"the key {key!r} is written twice in one mapping (the engines refuse a "
                    "repeated key)",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep)


def read_yaml(text: str) -> Any:
    """The YAML tree of `text`: a `yaml.YAMLError` for what no engine reads (a repeated key
    included), a `RecursionError` when it nests too deeply, a `ValueError` for a date that is
    not one."""
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def check_tree(tree: Any, release: Release) -> Verdict:
    """What `release` makes of the parsed definition `tree`."""
    checker = _Checker(rules_for(release))
    checker.definition(tree)
    return Verdict(release, tuple(checker.problems), tuple(checker.warnings))


@cache
def known_by(level: str, key: str) -> tuple[Release, ...]:
    """The releases that read `key` at `level` (``task``, ``parameter`` ...)."""
    return tuple(r for r in RELEASES if key in getattr(rules_for(r), level))


def is_domain(name: str) -> bool:
    """Domain-style notation as the engine's validator checks a sid (Go's ``isDomainName``,
    RFC 1035 and 3696): labels of letters, digits, ``_`` and ``-`` (not after a dot, not last)
    between single dots, each at most 63 long, at most 253 in all, at least one letter."""
    if not name or len(name) > 254 or (len(name) == 254 and not name.endswith(".")):
        return False
    last, letters, label = ".", False, 0
    for char in name:
        if char.isascii() and (char.isalpha() or char == "_"):
            letters, label = True, label + 1
        elif char.isascii() and char.isdigit():
            label += 1
        elif char == "-":
            if last == ".":
                return False
            label += 1
        elif char == ".":
            if last in ".-" or label == 0 or label > 63:
                return False
            label = 0
        else:
            return False
        last = char
    return last != "-" and label <= 63 and letters


def is_request_uri(value: str) -> bool:
    """What the validator's ``uri`` accepts (Go's ``url.ParseRequestURI`` after the ``#``
    part is cut): an absolute path, or a scheme then a well-formed authority or an opaque
    part; no control characters."""
    value = value.partition("#")[0]
    if not value or _CONTROL.search(value):
        return False
    if value.startswith("/"):
        return True
    scheme = _SCHEME.match(value)
    if scheme is None:
        return False
    rest = value[scheme.end() :]
    if rest.startswith("//"):
        authority = re.split(r"[/?]", rest[2:], maxsplit=1)[0]
        return _AUTHORITY.fullmatch(authority) is not None
    return True


def _is_port_mapping(value: str) -> bool:
    parts = value.split(":")
    return len(parts) in (1, 2) and all(
        _PORT.fullmatch(part) is not None and 1 <= int(part) <= 65535 for part in parts
    )


def _scalar_text(value: Any) -> str | None:
    """`value` as text, as Go's YAML reading puts a scalar in a string field."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | datetime.date):
        return str(value)
    return None


class _Checker:
    """One pass over the tree with one release's rules, collecting findings."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.problems: list[Finding] = []
        self.warnings: list[Finding] = []
        self.dependency_keys: set[str] = set()
        self.price_dropped = False  # said once: the compiler drops every task's price

    # --- findings -------------------------------------------------------------------------------

    def refuse(self, path: str, rule: str) -> None:
        self.problems.append(Finding(path, rule))

    def warn(self, path: str, rule: str) -> None:
        self.warnings.append(Finding(path, rule))

    # --- the levels -----------------------------------------------------------------------------

    def definition(self, tree: Any) -> None:
        if not isinstance(tree, dict):
            self.refuse("", "mesg.yml must hold a mapping of keys (name, tasks, events ...)")
            return
        self.known(tree, "", "top")
        name = tree.get("name")
        if name is None or name == "":
            self.refuse("name", "is required")
        else:
            self.text(name, "name")
        for key in ("description", "repository", "visibility", "publish"):
            if tree.get(key) is not None and key in self.rules.top:
                self.text(tree[key], key)
        self.repository(tree.get("repository"))
        self.enumerated(tree, "visibility", VISIBILITY)
        self.enumerated(tree, "publish", PUBLISH)
        self.sid(tree.get("sid"))
        for key, value in self.entries(tree, "tasks", "tasks"):
            self.task(value, f"tasks.{key}")
        for key, value in self.entries(tree, "events", "events"):
            self.event(value, f"events.{key}")
        self.dependencies(tree)
        if "configuration" in tree and "configuration" in self.rules.top:
            self.container(tree["configuration"], "configuration", "configuration")
        self.references(tree)

    def task(self, raw: Any, path: str) -> None:
        body = self.entry(raw, path)
        if body is None:
            return
        self.known(body, path, "task")
        self.texts(body, path, ("name", "description"))
        self.parameters(body, "inputs", path)
        if self.rules.keyed_outputs:
            self.keyed_outputs(body, path)
        else:
            self.parameters(body, "outputs", path)
        for key in ("verifiable", "payable"):
            if key in body and key in self.rules.task:
                self.boolean(body[key], f"{path}.{key}")
        if "fees" in body and "fees" in self.rules.task:
            self.fees(body["fees"], f"{path}.fees")
        if self.rules.price:
            self.price(body.get("price"), f"{path}.price")

    def keyed_outputs(self, body: dict[str, Any], path: str) -> None:
        where = f"{path}.outputs"
        if body.get("outputs") is None:
            # The schema requires an object; the v0.9 validator a map that is not nil.
            self.refuse(where, "is required (a mapping of outputs, each with its data)")
            return
        for key, value in self.entries(body, "outputs", where):
            output = self.entry(value, f"{where}.{key}")
            if output is None:
                continue
            self.known(output, f"{where}.{key}", "output")
            self.texts(output, f"{where}.{key}", ("name", "description"))
            self.data(output, f"{where}.{key}")

    def event(self, raw: Any, path: str) -> None:
        body = self.entry(raw, path)
        if body is None:
            return
        self.known(body, path, "event")
        self.texts(body, path, ("name", "description"))
        if self.rules.reader == "compiler":
            self.parameters(body, "data", path)
        else:
            self.data(body, path)

    def data(self, body: dict[str, Any], path: str) -> None:
        """``data``, required by the schema (present, null allowed) and by the v0.9-v0.10
        validator (a map, not null)."""
        if "data" not in body or (body["data"] is None and self.rules.reader == "importer"):
            self.refuse(f"{path}.data", "is required (a mapping of parameters, {} for none)")
            return
        self.parameters(body, "data", path)

    def parameters(self, body: dict[str, Any], field: str, path: str) -> None:
        where = f"{path}.{field}"
        for key, value in self.entries(body, field, where):
            self.parameter(value, f"{where}.{key}")

    def parameter(self, raw: Any, path: str) -> None:
        body = self.entry(raw, path)
        if body is None:
            return
        self.known(body, path, "parameter")
        self.texts(body, path, ("name", "description"))
        kind = body.get("type")
        if kind is None:
            self.refuse(f"{path}.type", f"is required: one of {', '.join(self.rules.types)}")
        elif kind not in self.rules.types:
            later = [str(r) for r in RELEASES if kind in rules_for(r).types]
            since = f" ({kind} is read from {later[0]})" if later else ""
            self.refuse(
                f"{path}.type", f"one of {', '.join(self.rules.types)}, not {kind!r}{since}"
            )
        for key in ("optional", "repeated"):
            if key in body and key in self.rules.parameter:
                self.boolean(body[key], f"{path}.{key}")
        if "object" in self.rules.parameter:
            self.parameters(body, "object", path)

    def dependencies(self, tree: dict[str, Any]) -> None:
        if "dependencies" not in tree:
            return
        if tree["dependencies"] is None and self.rules.reader == "schema":
            self.refuse("dependencies", "a mapping of dependencies is expected")
            return
        for key, value in self.entries(tree, "dependencies", "dependencies"):
            self.dependency_keys.add(key)
            if key == "service" and self.rules.service_key_refused:
                self.refuse(f"dependencies.{key}", "the key service is kept for the service itself")
            self.container(value, f"dependencies.{key}", "dependency")

    def container(self, raw: Any, path: str, level: str) -> None:
        """``configuration`` (the service's own container) or one of ``dependencies``."""
        if raw is None:
            if self.rules.reader == "schema":
                self.refuse(path, "a mapping is expected")
            return
        if not isinstance(raw, dict):
            self.refuse(path, "a mapping is expected")
            return
        self.known(raw, path, level)
        allowed = getattr(self.rules, level)
        image = raw.get("image")
        if level == "dependency" and (image is None or image == ""):
            self.refuse(f"{path}.image", "is required for a dependency")
        elif "image" in raw and "image" in allowed:
            self.text(image, f"{path}.image")
            if image == "" and self.rules.reader == "schema":
                self.refuse(f"{path}.image", "must not be empty")
            if level == "configuration" and self.rules.configuration_image_refused and image:
                self.refuse(f"{path}.image", "is not allowed: the engine builds the image")
        if raw.get("command") is not None and "command" in allowed:
            self.text(raw["command"], f"{path}.command")
        for key in ("volumes", self.rules.volumes_from, "ports", "args"):
            if key in raw and key in allowed:
                self.text_list(raw[key], f"{path}.{key}", unique=key != "args")
        if self.rules.portmap and isinstance(raw.get("ports"), list):
            for port in raw["ports"]:
                if isinstance(port, str) and not _is_port_mapping(port):
                    self.refuse(
                        f"{path}.ports",
                        f"{port!r} is not a port or a mapping (like 80 or 80:8080, 1 to 65535)",
                    )
        if "env" in raw and "env" in allowed:
            self.env(raw["env"], f"{path}.env")

    def env(self, raw: Any, path: str) -> None:
        if raw is None and self.rules.env == "strings":
            self.refuse(path, "a list of text is expected")
            return
        entries = self.text_list(raw, path, unique=True)
        if self.rules.env == "strings":
            return
        most = 2 if self.rules.env == "one" else 1
        for entry in entries:
            parts = entry.split("=")
            if not (most <= len(parts) <= 2 and ENV_NAME.fullmatch(parts[0])):
                form = "KEY=VALUE" if most == 2 else "KEY or KEY=VALUE"
                count = "exactly one =" if most == 2 else "at most one ="
                self.refuse(
                    path,
                    f"{entry!r} is not {form} (a name matching ^[a-zA-Z][a-zA-Z0-9_]*$, "
                    f"{count}; an empty value as in KEY= is fine)",
                )

    def references(self, tree: dict[str, Any]) -> None:
        """volumesFrom names a dependency (the configuration's) or the service (a
        dependency's), from v0.9.0."""
        if not self.rules.volumes_from_checked:
            return
        key = self.rules.volumes_from
        containers = [("configuration", tree.get("configuration"), False)]
        dependencies = tree.get("dependencies")
        if isinstance(dependencies, dict):
            containers += [(f"dependencies.{k}", v, True) for k, v in dependencies.items()]
        for path, container, may_name_service in containers:
            names = container.get(key) if isinstance(container, dict) else None
            for name in names if isinstance(names, list) else ():
                if name in self.dependency_keys or (may_name_service and name == "service"):
                    continue
                self.refuse(f"{path}.{key}", f"dependency {name!r} does not exist")

    def sid(self, raw: Any) -> None:
        if raw is None or "sid" not in self.rules.top:
            return
        if self.rules.sid == "pattern":
            if not isinstance(raw, str):
                self.refuse("sid", "text is expected")
            elif len(raw) > SID_PATTERN_MAX or not SID_PATTERN.fullmatch(raw):
                self.refuse(
                    "sid", f"at most {SID_PATTERN_MAX} characters matching ^[0-9a-zA-Z._-]+$"
                )
            return
        text = self.text(raw, "sid")
        if not text:
            return  # the engine gives a service without one a sid of its own
        if len(text) > SID_DOMAIN_MAX:
            self.refuse("sid", f"at most {SID_DOMAIN_MAX} characters")
        if _PRINTABLE.fullmatch(text) and not is_domain(text):
            self.refuse("sid", "must be domain-style, like com.mesg.pusher")

    def repository(self, raw: Any) -> None:
        if raw is None or raw == "" or not self.rules.uri:
            return
        text = _scalar_text(raw) if not isinstance(raw, str) else raw
        if text is not None and not is_request_uri(text):
            self.refuse("repository", "an absolute URI is expected (like https://github.com/x)")

    def price(self, raw: Any, path: str) -> None:
        if raw is not None and self.rules.reader == "compiler" and not self.price_dropped:
            self.price_dropped = True
            self.warn(
                path,
                "dropped by the compiler, like every task's price: v0.26.0 takes them from the "
                "service.json that `mesg-pusher service-dir --engine v0.26` writes",
            )
        if raw is None:
            self.refuse(
                path,
                'is required from v0.26.0: perCall, perSec and perKB, whole numbers (like "0")',
            )
            return
        if not isinstance(raw, dict):
            self.refuse(path, "a mapping of perCall, perSec and perKB is expected")
            return
        for key in sorted(set(raw) - set(PRICE_FIELDS), key=str):
            self.refuse(f"{path}.{key}", f"unknown key: a price has {', '.join(PRICE_FIELDS)}")
        for key in PRICE_FIELDS:
            value = raw.get(key)
            whole = (isinstance(value, int) and not isinstance(value, bool)) or (
                isinstance(value, str) and _WHOLE.fullmatch(value) is not None
            )
            if not whole:
                self.refuse(f"{path}.{key}", 'is required: a whole number, like "0"')

    def fees(self, raw: Any, path: str) -> None:
        """v0.1.0's task fees: developer, validator and executor amounts."""
        if not isinstance(raw, dict):
            self.refuse(path, "a mapping is expected")
            return
        allowed = ("developer", "validator", "executor")
        for key, value in raw.items():
            if key not in allowed:
                self.refuse(f"{path}.{key}", f"unknown key: fees are {', '.join(allowed)}")
            elif not isinstance(value, str) or not FEE.fullmatch(value):
                self.refuse(f"{path}.{key}", "an amount like 0.5 or 2 MESG is expected")

    def enumerated(self, tree: dict[str, Any], key: str, allowed: tuple[str, ...]) -> None:
        if key in tree and key in self.rules.top and tree[key] not in allowed:
            self.refuse(key, f"one of {', '.join(repr(a) for a in allowed)}")

    # --- shapes ---------------------------------------------------------------------------------

    def known(self, body: dict[Any, Any], path: str, level: str) -> None:
        """Keys `level` does not take: refused by a strict reader, dropped by a compiler."""
        allowed: frozenset[str] = getattr(self.rules, level)
        for key in body:
            if key in allowed:
                continue
            where = f"{path}.{key}" if path else str(key)
            readers = known_by(level, key) if isinstance(key, str) else ()
            if readers:
                rule = f"unknown key here ({key} is read by {spans(readers)})"
            else:
                rule = f"unknown key: {_LEVELS[level]} takes {', '.join(sorted(allowed))}"
            if self.rules.strict:
                self.refuse(where, rule)
            else:
                self.warn(where, f"dropped by the compiler: {rule}")

    def entries(self, body: dict[str, Any], field: str, path: str) -> Iterator[tuple[str, Any]]:
        """The entries of the mapping at `field` (none when absent or null), keys checked."""
        raw = body.get(field)
        if raw is None:
            return
        if not isinstance(raw, dict):
            self.refuse(path, "a mapping is expected")
            return
        for key, value in raw.items():
            if self.key(key, f"{path}.{key}"):
                yield str(key), value

    def key(self, key: Any, path: str) -> bool:
        if not isinstance(key, str):
            if self.rules.reader == "schema":
                self.refuse(path, "a key must be text (quote it)")
                return False
            key = _scalar_text(key) or ""
        pattern = self.rules.key
        if pattern is not None and not pattern.fullmatch(key):
            self.refuse(path, f"a key matches ^{pattern.pattern}$")
        elif pattern is None and not _PRINTABLE.fullmatch(key):
            self.refuse(path, "a key is printable ASCII")
        elif self.rules.nonempty_keys and not key:
            self.refuse(path, "a key must not be empty")
        return True

    def entry(self, raw: Any, path: str) -> dict[str, Any] | None:
        """An entry's body; the compiler reads a null entry as an empty one."""
        if raw is None and self.rules.reader == "compiler":
            return {}
        if not isinstance(raw, dict):
            self.refuse(path, "a mapping is expected")
            return None
        return raw

    def texts(self, body: Mapping[str, Any], path: str, keys: tuple[str, ...]) -> None:
        for key in keys:
            if body.get(key) is not None:
                self.text(body[key], f"{path}.{key}")

    def text(self, raw: Any, path: str) -> str:
        """`raw` as text: the schema wants a string; Go's YAML reading and the compiler take
        any scalar. From v0.9.0 text is printable ASCII."""
        if isinstance(raw, str | datetime.date):
            text = str(raw)
        elif self.rules.reader != "schema" and (scalar := _scalar_text(raw)) is not None:
            text = scalar
        else:
            self.refuse(path, "text is expected")
            return ""
        if self.rules.printable and (bad := _NOT_PRINTABLE.search(text)):
            self.refuse(path, f"printable ASCII only, not {bad.group()!r}")
        return text

    def text_list(self, raw: Any, path: str, *, unique: bool) -> list[str]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.refuse(path, "a list of text is expected")
            return []
        texts = [self.text(item, f"{path}[{index}]") for index, item in enumerate(raw)]
        if unique and len(set(texts)) != len(texts):
            self.refuse(path, "each entry once")
        return texts

    def boolean(self, raw: Any, path: str) -> None:
        if isinstance(raw, bool):
            return
        if self.rules.reader == "compiler":
            self.warn(path, f"{raw!r} is not true or false: the compiler reads it as {bool(raw)}")
        else:
            self.refuse(path, "true or false is expected")
