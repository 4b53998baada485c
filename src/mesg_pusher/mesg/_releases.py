"""Every MESG engine release ever tagged (v0.1.0 to v0.26.0), what each one is, and how a
release is named on the command line: the one `Release` class the definitions, the protocol,
serve and the stand-in all use.

A `Release` answers the questions a service, a definition check or a stand-in of the engine asks
of a version: which generation of the service protocol it speaks (1 to 5), which wire variant
(JSON texts or Structs, hashes as strings or bytes, the ``api`` or ``mesg.api`` package), which
texts its refusals use, whether a ``null`` counts as a value, whether invalid outputs fail the
call or the execution, what environment it gives a service and how long its blocks are.
Everything here is decided from the version number alone, in one place. Generations: G1
v0.1.0-v0.9.1, G2 v0.10.x, G3 v0.11.0-v0.16.0, G4 v0.17.0-v0.20.0, G5 v0.21.0-v0.26.0.

Two readers of a name, for two questions (the leading ``v`` may be left out):

- `releases` reads a release (``v0.16.0``) or a series (``v0.18``: every v0.18.x release), for
  what a definition must satisfy (``validate``, ``service-dir``);
- `release` reads a release (``v0.18.1``) or a line (``v0.18``: its newest release, as the
  engine's Docker tags did, ``mesg/engine:v0.16``), for the protocol a stand-in speaks.

The beta tags before v0.1.0 and the ``unstable`` tag (v0.26.0 again) are not releases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Final, Literal

from .._errors import MesgPusherError

#: Every release tag the engine published, oldest first.
TAGS: Final = (
    "v0.1.0",
    "v0.2.0",
    "v0.3.0",
    "v0.4.0",
    "v0.5.0",
    "v0.6.0",
    "v0.7.0",
    "v0.8.0",
    "v0.8.1",
    "v0.9.0",
    "v0.9.1",
    "v0.10.0",
    "v0.10.1",
    "v0.11.0",
    "v0.12.0",
    "v0.12.1",
    "v0.13.0",
    "v0.14.0",
    "v0.14.1",
    "v0.14.2",
    "v0.15.0",
    "v0.16.0",
    "v0.17.0",
    "v0.18.0",
    "v0.18.1",
    "v0.18.2",
    "v0.18.3",
    "v0.19.0",
    "v0.20.0",
    "v0.21.0",
    "v0.22.0",
    "v0.23.0",
    "v0.24.0",
    "v0.25.0",
    "v0.25.1",
    "v0.26.0",
)
_VERSION: Final = re.compile(r"v?(\d{1,3})\.(\d{1,3})(?:\.(\d{1,3}))?")

#: How a release words its refusals: the first generation's (Core v0.2.0, single quotes), the
#: quoted Go form of v0.10.0 to v0.14.0 (``Outputs of task "t" are invalid in service "s".``),
#: the service-prefixed form from v0.14.1 (``service "s" - outputs of task "t" are invalid:``).
Texts = Literal["v0.2", "v0.10", "v0.14.1"]
Generation = Literal[1, 2, 3, 4, 5]


#: Where serve, `engine execute` and `engine listen` read the account credentials that v0.17.0
#: demands on its calls (`Release.credentials_on_update`).
CREDENTIAL_VARIABLES: Final = (
    "MESG_PUSHER_CREDENTIAL_USERNAME",
    "MESG_PUSHER_CREDENTIAL_PASSPHRASE",
)


class ReleaseError(MesgPusherError, ValueError):
    """A version that names no MESG engine release; the message says which and why."""


@dataclass(frozen=True, slots=True, order=True)
class Release:
    """One tagged engine release, ``v0.<minor>.<patch>``: ``Release(16, 0)`` is v0.16.0. Build
    one from a name with `release` (a line: its newest release) or `releases` (a series: all
    of them)."""

    minor: int
    patch: int

    def __post_init__(self) -> None:
        if self.tag not in TAGS:
            raise ReleaseError(f"{self.tag} is not a MESG engine release (v0.1.0 to v0.26.0)")

    @property
    def tag(self) -> str:
        return f"v0.{self.minor}.{self.patch}"

    def at_least(self, tag: str) -> bool:
        """Whether this release is `tag` (``v0.14.1``) or a later one."""
        return (self.minor, self.patch) >= _numbers(tag)

    @property
    def generation(self) -> Generation:
        """1: v0.1-v0.9 (api.Service, keyed outputs); 2: v0.10 (api.Service, one output);
        3: v0.11-v0.16 (Execution/Event API, instances); 4: v0.17-v0.20 (runners, filter by
        executor); 5: v0.21-v0.26 (the Runner API behind a signed registration)."""
        if not self.at_least("v0.10.0"):
            return 1
        if not self.at_least("v0.11.0"):
            return 2
        if not self.at_least("v0.17.0"):
            return 3
        if not self.at_least("v0.21.0"):
            return 4
        return 5

    # The wire ------------------------------------------------------------------------------

    @property
    def json_text(self) -> bool:
        """Inputs, outputs and event data travel as JSON object texts (to v0.11.0), not as
        protobuf Structs."""
        return not self.at_least("v0.12.0")

    @property
    def bytes_hashes(self) -> bool:
        """Hashes travel as their 32 raw bytes (from v0.14.0), not as base58 strings."""
        return self.at_least("v0.14.0")

    @property
    def api_package(self) -> str:
        """The package in the rpc paths of the Execution and Event services (G3, G4)."""
        return "mesg.api" if self.at_least("v0.15.0") else "api"

    @property
    def wire(self) -> str:
        """The name of the message module (``<wire>_pb2``) of this release's wire format."""
        if self.generation == 1:
            return "service"
        for first in ("v0.21.0", "v0.17.0", "v0.14.0", "v0.12.0", "v0.11.0", "v0.10.0"):
            if self.at_least(first):
                return first.removesuffix(".0").replace(".", "_")
        raise AssertionError(self.tag)  # every later release is at least v0.10.0

    @property
    def ready_header(self) -> bool:
        """Streams a service reads send the header ``status: ready`` once subscribed (from
        v0.7.0)."""
        return self.at_least("v0.7.0")

    # Identities ------------------------------------------------------------------------------

    @property
    def joined_ids(self) -> bool:
        """Execution ids join the creation time, service, task and inputs (v0.1-v0.3), rather
        than being a digest."""
        return not self.at_least("v0.4.0")

    @property
    def environment(self) -> tuple[str, ...]:
        """The variables the engine gives a service it starts (its own MESG_* ones)."""
        if self.generation == 1:
            return ("MESG_TOKEN", "MESG_ENDPOINT", "MESG_ENDPOINT_TCP")
        if self.generation == 2 or self.tag == "v0.16.0":
            return ("MESG_TOKEN", "MESG_ENDPOINT")
        if self.generation == 3:
            return ("MESG_TOKEN", "MESG_ENDPOINT", "MESG_ENDPOINT_TCP")
        if self.generation == 4:
            return ("MESG_INSTANCE_HASH", "MESG_RUNNER_HASH", "MESG_ENDPOINT")
        return (
            "MESG_SERVICE_HASH",
            "MESG_INSTANCE_HASH",
            "MESG_RUNNER_HASH",
            "MESG_ENDPOINT",
            "MESG_REGISTER_SIGNATURE",
            "MESG_ENV_HASH",
        )

    # Rules -------------------------------------------------------------------------------------

    @property
    def texts(self) -> Texts:
        if self.generation == 1:
            return "v0.2"
        return "v0.14.1" if self.at_least("v0.14.1") else "v0.10"

    @property
    def null_is_value(self) -> bool:
        """A ``null`` in outputs, inputs or event data counts as a value of the wrong type
        (v0.14.1 to v0.16.0, where the engine checked Struct values as they came); elsewhere it
        is the same as an absent key."""
        return self.at_least("v0.14.1") and not self.at_least("v0.17.0")

    @property
    def invalid_outputs_fail_call(self) -> bool:
        """Outputs that do not match the task make the result call fail and leave the execution
        in progress (to v0.11.0); from v0.12.0 they mark the execution Failed and the call
        succeeds."""
        return not self.at_least("v0.12.0")

    @property
    def status_names(self) -> tuple[str, str, str, str]:
        """How the execution status error names created, in progress, completed, failed: Go's
        own words to v0.13.0, the protobuf enum's names from v0.14.0."""
        if not self.at_least("v0.14.0"):
            return ("created", "in progress", "completed", "failed")
        created = "Proposed" if self.at_least("v0.20.0") else "Created"
        return (created, "InProgress", "Completed", "Failed")

    # The chain (G4, G5) --------------------------------------------------------------------------

    @property
    def block_seconds(self) -> float | None:
        """How long a block takes, for the releases whose executions are transactions on a chain
        (from v0.17.0): 1 s up to v0.18.0, 5 s from v0.18.1; None before."""
        if self.generation < 4:
            return None
        return 5.0 if self.at_least("v0.18.1") else 1.0

    @property
    def credentials_on_update(self) -> bool:
        """Execution/Update (and Create) demand the gRPC metadata ``credential_username`` and
        ``credential_passphrase`` (v0.17.0 only)."""
        return self.tag == "v0.17.0"

    @property
    def execution_fields(self) -> frozenset[str]:
        """The fields of mesg.types.Execution beyond the first twelve that this release sets."""
        fields: set[str] = set()
        if self.generation >= 4:
            fields.add("executorHash")
        if self.at_least("v0.19.0"):
            fields |= {"price", "blockHeight"}
        if self.at_least("v0.20.0"):
            fields |= {"emitters", "address"}
        if self.at_least("v0.26.0"):
            fields |= {"start", "stop"}
        return frozenset(fields)

    def __str__(self) -> str:
        return self.tag


