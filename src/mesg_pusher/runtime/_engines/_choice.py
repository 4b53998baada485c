"""Which engine protocol serve speaks: decided once, at start, from ``MESG_PUSHER_ENGINE``
(``--engine``) and the variables the engine gives the service. Pure: no I/O.

The engine changed its service protocol four times and its wire format within the third
generation three more times, so serve speaks one of eight `Variant`\\ s:

=====  ===========  ==================================================================
G1     v0.1-v0.9    ``api.Service``, keyed outputs; MESG_TOKEN, MESG_ENDPOINT_TCP
G2     v0.10        ``api.Service``, hex execution hashes, outputs or an error; MESG_TOKEN,
                    MESG_ENDPOINT only
G3     v0.11        ``api.Execution``/``api.Event``, base58 strings, JSON texts
G3     v0.12-v0.13  the same with Structs
G3     v0.14        hashes as raw bytes
G3     v0.15-v0.16  package ``mesg.api``; v0.16 gives no MESG_ENDPOINT_TCP
G4     v0.17-v0.20  filtered by runner (MESG_INSTANCE_HASH, MESG_RUNNER_HASH), blocks
G5     v0.21-v0.26  the Runner API behind a registration (MESG_REGISTER_SIGNATURE)
=====  ===========  ==================================================================

A release named (``v0.16``, or a series ``v0.18``) is one variant. ``auto`` reads the
environment: MESG_REGISTER_SIGNATURE means G5, MESG_RUNNER_HASH G4; with MESG_TOKEN, a
``unix://`` endpoint is v0.2 (G1), MESG_ENDPOINT without MESG_ENDPOINT_TCP is v0.10 or v0.16,
and MESG_ENDPOINT_TCP (or an endpoint given as an option) is G1 or v0.11 to v0.15. Where that
leaves several variants they are `EngineChoice.candidates`, in the order the engine is asked
(``_probe.py``): a token that is no instance hash (base58 of 32 bytes) rules out G3. Which of
v0.11 and v0.12-v0.13 the engine is (JSON texts or Structs; their rpcs are the same) is then read
from what it sends (`Variant.json_text` None).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from ...mesg import RELEASES, Release, b58decode, releases

AUTO: Final = "auto"
#: Bytes in a hash of the engine (SHA-256).
HASH_SIZE: Final = 32


@dataclass(frozen=True, slots=True)
class Variant:
    """One wire variant of the engine's protocol, for the `releases` it covers (oldest first).
    `json_text`: inputs, outputs and data travel as JSON texts (True) or Structs (False), or
    (None) serve finds out from the engine (v0.11 to v0.13 under ``auto``)."""

    releases: tuple[Release, ...]
    json_text: bool | None

    @property
    def first(self) -> Release:
        return self.releases[0]

    @property
    def generation(self) -> int:
        return self.first.generation

    @property
    def bytes_hashes(self) -> bool:
        return self.first.bytes_hashes

    @property
    def api_package(self) -> str:
        return self.first.api_package

    @property
    def block_seconds(self) -> float | None:
        """The longest block of the releases covered (G4, G5), None without a chain: what a
        result waits at most before the engine answers it."""
        blocks = [r.block_seconds for r in self.releases if r.block_seconds is not None]
        return max(blocks) if blocks else None

    @property
    def credentials_on_update(self) -> bool:
        """One of the releases covered wants credentials on Execution/Update (v0.17.0)."""
        return any(r.credentials_on_update for r in self.releases)

    @property
    def span(self) -> str:
        """The releases covered as their lines: ``v0.15-v0.16``, ``v0.10``."""
        first, last = self.first.minor, self.releases[-1].minor
        return f"v0.{first}" if first == last else f"v0.{first}-v0.{last}"

    @property
    def name(self) -> str:
        """``G3 (v0.15-v0.16)``: the generation and the releases that speak the same wire (a
        release named is spoken as its whole variant is)."""
        for family in _FAMILIES:
            if set(self.releases) <= set(family.releases):
                return f"G{self.generation} ({family.span})"
        return f"G{self.generation} ({self.span})"

    def __str__(self) -> str:
        return self.name


def _key(release: Release) -> tuple[int, str, str]:
    return release.generation, release.wire, release.api_package


def _variants() -> tuple[Variant, ...]:
    """Every variant, oldest first: releases grouped by generation, message module and
    package."""
    groups: list[list[Release]] = []
    for release in RELEASES:
        if groups and _key(groups[-1][0]) == _key(release):
            groups[-1].append(release)
        else:
            groups.append([release])
    return tuple(Variant(tuple(group), group[0].json_text) for group in groups)


#: The eight variants, oldest first.
VARIANTS: Final = _variants()
_FAMILIES: Final = VARIANTS
G1, G2, G3_JSON, G3_STRUCT, G3_BYTES, G3_MESG_API, G4, G5 = VARIANTS
#: v0.11 to v0.13 as ``auto`` meets them: the same rpcs, JSON texts or Structs.
G3_STRINGS: Final = Variant(G3_JSON.releases + G3_STRUCT.releases, None)


@dataclass(frozen=True, slots=True)
class EngineChoice:
    """The variants serve may speak, in the order the engine is asked, and whether a release
    was named (`named`: the text of ``--engine``, empty for ``auto``)."""

    candidates: tuple[Variant, ...]
    named: str = ""

    @property
    def label(self) -> str:
        """How the start line names it: ``G3 (v0.15-v0.16)``, or for several ``auto: G3
        (v0.15-v0.16) or G2 (v0.10)``."""
        if len(self.candidates) == 1:
            return self.candidates[0].name
        names = [variant.name for variant in self.candidates]
        return f"{AUTO}: {', '.join(names[:-1])} or {names[-1]}"

    @property
    def release(self) -> str:
        """The release named (``v0.16``), or ``auto``."""
        return self.named or AUTO

    @property
    def block_seconds(self) -> float | None:
        """The longest block any candidate waits for (None: no chain)."""
        blocks = [v.block_seconds for v in self.candidates if v.block_seconds is not None]
        return max(blocks) if blocks else None


@dataclass(frozen=True, slots=True)
class Identity:
    """What the engine gave the service to name itself (empty: not given)."""

    token: str = ""
    instance_hash: str = ""
    runner_hash: str = ""
    service_hash: str = ""
    env_hash: str = ""
    register_signature: str = ""


def is_hash(text: str) -> bool:
    """Whether `text` is one of the engine's hashes in base58 (32 bytes)."""
    try:
        return len(b58decode(text)) == HASH_SIZE
    except ValueError:
        return False


