"""The public surface is explicit and pinned; the package is typed."""

from __future__ import annotations

from pathlib import Path

import mesg_pusher
import mesg_pusher.pusher
import mesg_pusher.tasks


def test_top_level_surface() -> None:
    assert mesg_pusher.__all__ == sorted(mesg_pusher.__all__)
    assert set(mesg_pusher.__all__) == {
        "InputError",
        "InputsInvalid",
        "MesgPusherError",
        "PusherConnectionError",
        "PusherError",
        "PusherHTTPError",
        "PusherTimeoutError",
        "__version__",
    }


def test_subpackage_surfaces_are_sorted_and_resolve() -> None:
    for module in (mesg_pusher.pusher, mesg_pusher.tasks):
        assert module.__all__ == sorted(module.__all__, key=lambda n: (not n.isupper(), n))
        for name in module.__all__:
            assert hasattr(module, name)


def test_exception_tree() -> None:
    assert issubclass(mesg_pusher.InputError, ValueError)
    assert issubclass(mesg_pusher.InputsInvalid, mesg_pusher.InputError)
    assert issubclass(mesg_pusher.PusherTimeoutError, mesg_pusher.PusherConnectionError)
    for name in mesg_pusher.__all__:
        value = getattr(mesg_pusher, name)
        if isinstance(value, type):
            assert issubclass(value, mesg_pusher.MesgPusherError)


def test_package_is_typed() -> None:
    assert (Path(mesg_pusher.__file__).parent / "py.typed").exists()
