"""What each engine release accepts in mesg.yml, as plain data: one `Rules` per release.

Three readers, read from the engine's and its tools' sources at each tag:

- **schema** (v0.1.0-v0.8.1): ``service/importer/assets/schema.json`` (``service/assets`` in
  v0.1.0), a JSON schema, then ``yaml.UnmarshalStrict`` into the importer's Go structs. A key
  the schema allows but the struct lacks (``secrets``, ``version``, ``visibility`` after v0.1.0)
  is refused by the strict reading, so the keys below are those both know.
- **importer** (v0.9.0-v0.10.1): ``service/importer/definition.go``, strict YAML reading then
  go-playground/validator tags (``printascii`` texts and keys, ``domain`` sid, ``portmap``,
  ``env``; ``x/xvalidator/validator.go``), and ``service_file.go`` (dependency image, volumesFrom
  references, ``configuration.image is not allowed`` from v0.9.1).
- **compiler** (v0.11.0-v0.26.0): the CLI compiles mesg.yml (mesg-cli 1.1-2.0.1
  ``src/utils/compiler.ts``, then @mesg/compiler 0.1-0.3.1 ``src/service.ts``) by picking keys,
  so any other key is dropped without a word: a warning here, not an error. The engine then
  validates the result (``service/validator/validator.go``, later ``service/validate.go``, with
  the tags of ``protobuf/types/service.proto``).

Dated changes: digits in keys from v0.3.0; ``sid`` and ``configuration.args`` v0.5.0;
``configuration.env`` v0.6.0; ``repeated``, ``object`` and the type ``Any`` v0.7.0 (the
schema of that tag has them, well before v0.10); the dependency key ``service`` refused from
v0.7.0; validator rules v0.9.0; ``configuration.image`` refused v0.9.1; one output per task
and ``volumesfrom`` written ``volumesFrom`` v0.10.0; an env entry may be a bare ``KEY`` from
v0.17.0 (``IsEnv`` takes one or two parts); keys must not be empty from v0.21.0; a task's
``price`` required from v0.26.0 (``validate:"dive,required"`` on a nil pointer fails).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from ._releases import Release

Reader = Literal["schema", "importer", "compiler"]
#: ``strings``: unique texts (the schema); ``one``: ``KEY=VALUE`` with exactly one ``=``
#: (v0.9.0-v0.16.0); ``at-most-one``: ``KEY`` or ``KEY=VALUE`` (v0.17.0 on).
EnvRule = Literal["none", "strings", "one", "at-most-one"]
SidRule = Literal["none", "pattern", "domain"]

ALPHA_KEY: Final = re.compile(r"[a-zA-Z_-]+")
ALNUM_KEY: Final = re.compile(r"[0-9a-zA-Z_-]+")
#: The schema's sid (v0.5.0-v0.8.1): at most 39 characters of these.
SID_PATTERN: Final = re.compile(r"[0-9a-zA-Z._-]+")
SID_PATTERN_MAX: Final = 39
#: The validator's sid (v0.9.0 on): ``max=63,domain``.
SID_DOMAIN_MAX: Final = 63
#: The validator's environment variable name (``x/xvalidator``).
ENV_NAME: Final = re.compile(r"[a-zA-Z][a-zA-Z0-9_]*")
#: The schema's visibility, publish and fees (v0.1.0 only).
VISIBILITY: Final = ("", "ALL", "USERS", "WORKERS", "NONE")
PUBLISH: Final = ("", "ALL", "SOURCE", "CONTAINER", "NONE")
FEE: Final = re.compile(r"|([0-9]*[.]?[0-9]+)( (MESG))?")
PRICE_FIELDS: Final = ("perCall", "perSec", "perKB")

BASIC_TYPES: Final = ("String", "Number", "Boolean", "Object")
ALL_TYPES: Final = (*BASIC_TYPES, "Any")


@dataclass(frozen=True, slots=True)
class Rules:
    """What one release accepts; `check_tree` applies them."""

    release: Release
    reader: Reader
    #: A key's pattern (tasks, events, outputs, parameters, dependencies); None: printable ASCII.
    key: re.Pattern[str] | None
    #: Keys must not be empty (v0.21.0 on: ``required`` on every key).
    nonempty_keys: bool
    top: frozenset[str]
    task: frozenset[str]
    #: G1: ``outputs.<key>.data``; later: ``outputs`` is the success data's parameter map.
    keyed_outputs: bool
    output: frozenset[str]
    event: frozenset[str]
    parameter: frozenset[str]
    types: tuple[str, ...]
    configuration: frozenset[str]
    dependency: frozenset[str]
    sid: SidRule
    env: EnvRule
    #: Names, descriptions and list items are printable ASCII (``printascii``, v0.9.0 on).
    printable: bool
    #: Ports are ``N`` or ``N:M`` (``portmap``, v0.9.0 on); before, any unique texts.
    portmap: bool
    #: ``repository`` is an absolute URI (``uri``, v0.9.0 on); before, any text.
    uri: bool
    #: A non-empty ``configuration.image`` is refused (v0.9.1-v0.10.1; the compiler's releases
    #: have no such key, so it is dropped there).
    configuration_image_refused: bool
    #: The dependency key ``service`` is refused (v0.7.0-v0.10.1).
    service_key_refused: bool
    #: volumesFrom entries must name a dependency (v0.9.0 on).
    volumes_from_checked: bool
    #: Each task needs a ``price`` (v0.26.0).
    price: bool

    @property
    def strict(self) -> bool:
        """Unknown keys are refused (G1, G2); the compiler of later releases drops them."""
        return self.reader != "compiler"

    @property
    def volumes_from(self) -> str:
        """How this release spells the volumes-from key."""
        return "volumesfrom" if self.release.minor < 10 else "volumesFrom"


def rules_for(release: Release) -> Rules:
    """The rules of `release`, from the sources named in this module's docstring."""
    minor = release.minor
    reader: Reader = "schema" if minor <= 8 else "importer" if minor <= 10 else "compiler"
    top = {"name", "description", "repository", "tasks", "events", "dependencies", "configuration"}
    if minor >= 5:
        top.add("sid")
    task = {"name", "description", "inputs", "outputs"}
    if release == Release(1, 0):
        # v0.1.0's Go structs still had these (service/service.proto of that tag).
        top |= {"visibility", "publish"}
        task |= {"verifiable", "payable", "fees"}
    if minor >= 26:
        task.add("price")
    parameter = {"name", "description", "type", "optional"}
    if minor >= 7:
        parameter |= {"repeated", "object"}
    container = {"image", "command", "volumes", "ports"}
    container.add("volumesfrom" if minor < 10 else "volumesFrom")
    if minor >= 5:
        container.add("args")
    if minor >= 6:
        container.add("env")
    configuration = set(container)
    if reader == "compiler":
        # The service's own container message has no image (protobuf/types/service.proto).
        configuration.discard("image")
    env: EnvRule = "none"
    if minor >= 6:
        env = "strings" if minor <= 8 else "one" if minor <= 16 else "at-most-one"
    sid: SidRule = "none" if minor < 5 else "pattern" if minor <= 8 else "domain"
    return Rules(
        release=release,
        reader=reader,
        key=ALPHA_KEY if minor <= 2 else ALNUM_KEY if minor <= 8 else None,
        nonempty_keys=minor >= 21,
        top=frozenset(top),
        task=frozenset(task),
        keyed_outputs=minor <= 9,
        output=frozenset({"name", "description", "data"}),
        event=frozenset({"name", "description", "data"}),
        parameter=frozenset(parameter),
        types=ALL_TYPES if minor >= 7 else BASIC_TYPES,
        configuration=frozenset(configuration),
        dependency=frozenset(container),
        sid=sid,
        env=env,
        printable=minor >= 9,
        portmap=minor >= 9,
        uri=minor >= 9,
        configuration_image_refused=Release(9, 1) <= release <= Release(10, 1),
        service_key_refused=7 <= minor <= 10,
        volumes_from_checked=minor >= 9,
        price=minor >= 26,
    )