def variant_of(name: str) -> Variant:
    """The variant of the release or series `name` (``v0.16``, ``0.18``, ``v0.14.1``); a
    `ValueError` naming the rule when it names none."""
    try:
        covered = releases(name)
    except ValueError as error:
        raise ValueError(f"{error}, or {AUTO}") from None
    return Variant(covered, covered[0].json_text)


def choose(
    engine: str, identity: Identity, *, endpoint: str, variables: Collection[str] = ()
) -> EngineChoice:
    """The variants to speak: the one `engine` names, or (``auto``) those the engine's
    `identity` and the names of the MESG_* `variables` it set allow (none known: the endpoint
    was given otherwise, read as MESG_ENDPOINT_TCP is). A `ValueError` says what is missing or
    wrong, naming the variable."""
    text = engine.strip()
    if text.lower() != AUTO:
        variant = variant_of(text)
        _check(variant, identity, f"engine {text}")
        return EngineChoice((variant,), text)
    if identity.register_signature:
        _check(G5, identity, "MESG_REGISTER_SIGNATURE")
        return EngineChoice((G5,))
    if identity.runner_hash:
        _check(G4, identity, "MESG_RUNNER_HASH")
        return EngineChoice((G4,))
    if not identity.token:
        raise ValueError(
            "no service token: set MESG_TOKEN (or --token); engines from v0.17 give "
            "MESG_RUNNER_HASH instead, from v0.21 MESG_REGISTER_SIGNATURE"
        )
    instance = is_hash(identity.token)  # a G3 token is an instance hash
    if endpoint.strip().startswith("unix:"):
        return EngineChoice((G1,))  # only v0.2 gave a socket
    if "MESG_ENDPOINT" in variables and "MESG_ENDPOINT_TCP" not in variables:
        return EngineChoice((G3_MESG_API, G2) if instance else (G2,))
    if instance:
        return EngineChoice((G3_MESG_API, G3_BYTES, G3_STRINGS, G1))
    return EngineChoice((G1,))


def _check(variant: Variant, identity: Identity, why: str) -> None:
    """That `identity` holds what `variant` needs (`why`: what chose it)."""
    generation = variant.generation
    needed: tuple[tuple[str, str], ...]
    if generation <= 3:
        needed = (("MESG_TOKEN", identity.token),)
    elif generation == 4:
        needed = (
            ("MESG_INSTANCE_HASH", identity.instance_hash),
            ("MESG_RUNNER_HASH", identity.runner_hash),
        )
    else:
        needed = (
            ("MESG_SERVICE_HASH", identity.service_hash),
            ("MESG_REGISTER_SIGNATURE", identity.register_signature),
        )
    missing = [name for name, value in needed if not value]
    if missing:
        token = " (or --token)" if missing == ["MESG_TOKEN"] else ""
        raise ValueError(
            f"{why}: {variant.name} needs {' and '.join(missing)}{token}, which the engine "
            "gives the service"
        )
    hashes = [(name, value) for name, value in needed if name != "MESG_REGISTER_SIGNATURE"]
    if generation == 3:
        hashes = [("MESG_TOKEN", identity.token)]  # the instance hash
    elif generation <= 2:
        hashes = []
    if generation == 5 and identity.env_hash:
        hashes.append(("MESG_ENV_HASH", identity.env_hash))
    for name, value in hashes:
        if not is_hash(value):
            raise ValueError(
                f"{name}: not one of the engine's hashes (base58 of {HASH_SIZE} bytes), as "
                f"{variant.name} gives"
            )