@cache
def _numbers(tag: str) -> tuple[int, int]:
    _, minor, patch = tag[1:].split(".")
    return int(minor), int(patch)


def release(text: str) -> Release:
    """The release `text` names (``v0.16``, ``0.16.0``, ``v0.18.1``); a line without a patch
    number is its newest release. A `ReleaseError` names the text and the rule."""
    match = _VERSION.fullmatch(text.strip())
    if match is None:
        raise ReleaseError(
            f"{text!r} is not an engine version (write it like v0.16 or v0.18.1, from v0.1 to "
            "v0.26)"
        )
    major, minor, patch = match.groups()
    if patch is None:
        line = f"v{int(major)}.{int(minor)}."
        found = [tag for tag in TAGS if tag.startswith(line)]
        if not found:
            raise ReleaseError(f"{text!r} names no MESG engine release (v0.1 to v0.26)")
        major, minor, patch = found[-1][1:].split(".")
    if int(major) != 0:
        raise ReleaseError(f"v{int(major)}.{int(minor)}.{int(patch)} is not a MESG engine "
                           "release (v0.1.0 to v0.26.0)")  # fmt: skip
    return Release(int(minor), int(patch))


#: Every release, oldest first.
RELEASES: Final = tuple(release(tag) for tag in TAGS)
FIRST: Final = RELEASES[0]
LAST: Final = RELEASES[-1]

