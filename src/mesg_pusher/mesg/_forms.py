"""The definition each engine release deploys, made from the first generation's mesg.yml.

`definition_for` gives a release's form (`FORMS`): mesg.yml as it is, `with_env`, or the later
engines' (`_later`). `detect_form` tells which form a file is written in.

Engines v0.6+ pass a service its settings with ``mesg-core service deploy --env KEY=VALUE``,
for the keys its mesg.yml declares under ``configuration.env``; the engines before v0.6 refuse
a mesg.yml with that key. `with_env` writes the v0.6+ form: the same text, with the variables
declared (empty defaults) and a first line saying where it comes from. The text is edited, not
re-dumped, so it reads like the original; the result is then checked to mean exactly the
original plus those entries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

import yaml

from ._definition import DefinitionError, load
from ._later import Price, env_entry, later_definition, render_later
from ._releases import Release, between, spans

#: The first line of the generated form.
GENERATED: Final = (
    "# For MESG engines v0.6 to v0.9. Generated from mesg.yml by "
    "`mesg-pusher gen-definition`: edit mesg.yml, then regenerate."
)
_CONFIGURATION: Final = re.compile(r"^configuration:[ \t]*$", re.MULTILINE)


def with_env(text: str, variables: Sequence[str]) -> str:
    """`text` (a mesg.yml without ``configuration.env``) with `variables` declared under
    ``configuration.env`` (see `env_entry`); a `DefinitionError` if `text` is not such a
    definition."""
    load(text)  # every engine's form, so without configuration.env
    entries = "".join(f"    - {env_entry(variable)}\n" for variable in variables)
    body = text if text.endswith("\n") else text + "\n"
    found = list(_CONFIGURATION.finditer(body))
    if len(found) == 1:
        # A block mapping: its keys are indented by two spaces, as the entries here are.
        at = found[0].end() + 1
        generated = body[:at] + "  env:\n" + entries + body[at:]
    elif not found and "configuration" not in _top_level(body):
        generated = body + "configuration:\n  env:\n" + entries
    else:
        raise DefinitionError("mesg.yml: write configuration as a block mapping (configuration:)")
    generated = f"{GENERATED}\n{generated}"
    _check(text, generated, variables)
    return generated


def _top_level(text: str) -> dict[str, Any]:
    parsed = yaml.safe_load(text)
    return parsed if isinstance(parsed, dict) else {}


def _check(original: str, generated: str, variables: Sequence[str]) -> None:
    expected = _top_level(original)
    configuration = dict(expected.get("configuration") or {})
    configuration["env"] = [env_entry(variable) for variable in variables]
    expected["configuration"] = configuration
    try:
        load(generated, engine="v0.6")
        same = _top_level(generated) == expected
    except DefinitionError:
        same = False
    if not same:
        raise DefinitionError(
            "mesg.yml: its configuration could not be extended with env (indent its keys by "
            "two spaces)"
        )


# --- the definition of every release -------------------------------------------------------------

#: The four forms of the definition, and the releases each is for: the first generation's
#: (``first``), the same with ``configuration.env`` (``first-env``, v0.6.0 on), the later
#: engines' (``later``: one output per task, typed parameters) and v0.26.0's (``priced``).
Form = Literal["first", "first-env", "later", "priced"]
FORMS: Final[Mapping[Form, tuple[Release, ...]]] = {
    "first": between(Release(1, 0), Release(9, 1)),
    "first-env": between(Release(6, 0), Release(9, 1)),
    "later": between(Release(10, 0), Release(25, 1)),
    "priced": (Release(26, 0),),
}
FORM_NAMES: Final[Mapping[Form, str]] = {
    "first": "the first generation's form",
    "first-env": "the first generation's form with configuration.env",
    "later": "the form of v0.10 and later",
    "priced": "v0.26's form, with task prices",
}


def form_of(release: Release) -> Form:
    """The form `release` is given by `definition_for`."""
    if release.minor <= 5:
        return "first"
    if release.minor <= 9:
        return "first-env"
    return "later" if release.minor <= 25 else "priced"


def definition_for(
    releases: Sequence[Release],
    text: str,
    variables: Sequence[str],
    *,
    price: Price | None = None,
) -> str:
    """The definition `releases` deploy, made from the first generation's mesg.yml `text`:
    that text as it is (v0.1 to v0.5), with `variables` under ``configuration.env`` (v0.6 to
    v0.9), or in the later form (v0.10 on; v0.26.0 with `price` on each task, zero unless
    given). A `ValueError` when `releases` do not share one form or `price` is not theirs; a
    `DefinitionError` when `text` is not a first-generation definition."""
    forms = {form_of(release) for release in releases}
    if len(forms) != 1:
        raise ValueError(f"{spans(releases)} do not read one form of the definition")
    form = forms.pop()
    if price is not None and form != "priced":
        raise ValueError("a task price is read by v0.26.0 only")
    if form == "first":
        load(text)
        return text
    if form == "first-env":
        return with_env(text, variables)
    priced = (price or Price()) if form == "priced" else None
    later = later_definition(load(text), variables=variables, price=priced)
    return render_later(later, FORMS[form])


def detect_form(tree: Any) -> Form:
    """The form a parsed definition is written in: the first generation's when a task's outputs
    are keyed with ``data``, the later one when they are parameters (``type``), or when
    nothing says, the first; ``configuration.env`` and a task ``price`` tell the rest."""
    tasks = tree.get("tasks") if isinstance(tree, dict) else None
    bodies = [t for t in tasks.values() if isinstance(t, dict)] if isinstance(tasks, dict) else []
    if any("price" in body for body in bodies):
        return "priced"
    for body in bodies:
        outputs = body.get("outputs")
        for output in outputs.values() if isinstance(outputs, dict) else ():
            if isinstance(output, dict) and "data" not in output and "type" in output:
                return "later"
    configuration = tree.get("configuration") if isinstance(tree, dict) else None
    if isinstance(configuration, dict) and "env" in configuration:
        return "first-env"
    return "first"
