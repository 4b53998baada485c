"""The one rule for a package's public surface, which each ``test_public_api.py`` applies.

A surface is `__all__`: sorted as ruff sorts it (constants, then classes, then the rest), equal
to the set the test pins (so a change to it is a visible decision), complete (every name the
``__init__`` takes from its own private modules is in it, lazy ones included) and importable
(each name resolves, through the module's lazy ``__getattr__`` where it has one).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType


def sort_key(name: str) -> tuple[int, str]:
    """Ruff's isort-style order for `__all__` (RUF022): SCREAMING_CASE, CamelCase, the rest."""
    if name.isupper() and len(name) > 1:
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def imported_from_private_modules(module: ModuleType) -> set[str]:
    """Names the package's ``__init__`` binds from its own ``_private`` modules, at any depth of
    the file (``TYPE_CHECKING`` blocks included, which is where lazy names are declared)."""
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level != 1:
            continue
        for alias in node.names:
            bound = alias.asname or alias.name
            private_module = (node.module or alias.name).startswith("_")
            if private_module and not bound.startswith("_"):
                names.add(bound)
    return names


def assert_surface(name: str, expected: set[str]) -> None:
    module = importlib.import_module(name)
    exported: list[str] = list(module.__all__)
    assert exported == sorted(exported, key=sort_key), f"{name}.__all__ is not sorted"
    assert len(exported) == len(set(exported)), f"{name}.__all__ names something twice"
    assert set(exported) == expected, (
        f"{name}.__all__ changed: added {sorted(set(exported) - expected)}, "
        f"removed {sorted(expected - set(exported))}"
    )
    left_out = imported_from_private_modules(module) - set(exported)
    assert not left_out, f"{name} imports {sorted(left_out)} but does not export them"
    for public in exported:
        assert getattr(module, public) is not None, f"{name}.{public} does not resolve"
    star: dict[str, object] = {}
    exec(f"from {name} import *", star)  # the import a user would write
    assert set(star) - {"__builtins__"} == set(exported)
