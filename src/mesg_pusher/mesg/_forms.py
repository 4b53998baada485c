"""The definition for engines v0.6 and later, made from the one every engine reads.

Engines v0.6+ pass a service its settings with ``mesg-core service deploy --env KEY=VALUE``,
for the keys its mesg.yml declares under ``configuration.env``; the engines before v0.6 refuse
a mesg.yml with that key. `with_env` writes the v0.6+ form: the same text, with the variables
declared (empty defaults) and a first line saying where it comes from. The text is edited, not
re-dumped, so it reads like the original; the result is then checked to mean exactly the
original plus those entries.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

import yaml

from ._definition import DefinitionError, load

#: The first line of the generated form.
GENERATED: Final = (
    "# For MESG engines v0.6 and later. Generated from mesg.yml by "
    "`mesg-pusher gen-definition`: edit mesg.yml, then regenerate."
)
_CONFIGURATION: Final = re.compile(r"^configuration:[ \t]*$", re.MULTILINE)


def with_env(text: str, variables: Sequence[str]) -> str:
    """`text` (a mesg.yml without ``configuration.env``) with `variables` declared under
    ``configuration.env``; a `DefinitionError` if `text` is not such a definition."""
    load(text)  # every engine's form, so without configuration.env
    entries = "".join(f"    - {name}=\n" for name in variables)
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
    configuration["env"] = [f"{name}=" for name in variables]
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
