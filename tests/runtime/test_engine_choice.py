"""Which protocol serve speaks: the release named, or (auto) what the environment every engine
release gives a service allows, in the order the engine is asked."""

from __future__ import annotations

import pytest

from mesg_pusher.engine import Engine
from mesg_pusher.mesg import RELEASES, Release
from mesg_pusher.runtime import ConfigError, ServeConfig, resolve
from mesg_pusher.runtime._config import default_grace
from mesg_pusher.runtime._engines._choice import (
    G1,
    G2,
    G3_BYTES,
    G3_MESG_API,
    G3_STRINGS,
    G4,
    G5,
    VARIANTS,
    Variant,
)

ENDPOINT = "engine:50052"


def given(release: Release) -> dict[str, str]:
    """What the stand-in of `release`, whose environments are the releases', gives a service."""
    return Engine(release=release).environment(ENDPOINT)


def test_the_eight_variants_name_their_generation_and_releases() -> None:
    assert [variant.name for variant in VARIANTS] == [
        "G1 (v0.1-v0.9)",
        "G2 (v0.10)",
        "G3 (v0.11)",
        "G3 (v0.12-v0.13)",
        "G3 (v0.14)",
        "G3 (v0.15-v0.16)",
        "G4 (v0.17-v0.20)",
        "G5 (v0.21-v0.26)",
    ]
    assert sum(len(variant.releases) for variant in VARIANTS) == len(RELEASES)
    assert (G4.block_seconds, G5.block_seconds, G3_MESG_API.block_seconds) == (5.0, 5.0, None)


#: What auto tries for each release's environment, in order.
EXPECTED = {
    1: (G1,),
    2: (G3_MESG_API, G2),
    "v0.11-v0.15": (G3_MESG_API, G3_BYTES, G3_STRINGS, G1),
    "v0.16": (G3_MESG_API, G2),
    4: (G4,),
    5: (G5,),
}


@pytest.mark.parametrize("release", RELEASES, ids=str)
def test_auto_from_the_environment_each_release_gives(release: Release) -> None:
    config = resolve({}, given(release))
    candidates = config.choice.candidates
    if release.generation == 3:
        key: int | str = "v0.16" if release.tag == "v0.16.0" else "v0.11-v0.15"
    else:
        key = release.generation
    assert candidates == EXPECTED[key]
    # The variant that speaks the release is among them.
    assert any(release in variant.releases for variant in candidates)


def test_v0_2_s_socket_is_the_first_generation() -> None:
    environ = {"MESG_TOKEN": "a" * 44, "MESG_ENDPOINT": "unix:///mesg/server.sock"}
    assert resolve({}, environ).choice.candidates == (G1,)


def test_a_token_that_is_no_instance_hash_rules_the_third_generation_out() -> None:
    tcp = {"MESG_TOKEN": "0f" * 20, "MESG_ENDPOINT_TCP": ENDPOINT}
    assert resolve({}, tcp).choice.candidates == (G1,)
    no_tcp = {"MESG_TOKEN": "0f" * 20, "MESG_ENDPOINT": ENDPOINT}
    assert resolve({}, no_tcp).choice.candidates == (G2,)


@pytest.mark.parametrize(
    ("name", "variant", "label"),
    [
        ("v0.2", G1, "G1 (v0.1-v0.9)"),
        ("0.10", G2, "G2 (v0.10)"),
        ("v0.11", None, "G3 (v0.11)"),
        ("v0.13.0", None, "G3 (v0.12-v0.13)"),
        ("v0.16", None, "G3 (v0.15-v0.16)"),
        ("v0.18", None, "G4 (v0.17-v0.20)"),
        ("v0.26", None, "G5 (v0.21-v0.26)"),
    ],
)
def test_a_release_named_is_spoken_as_it_is(name: str, variant: Variant | None, label: str) -> None:
    environ = {
        **given(RELEASES[-1]),
        "MESG_TOKEN": "4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi",
        "MESG_INSTANCE_HASH": "4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi",
        "MESG_RUNNER_HASH": "4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi",
        "MESG_PUSHER_ENGINE": name,
    }
    config = resolve({}, environ)
    [chosen] = config.choice.candidates
    assert (config.choice.label, config.choice.release) == (label, name)
    if variant is not None:
        assert chosen.generation == variant.generation
    assert chosen.json_text is not None  # nothing left to find out


