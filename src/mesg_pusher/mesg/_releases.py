"""Every MESG engine release ever tagged (v0.1.0 to v0.26.0), the protocol generation each one
belongs to, and how a release is named on the command line.

A name is a release (``v0.16.0``) or a series (``v0.18``: every v0.18.x release); the leading
``v`` may be left out. The beta tags before v0.1.0 and the ``unstable`` tag (v0.26.0 again) are
not releases. Generations: G1 v0.1.0-v0.9.1, G2 v0.10.x, G3 v0.11.0-v0.16.0, G4 v0.17.0-v0.20.0,
G5 v0.21.0-v0.26.0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, order=True, slots=True)
class Release:
    """One tagged engine release, ``v0.<minor>.<patch>``."""

    minor: int
    patch: int

    def __str__(self) -> str:
        return f"v0.{self.minor}.{self.patch}"

    @property
    def generation(self) -> int:
        """The service protocol generation, 1 to 5."""
        if self.minor <= 9:
            return 1
        if self.minor == 10:
            return 2
        if self.minor <= 16:
            return 3
        return 4 if self.minor <= 20 else 5


def _tags(text: str) -> tuple[Release, ...]:
    return tuple(Release(int(m), int(p)) for m, p in re.findall(r"v0\.(\d+)\.(\d+)", text))


#: The engine's tags, in order (mesg-foundation/engine; the CHANGELOG names the same ones).
RELEASES: Final = _tags(
    "v0.1.0 v0.2.0 v0.3.0 v0.4.0 v0.5.0 v0.6.0 v0.7.0 v0.8.0 v0.8.1 v0.9.0 v0.9.1 "
    "v0.10.0 v0.10.1 v0.11.0 v0.12.0 v0.12.1 v0.13.0 v0.14.0 v0.14.1 v0.14.2 v0.15.0 v0.16.0 "
    "v0.17.0 v0.18.0 v0.18.1 v0.18.2 v0.18.3 v0.19.0 v0.20.0 v0.21.0 v0.22.0 v0.23.0 v0.24.0 "
    "v0.25.0 v0.25.1 v0.26.0"
)
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
