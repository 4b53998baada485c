"""Every engine release and what its protocol speaks, held to the protocol description."""

from __future__ import annotations

import pytest

from mesg_pusher.mesg.protocol import RELEASES, TAGS, Release, ReleaseError, release
from tests.support.surface import assert_surface


def test_a_version_is_read_as_users_write_it() -> None:
    assert release("v0.16") == release("0.16.0") == Release(16, 0)
    assert release("v0.18") == Release(18, 3)  # a line: its newest release, as Docker tags
    assert release(" v0.14.1 ").tag == "v0.14.1"
    assert [r.tag for r in RELEASES] == list(TAGS)
    assert len(TAGS) == 36
    assert TAGS[-1] == "v0.26.0"


@pytest.mark.parametrize(("text", "why"), [
    ("v0.27", "'v0.27' names no MESG engine release (v0.1 to v0.26)"),
    ("v0.9.2", "v0.9.2 is not a MESG engine release (v0.1.0 to v0.26.0)"),
    ("sixteen", "'sixteen' is not an engine version (write it like v0.16 or v0.18.1, "
                "from v0.1 to v0.26)"),
])  # fmt: skip
def test_a_version_that_names_no_release_is_refused_with_its_reason(text: str, why: str) -> None:
    with pytest.raises(ReleaseError) as error:
        release(text)
    assert str(error.value) == why
    assert isinstance(error.value, ValueError)


def test_generations() -> None:
    by_generation: dict[int, list[str]] = {}
    for item in RELEASES:
        by_generation.setdefault(item.generation, []).append(item.tag)
    assert [(g, tags[0], tags[-1]) for g, tags in sorted(by_generation.items())] == [
        (1, "v0.1.0", "v0.9.1"),
        (2, "v0.10.0", "v0.10.1"),
        (3, "v0.11.0", "v0.16.0"),
        (4, "v0.17.0", "v0.20.0"),
        (5, "v0.21.0", "v0.26.0"),
    ]


def test_the_third_generation_wire_variants() -> None:
    variants = {
        tag: (r.json_text, r.bytes_hashes, r.api_package, r.wire)
        for tag in ("v0.11", "v0.12", "v0.13", "v0.14.0", "v0.14.2", "v0.15", "v0.16")
        for r in [release(tag)]
    }
    assert variants == {
        "v0.11": (True, False, "api", "v0_11"),
        "v0.12": (False, False, "api", "v0_12"),
        "v0.13": (False, False, "api", "v0_12"),
        "v0.14.0": (False, True, "api", "v0_14"),
        "v0.14.2": (False, True, "api", "v0_14"),
        "v0.15": (False, True, "mesg.api", "v0_14"),
        "v0.16": (False, True, "mesg.api", "v0_14"),
    }


def test_rules_by_release() -> None:
    assert [r.tag for r in RELEASES if r.invalid_outputs_fail_call and r.generation > 1] == [
        "v0.10.0",
        "v0.10.1",
        "v0.11.0",
    ]
    assert [r.tag for r in RELEASES if r.null_is_value] == [
        "v0.14.1",
        "v0.14.2",
        "v0.15.0",
        "v0.16.0",
    ]
    assert {r.texts for r in RELEASES if r.generation == 2} == {"v0.10"}
    assert release("v0.14.0").texts == "v0.10"
    assert release("v0.14.1").texts == "v0.14.1"
    assert release("v0.13").status_names[1:3] == ("in progress", "completed")
    assert release("v0.14").status_names[1:3] == ("InProgress", "Completed")
    assert [r.tag for r in RELEASES if r.credentials_on_update] == ["v0.17.0"]
    assert next(r.tag for r in RELEASES if r.ready_header) == "v0.7.0"
    assert next(r.tag for r in RELEASES if not r.joined_ids) == "v0.4.0"


def test_blocks_and_environments() -> None:
    assert release("v0.16").block_seconds is None
    assert release("v0.17").block_seconds == release("v0.18.0").block_seconds == 1.0
    assert release("v0.18.1").block_seconds == release("v0.26").block_seconds == 5.0
    assert release("v0.10").environment == ("MESG_TOKEN", "MESG_ENDPOINT")
    assert release("v0.15").environment == ("MESG_TOKEN", "MESG_ENDPOINT", "MESG_ENDPOINT_TCP")
    assert release("v0.16").environment == ("MESG_TOKEN", "MESG_ENDPOINT")
    assert release("v0.20").environment == (
        "MESG_INSTANCE_HASH",
        "MESG_RUNNER_HASH",
        "MESG_ENDPOINT",
    )
    assert "MESG_REGISTER_SIGNATURE" in release("v0.21").environment
    assert release("v0.19").execution_fields == {"executorHash", "price", "blockHeight"}
    assert release("v0.26").execution_fields >= {"emitters", "address", "start", "stop"}


def test_surface() -> None:
    assert_surface(
        "mesg_pusher.mesg.protocol",
        {
            "ALPHABET",
            "CREDENTIAL_PASSPHRASE",
            "CREDENTIAL_TOKEN",
            "CREDENTIAL_USERNAME",
            "READY",
            "RELEASES",
            "REQUEST_SIGNATURE",
            "TAGS",
            "Generation",
            "Method",
            "Release",
            "ReleaseError",
            "Texts",
            "b58decode",
            "b58encode",
            "calls",
            "from_struct",
            "from_value",
            "method_handlers",
            "multi_callable",
            "release",
            "to_struct",
            "to_value",
            "wire",
        },
    )
