"""The exception tree drawn in `mesg_pusher._errors` is the real one.

Every module of the package is imported and every exception class it defines is found; the
drawing must name each one once, under its real parent, with its other bases and its module. The
classes outside the root must be the private ones the drawing lists as internal control flow, and
no other module may name them.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import mesg_pusher
from mesg_pusher import _errors

PACKAGE = Path(mesg_pusher.__file__).resolve().parent
ROOT = "MesgPusherError"
INTERNAL_HEADING = "Internal control flow"

# A drawn line: the tree prefix (4 characters a level), the name, an optional "(also X, Y)",
# the module relative to the package, then a few words on what it means.
_LINE = re.compile(
    r"^    (?P<tree>(?:[│ ]   )*(?:[├└]── )?)(?P<name>\w+)"
    r"(?: \(also (?P<also>[\w, ]+)\))?\s+(?P<module>[\w.]+)(?:\s|$)"
)


@dataclass(frozen=True)
class Drawn:
    parent: str | None
    also: tuple[str, ...]
    module: str


def parse(docstring: str) -> tuple[dict[str, Drawn], dict[str, str]]:
    """The tree (name -> parent, other bases, module) and the internal list (name -> module)."""
    tree_part, _, internal_part = docstring.partition(INTERNAL_HEADING)
    tree: dict[str, Drawn] = {}
    parents: list[str] = []
    for line in tree_part.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        depth = len(match["tree"]) // 4
        assert depth <= len(parents), f"a line is indented past its parent: {line!r}"
        del parents[depth:]
        name = match["name"]
        assert name not in tree, f"{name} is drawn twice"
        also = tuple(a.strip() for a in match["also"].split(",")) if match["also"] else ()
        tree[name] = Drawn(parents[-1] if parents else None, also, match["module"])
        parents.append(name)
    internal = {
        match["name"]: match["module"]
        for line in internal_part.splitlines()
        if (match := _LINE.match(line)) is not None
    }
    return tree, internal


def _modules() -> list[str]:
    found = [mesg_pusher.__name__]
    for info in pkgutil.walk_packages(mesg_pusher.__path__, f"{mesg_pusher.__name__}."):
        found.append(info.name)
    return found


def _exception_classes() -> list[type[BaseException]]:
    for name in _modules():
        importlib.import_module(name)
    found: list[type[BaseException]] = []
    pending: list[type[BaseException]] = [BaseException]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub not in found and sub not in pending:
                pending.append(sub)
        if cls.__module__.split(".")[0] == mesg_pusher.__name__ and cls not in found:
            found.append(cls)
    return found


def _short(module: str) -> str:
    return module.removeprefix(f"{mesg_pusher.__name__}.")


def real_tree() -> tuple[dict[str, Drawn], dict[str, str]]:
    """The same two maps, read from the classes themselves."""
    classes = _exception_classes()
    ours = {cls.__name__ for cls in classes}
    tree: dict[str, Drawn] = {}
    outside: dict[str, str] = {}
    for cls in classes:
        unique = cls.__name__ not in tree and cls.__name__ not in outside
        assert unique, f"two exception classes are named {cls.__name__}: names must be unique"
        if not issubclass(cls, _errors.MesgPusherError):
            outside[cls.__name__] = _short(cls.__module__)
            continue
        bases = [base.__name__ for base in cls.__bases__]
        parent = next((base for base in bases if base in ours), None)
        also = tuple(base for base in bases if base != parent and base != "Exception")
        tree[cls.__name__] = Drawn(parent, also, _short(cls.__module__))
    return tree, outside


def _sources() -> dict[str, ast.Module]:
    return {
        _short(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)): ast.parse(
            path.read_text("utf-8")
        )
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def _names_used(tree: ast.AST) -> set[str]:
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            used.add(node.id)
        elif isinstance(node, ast.Attribute):
            used.add(node.attr)
        elif isinstance(node, ast.alias):
            used.add(node.name.rsplit(".", 1)[-1])
    return used


DOCSTRING = _errors.__doc__ or ""


def test_the_drawing_is_the_real_tree() -> None:
    drawn, drawn_internal = parse(DOCSTRING)
    real, outside = real_tree()
    assert drawn[ROOT] == Drawn(None, (), "_errors")
    missing = sorted(set(real) - set(drawn))
    assert not missing, f"error classes under {ROOT} missing from the drawing: {missing}"
    stale = sorted(set(drawn) - set(real))
    assert not stale, f"the drawing names classes that do not exist: {stale}"
    wrong = {name: (drawn[name], real[name]) for name in real if drawn[name] != real[name]}
    assert not wrong, f"drawn (left) differs from the code (right): {wrong}"
    assert drawn_internal == outside, (
        f"exception classes outside {ROOT} must be the internal ones the drawing lists: "
        f"drawn {drawn_internal}, found {outside}"
    )


@pytest.mark.slow
def test_internal_exceptions_never_leave_their_module() -> None:
    _, internal = parse(DOCSTRING)
    assert internal, "the drawing lists no internal exceptions: is the heading still there?"
    sources = _sources()
    for name, module in internal.items():
        assert name.startswith("_"), f"{name} is outside {ROOT}, so it must be private"
        users = sorted(
            m for m, tree in sources.items() if m != module and name in _names_used(tree)
        )
        assert not users, f"{name} is internal to {module} but named in {users}"


def test_no_exception_class_hides_inside_a_function() -> None:
    """Classes made when a function runs escape the import-time walk; none may be an error."""
    exception_names = {
        name
        for name, value in vars(builtins).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    } | {cls.__name__ for cls in _exception_classes()}
    hidden = [
        f"{module}.{node.name}"
        for module, tree in _sources().items()
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.ClassDef)
        and any(_names_used(base) & exception_names for base in node.bases)
    ]
    assert not hidden, f"exception classes defined inside functions: {hidden}"


def test_validation_errors_are_value_errors() -> None:
    drawn, _ = parse(DOCSTRING)
    real, _ = real_tree()
    assert {name for name, d in drawn.items() if "ValueError" in d.also} == {
        "GoJsonError",
        "InputError",
        "InvalidWebhook",
        "ReleaseError",
        "UsageError",
        "WebhookRefused",
    }
    assert real["InputsInvalid"].parent == "InputError"  # so it is a ValueError too


# The parser itself, on drawings that must be read one way or refused.


def test_the_parser_reads_depth_parents_and_extra_bases() -> None:
    drawing = """
    Root                         _errors   the root
    ├── A (also ValueError)      a._x      one
    │   └── B                    a._x      two
    │       └── C                b         three
    └── D                        d._y      four

Internal control flow, and so on:

    _E                           e._z      becomes A
"""
    tree, internal = parse(drawing)
    assert tree == {
        "Root": Drawn(None, (), "_errors"),
        "A": Drawn("Root", ("ValueError",), "a._x"),
        "B": Drawn("A", (), "a._x"),
        "C": Drawn("B", (), "b"),
        "D": Drawn("Root", (), "d._y"),
    }
    assert internal == {"_E": "e._z"}


def test_the_parser_refuses_a_name_drawn_twice() -> None:
    with pytest.raises(AssertionError, match="drawn twice"):
        parse("    Root  _errors  x\n    ├── A  m  y\n    └── A  m  z\n")


def test_a_class_missing_from_the_drawing_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    class Unlisted(_errors.PusherError):
        pass

    # Defined here, so give it a module inside the package: the walk must find it.
    monkeypatch.setattr(Unlisted, "__module__", "mesg_pusher.pusher._client")
    real, _ = real_tree()
    assert real["Unlisted"] == Drawn("PusherError", (), "pusher._client")
    with pytest.raises(AssertionError, match="Unlisted"):
        test_the_drawing_is_the_real_tree()