def test_the_v0_18_series_waits_for_its_longest_block() -> None:
    environ = {**given(RELEASES[-1]), "MESG_PUSHER_ENGINE": "v0.18"}
    environ |= {"MESG_INSTANCE_HASH": environ["MESG_SERVICE_HASH"]}
    environ |= {"MESG_RUNNER_HASH": environ["MESG_SERVICE_HASH"]}
    assert resolve({}, environ).choice.block_seconds == 5.0  # v0.18.0: 1 s, v0.18.1 on: 5 s
    environ["MESG_PUSHER_ENGINE"] = "v0.18.0"
    assert resolve({}, environ).choice.block_seconds == 1.0


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"MESG_PUSHER_ENGINE": "v0.27"},
            "MESG_PUSHER_ENGINE: 'v0.27' is not a MESG engine release: give one from v0.1.0 to "
            "v0.26.0, like v0.16.0, or a series like v0.18, or auto (got 'v0.27')",
        ),
        ({"MESG_PUSHER_ENGINE": "latest"}, "MESG_PUSHER_ENGINE: 'latest' is not a MESG engine"),
        (
            {"MESG_PUSHER_ENGINE": "v0.20"},
            "engine v0.20: G4 (v0.17-v0.20) needs MESG_INSTANCE_HASH and MESG_RUNNER_HASH, "
            "which the engine gives the service",
        ),
        (
            {"MESG_PUSHER_ENGINE": "v0.26"},
            "engine v0.26: G5 (v0.21-v0.26) needs MESG_SERVICE_HASH and MESG_REGISTER_SIGNATURE",
        ),
        (
            {"MESG_PUSHER_ENGINE": "v0.16", "MESG_TOKEN": "0f" * 20},
            "MESG_TOKEN: not one of the engine's hashes (base58 of 32 bytes), as G3 (v0.15-v0.16) "
            "gives",
        ),
        (
            {"MESG_RUNNER_HASH": "x"},
            "MESG_RUNNER_HASH: G4 (v0.17-v0.20) needs MESG_INSTANCE_HASH, which the engine",
        ),
        (
            {"MESG_RUNNER_HASH": "x", "MESG_INSTANCE_HASH": "y"},
            "MESG_INSTANCE_HASH: not one of the engine's hashes",
        ),
        ({}, "no service token: set MESG_TOKEN (or --token); engines from v0.17 give"),
    ],
)
def test_what_cannot_be_spoken_is_a_usage_error_naming_the_setting(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        resolve({}, {"MESG_ENDPOINT": ENDPOINT, **environ})
    assert str(error.value).startswith(message), str(error.value)


def test_the_option_wins_and_is_named() -> None:
    environ = {"MESG_ENDPOINT_TCP": ENDPOINT, "MESG_TOKEN": "t", "MESG_PUSHER_ENGINE": "v0.9"}
    assert resolve({"engine": "v0.2"}, environ).choice.release == "v0.2"
    with pytest.raises(ConfigError, match=r"^--engine: 'v1' is not a MESG engine release: "):
        resolve({"engine": "v1"}, environ)


def test_the_grace_period_covers_two_blocks_on_the_chain_generations() -> None:
    assert default_grace(None) == 8.0
    for variant in (G4, G5):
        block = variant.block_seconds
        assert block == 5.0
        assert default_grace(block) >= 8.0 + 2 * block
    g5 = resolve({}, given(RELEASES[-1]))
    assert g5.grace == 18.0
    assert resolve({"grace_period": "3"}, given(RELEASES[-1])).grace == 3.0
    g1 = ServeConfig(endpoint=ENDPOINT, token="t")
    assert (g1.grace_period, g1.grace) == (None, 8.0)


def test_a_passphrase_and_a_signature_never_show_in_the_configuration() -> None:
    environ = {
        **given(RELEASES[-1]),
        "MESG_PUSHER_CREDENTIAL_USERNAME": "me",
        "MESG_PUSHER_CREDENTIAL_PASSPHRASE": "pa55-phrase-secret",
    }
    config = resolve({}, environ)
    assert config.credential_passphrase == "pa55-phrase-secret"
    shown = repr(config)
    assert "pa55-phrase-secret" not in shown
    assert environ["MESG_REGISTER_SIGNATURE"] not in shown
