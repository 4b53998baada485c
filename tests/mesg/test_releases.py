"""Every engine release, named as users name them, and the generation each belongs to."""

from __future__ import annotations

import pytest

from mesg_pusher.mesg import RELEASES, Release, normalized, releases, spans


def test_every_tag_of_the_engine_is_a_release() -> None:
    assert len(RELEASES) == 36
    assert (str(RELEASES[0]), str(RELEASES[-1])) == ("v0.1.0", "v0.26.0")
    assert list(RELEASES) == sorted(RELEASES)
    series = {r.minor for r in RELEASES}
    assert series == set(range(1, 27))
    patches = {str(r) for r in RELEASES if r.patch}
    assert patches == {
        "v0.8.1", "v0.9.1", "v0.10.1", "v0.12.1", "v0.14.1", "v0.14.2", "v0.18.1", "v0.18.2",
        "v0.18.3", "v0.25.1",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("v0.16.0", "v0.16.0"),
        ("v0.16", "v0.16.0"),
        ("0.16", "v0.16.0"),
        ("v0.18", "v0.18.0 to v0.18.3"),
        ("v0.9", "v0.9.0 to v0.9.1"),
        ("v0.14.2", "v0.14.2"),
        (" v0.2 ", "v0.2.0"),
    ],
)
def test_a_name_is_a_release_or_a_series(name: str, expected: str) -> None:
    assert spans(releases(name)) == expected


@pytest.mark.parametrize("name", ["v0.27", "v0.16.1", "v1.0", "auto", "", "v0.1.0-beta", "0"])
def test_what_names_no_release_is_refused_with_the_known_ones(name: str) -> None:
    with pytest.raises(ValueError, match=r"is not a MESG engine release: give one from v0.1.0"):
        releases(name)


def test_a_name_keeps_its_form_with_a_leading_v() -> None:
    assert normalized("0.16") == "v0.16"
    assert normalized("v0.18.2") == "v0.18.2"


@pytest.mark.parametrize(
    ("release", "generation"),
    [
        (Release(1, 0), 1),
        (Release(9, 1), 1),
        (Release(10, 0), 2),
        (Release(10, 1), 2),
        (Release(11, 0), 3),
        (Release(16, 0), 3),
        (Release(17, 0), 4),
        (Release(20, 0), 4),
        (Release(21, 0), 5),
        (Release(26, 0), 5),
    ],
)
def test_the_generations(release: Release, generation: int) -> None:
    assert release.generation == generation


def test_spans_name_runs_of_consecutive_releases() -> None:
    chosen = [Release(1, 0), Release(2, 0), Release(9, 1), Release(26, 0)]
    assert spans(chosen) == "v0.1.0 to v0.2.0, v0.9.1, v0.26.0"
    assert spans([]) == ""
