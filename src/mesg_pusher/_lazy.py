"""A package's names loaded on first use, for the packages whose heavy modules (gRPC, aiohttp)
would otherwise slow every command's start; each says what it saves beside its table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_attributes(package: str, table: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for `package`: each name of `table` taken from its module
    (``"Service": "_serve"``) when first asked for."""

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{module}"), name)

    return __getattr__
