"""The later generations' rules (v0.10 to v0.26): what is wrong with a value, and every refusal
in the words of the release at hand. The first generation's are `mesg.validate` and
`_messages`.

Values are checked as the release's Go code checked them (service/validation.go to v0.14.0,
service/service_parameter.go from v0.14.1): only declared parameters, in their declared order;
an absent key is ``required`` unless optional; ``repeated`` wants an array, each element of
which is type-checked (the first bad element's problem is the one reported); ``Object`` wants an
object whose own parameters are checked in turn; ``Any`` takes anything. A ``null`` is an absent
key except from v0.14.1 to v0.16.0, whose engines checked the Struct's values as they came and
so counted a ``null`` as a value of the wrong type (v0.17 fixed it). An element ``null`` is
always of the wrong type.

Problems are ``(key, kind)`` pairs; `details` words them: ``Value of "k" is not a string``
joined by ``. `` to v0.14.0, ``value of "k" is not a string`` joined by line feeds from
v0.14.1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from .. import _engine_texts as words
from ..mesg.protocol import Release
from ._schema import Param

#: A Struct value whose kind is not set (a client's mistake): of no type at all.
NO_KIND: Final = object()


def problems(
    parameters: Sequence[Param], values: Mapping[str, Any] | None, release: Release
) -> list[tuple[str, str]]:
    """What is wrong with `values` against `parameters`, as `release` checks it."""
    found: list[tuple[str, str]] = []
    for parameter in parameters:
        value = (values or {}).get(parameter.key)
        absent = values is None or parameter.key not in values
        if absent or (value is None and not release.null_is_value):
            if not parameter.optional:
                found.append((parameter.key, "required"))
            continue
        if parameter.repeated:
            if not isinstance(value, list):
                found.append((parameter.key, "array"))
                continue
            for element in value:
                wrong = _type_problems(parameter, element, release)
                if wrong:
                    found.extend(wrong)
                    break
            continue
        found.extend(_type_problems(parameter, value, release))
    return found


def _type_problems(parameter: Param, value: Any, release: Release) -> list[tuple[str, str]]:
    kind = parameter.type
    if kind == "Any":
        return []
    if kind == "Object":
        if not isinstance(value, dict):
            return [(parameter.key, "Object")]
        return problems(parameter.object, value, release)
    if kind not in ("String", "Number", "Boolean"):
        return [(parameter.key, "type")]
    right = {
        "String": isinstance(value, str),
        "Number": isinstance(value, int | float) and not isinstance(value, bool),
        "Boolean": isinstance(value, bool),
    }[kind]
    return [] if right else [(parameter.key, kind)]


def details(release: Release, found: Sequence[tuple[str, str]]) -> str:
    if _later(release):
        return "\n".join(
            words.VALUE_PROBLEM_V14.format(
                key=words.go_quote(key), problem=words.PROBLEMS_V14[kind]
            )
            for key, kind in found
        )
    return ". ".join(
        words.VALUE_PROBLEM_V10.format(key=words.go_quote(key), problem=words.PROBLEMS_V10[kind])
        for key, kind in found
    )


def _later(release: Release) -> bool:
    """Whether `release` speaks v0.14.1's words (from v0.14.1 on) rather than v0.10's."""
    return release.texts == "v0.14.1"


def task_not_found(release: Release, service: str, task: str) -> str:
    text = words.TASK_NOT_FOUND_V14 if _later(release) else words.TASK_NOT_FOUND_V10
    return text.format(service=words.go_quote(service), task=words.go_quote(task))


def event_not_found(release: Release, service: str, event: str) -> str:
    text = words.EVENT_NOT_FOUND_V14 if _later(release) else words.EVENT_NOT_FOUND_V10
    return text.format(service=words.go_quote(service), event=words.go_quote(event))


def inputs_invalid(
    release: Release, service: str, task: str, found: Sequence[tuple[str, str]]
) -> str:
    text = words.INPUTS_INVALID_V14 if _later(release) else words.INPUTS_INVALID_V10
    return text.format(
        service=words.go_quote(service), task=words.go_quote(task), details=details(release, found)
    )


def outputs_invalid(
    release: Release, service: str, task: str, found: Sequence[tuple[str, str]]
) -> str:
    text = words.OUTPUTS_INVALID_V14 if _later(release) else words.OUTPUTS_INVALID_V10
    return text.format(
        service=words.go_quote(service), task=words.go_quote(task), details=details(release, found)
    )


def event_data_invalid(
    release: Release, service: str, event: str, found: Sequence[tuple[str, str]]
) -> str:
    text = words.EVENT_DATA_INVALID_V14 if _later(release) else words.EVENT_DATA_INVALID_V10
    return text.format(
        service=words.go_quote(service),
        event=words.go_quote(event),
        details=details(release, found),
    )


def chain(release: Release, text: str) -> str:
    """A refusal of the chain's keepers: the Cosmos SDK wraps them from G5 on."""
    return words.INVALID_REQUEST.format(reason=text) if release.generation >= 5 else text


def status_error(release: Release, finished_with_error: bool) -> str:
    """A result for an execution already answered."""
    _, in_progress, completed, failed = release.status_names
    text = words.EXECUTION_STATUS.format(
        actual=failed if finished_with_error else completed, expected=in_progress
    )
    return chain(release, text)


def unknown_execution(release: Release, execution_id: str) -> str:
    """A result for an execution the engine does not hold."""
    if release.generation == 4:
        return words.EXECUTION_MISSING.format(hash=words.go_quote(execution_id))
    if release.generation == 5:
        return chain(release, words.EXECUTION_NOT_FOUND.format(hash=words.go_quote(execution_id)))
    return words.LEVELDB_NOT_FOUND.format()


def no_result(release: Release) -> str | None:
    """A result call with neither outputs nor error: refused with this text, or (None) taken
    and ignored, as v0.10's SubmitResult did."""
    if release.generation == 2:
        return None
    if release.generation == 3:
        return words.OUTPUT_NOT_SUPPLIED.format()
    return chain(release, words.NO_RESULT.format())


def runner_not_found(release: Release, runner: str) -> str:
    return chain(release, words.RUNNER_NOT_FOUND.format(hash=words.go_quote(runner)))
