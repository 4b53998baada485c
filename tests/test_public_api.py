"""The top-level surface: the version and the public exception classes; the package is typed."""

from __future__ import annotations

from pathlib import Path

import mesg_pusher
from tests.support.surface import assert_surface


def test_surface() -> None:
    assert_surface(
        "mesg_pusher",
        {
            "InputError",
            "InputsInvalid",
            "MesgPusherError",
            "PusherConnectionError",
            "PusherError",
            "PusherHTTPError",
            "PusherTimeoutError",
            "__version__",
        },
    )


def test_every_class_exported_at_the_top_is_an_error_of_the_tree() -> None:
    for name in mesg_pusher.__all__:
        value = getattr(mesg_pusher, name)
        if isinstance(value, type):
            assert issubclass(value, mesg_pusher.MesgPusherError)


def test_package_is_typed() -> None:
    assert (Path(mesg_pusher.__file__).parent / "py.typed").exists()
