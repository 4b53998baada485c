"""The engine's words (Core v0.2.0): every text it answers with, written once.

The engines of this generation return plain Go errors, so a client tells one refusal from
another by its text alone. Each text here is an `EngineText`: the template that writes it (the
engine stand-in, the service's own checks) is also the pattern that recognises it (serve's fault
verdicts), so the two cannot drift apart. A hole in a template matches any text, spaces, quotes
and line breaks included: an execution id of v0.1-v0.3 holds all of these.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

_FORMATTER: Final = string.Formatter()


@dataclass(frozen=True, slots=True)
class EngineText:
    """One of the engine's texts, with ``{name}`` holes (``{{`` and ``}}`` for braces)."""

    template: str
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    head: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pieces = list(_FORMATTER.parse(self.template))
        parts: list[str] = []
        for literal, name, _, _ in pieces:
            parts.append(re.escape(literal))
            if name is not None:
                parts.append(f"(?P<{name}>.*)")
        object.__setattr__(self, "pattern", re.compile("".join(parts), re.DOTALL))
        # The words before the first hole (the whole text when it has none).
        object.__setattr__(self, "head", pieces[0][0] if pieces else "")

    def format(self, **values: str) -> str:
        """The text with its holes filled."""
        return self.template.format(**values)

    def match(self, text: str) -> Mapping[str, str] | None:
        """The holes' values when `text` is this text as a whole, else None."""
        found = self.pattern.fullmatch(text)
        return found.groupdict() if found is not None else None


# api.Service and api.Core ------------------------------------------------------------------

#: An unknown token (the database wraps the service's own error in v0.2).
SERVICE_NOT_FOUND: Final = EngineText("Database services: Service with hash '{token}' not found")
#: The same refusal without the database's wrapping.
SERVICE_HASH_NOT_FOUND: Final = EngineText("Service with hash '{token}' not found")
TASK_NOT_FOUND: Final = EngineText("Task '{task}' not found in service '{service}'")
OUTPUT_NOT_FOUND: Final = EngineText(
    "Output '{output}' of task '{task}' not found in service '{service}'"
)
EVENT_NOT_FOUND: Final = EngineText("Event '{event}' not found in service '{service}'")
#: A result for an execution that is not in progress (answered already, or never known).
EXECUTION_GONE: Final = EngineText("Execution {id} doesn't exists")
#: The execution package's own form of the same fact.
EXECUTION_NOT_IN_QUEUE: Final = EngineText("Execution '{id}' not found in queue 'inProgress'")

# Execution ids ------------------------------------------------------------------------------

#: An id of v0.1-v0.3: the creation time as Go prints it, the service's name, the task key and
#: the inputs as Go encodes them, joined with dots. It holds every input, the secrets included.
JOINED_ID: Final = EngineText("{created}.{service}.{task}.{inputs}")
#: An id from v0.4 on: a digest, 40 hex digits.
DIGEST_ID: Final = re.compile("[0-9a-f]{40}")

# Validation against mesg.yml ---------------------------------------------------------------

INPUTS_INVALID: Final = EngineText("Inputs of task '{task}' are invalid. {details}")
OUTPUTS_INVALID: Final = EngineText("Outputs '{output}' of task '{task}' are invalid. {details}")
EVENT_DATA_INVALID: Final = EngineText("Data of event '{event}' is invalid. {details}")
#: One problem with one value; problems are joined with `DETAILS_SEPARATOR`.
VALUE_PROBLEM: Final = EngineText("Value of '{key}' {problem}")
DETAILS_SEPARATOR: Final = ". "
REQUIRED: Final = "is required"
#: The problem with a value of the wrong type, by the parameter's declared type.
NOT_OF_TYPE: Final[Mapping[str, str]] = {
    "String": "is not a string",
    "Number": "is not a number",
    "Boolean": "is not a boolean",
    "Object": "is not an object or array",
}

# Go's json package, reading a JSON object -------------------------------------------------

JSON_END: Final = EngineText("unexpected end of JSON input")
JSON_BAD_CHARACTER: Final = EngineText(
    "invalid character '{character}' looking for beginning of value"
)
JSON_TOO_DEEP: Final = EngineText("invalid character '{character}' exceeded max depth")
JSON_NOT_AN_OBJECT: Final = EngineText(
    "json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
)
JSON_NUMBER_TOO_LARGE: Final = EngineText(
    "json: cannot unmarshal number {literal} into Go value of type float64"
)
#: Go words a syntax error in many ways after its opening ("invalid character 'x' after object
#: key", ...): a JSON refusal is recognised by these openings.
JSON_OPENINGS: Final = tuple(
    sorted(
        {
            text.head
            for text in (
                JSON_END,
                JSON_BAD_CHARACTER,
                JSON_TOO_DEEP,
                JSON_NOT_AN_OBJECT,
                JSON_NUMBER_TOO_LARGE,
            )
        }
    )
)


def details(problems: Sequence[tuple[str, str]]) -> str:
    """``Value of 'a' is required. Value of 'b' is not a string``."""
    return DETAILS_SEPARATOR.join(
        VALUE_PROBLEM.format(key=key, problem=problem) for key, problem in problems
    )


def inputs_invalid(task: str, problems: Sequence[tuple[str, str]]) -> str:
    return INPUTS_INVALID.format(task=task, details=details(problems))


def outputs_invalid(output: str, task: str, problems: Sequence[tuple[str, str]]) -> str:
    return OUTPUTS_INVALID.format(output=output, task=task, details=details(problems))


def event_data_invalid(event: str, problems: Sequence[tuple[str, str]]) -> str:
    return EVENT_DATA_INVALID.format(event=event, details=details(problems))


def is_json_refusal(text: str) -> bool:
    """Whether `text` is Go's json package refusing to read a JSON object."""
    return text.startswith(JSON_OPENINGS)