_NAME: Final = re.compile(r"v?0\.(\d{1,2})(?:\.(\d{1,2}))?")


def between(first: Release, last: Release) -> tuple[Release, ...]:
    """The releases from `first` to `last`, both included."""
    return tuple(r for r in RELEASES if first <= r <= last)


def releases(name: str) -> tuple[Release, ...]:
    """The releases `name` stands for: one (``v0.16.0``) or a series (``v0.18``); a
    `ValueError` naming the known ones when there is none."""
    match = _NAME.fullmatch(name.strip())
    found: tuple[Release, ...] = ()
    if match is not None:
        minor, patch = int(match[1]), match[2]
        found = tuple(
            r for r in RELEASES if r.minor == minor and (patch is None or r.patch == int(patch))
        )
    if not found:
        raise ValueError(
            f"{name!r} is not a MESG engine release: give one from {FIRST} to {LAST}, "
            "like v0.16.0, or a series like v0.18"
        )
    return found


def normalized(name: str) -> str:
    """`name` as written on the command line, with its leading ``v`` (``0.16`` -> ``v0.16``);
    a `ValueError` if it names no release."""
    releases(name)
    stripped = name.strip()
    return stripped if stripped.startswith("v") else f"v{stripped}"


def spans(chosen: Iterable[Release]) -> str:
    """`chosen` as runs of consecutive releases: ``v0.1.0 to v0.2.0, v0.9.1``."""
    wanted = set(chosen)
    runs: list[list[Release]] = []
    previous_in = False
    for candidate in RELEASES:
        if candidate in wanted:
            if previous_in:
                runs[-1].append(candidate)
            else:
                runs.append([candidate])
        previous_in = candidate in wanted
    return ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]} to {run[-1]}" for run in runs)
