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


# The later generations (v0.10 to v0.26) ------------------------------------------------------
#
# From v0.10 the engine quotes names the way Go's %q does (`go_quote`): the holes named below
# as quoted hold the quotes too (`Task "trigger" not found in service "mesg-pusher"`).


def go_quote(text: str) -> str:
    """`text` as Go's ``%q`` writes it (``strconv.Quote``): in double quotes, with ``"`` and
    ``\\`` escaped, control and other unprintable characters as ``\\n``, ``\\x1f``, ``\\u00a0``."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif 0xD800 <= code <= 0xDFFF:  # not UTF-8: Go writes the replacement character
            out.append("\ufffd")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


_GO_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}

#: v0.10.0 to v0.14.0 (quoted holes). Problems follow the header, each after ". ".
TASK_NOT_FOUND_V10: Final = EngineText("Task {task} not found in service {service}")
EVENT_NOT_FOUND_V10: Final = EngineText("Event {event} not found in service {service}")
INPUTS_INVALID_V10: Final = EngineText(
    "Inputs of task {task} are invalid in service {service}. {details}"
)
OUTPUTS_INVALID_V10: Final = EngineText(
    "Outputs of task {task} are invalid in service {service}. {details}"
)
EVENT_DATA_INVALID_V10: Final = EngineText(
    "Data of event {event} is invalid in service {service}. {details}"
)
VALUE_PROBLEM_V10: Final = EngineText("Value of {key} is {problem}")
#: v0.14.1 and later (quoted holes). Problems follow the header, one a line.
TASK_NOT_FOUND_V14: Final = EngineText("service {service} - task {task} not found")
EVENT_NOT_FOUND_V14: Final = EngineText("service {service} - event {event} not found")
INPUTS_INVALID_V14: Final = EngineText(
    "service {service} - inputs of task {task} are invalid: {details}"
)
OUTPUTS_INVALID_V14: Final = EngineText(
    "service {service} - outputs of task {task} are invalid: {details}"
)
EVENT_DATA_INVALID_V14: Final = EngineText(
    "service {service} - data of event {event} are invalid: {details}"
)
VALUE_PROBLEM_V14: Final = EngineText("value of {key} {problem}")
#: What is wrong with one value, by kind: the v0.10 words (after "is "), the v0.14.1 ones.
PROBLEMS_V10: Final[Mapping[str, str]] = {
    "required": "required",
    "array": "not an array",
    "String": "not a string",
    "Number": "not a number",
    "Boolean": "not a boolean",
    "Object": "not an object",
    "type": "an invalid type",
}
PROBLEMS_V14: Final[Mapping[str, str]] = {
    "required": "is required",
    "array": "is not an array",
    "String": "is not a string",
    "Number": "is not a number",
    "Boolean": "is not a boolean",
    "Object": "is not an object",
    "type": "has an invalid type ",  # the engine's own trailing space
}

#: A second result, or one for a finished execution; the statuses are the release's names.
EXECUTION_STATUS: Final = EngineText('Execution status error: "{actual}" instead of "{expected}"')
#: G2 and G3: an execution or an instance the engine's database does not hold.
LEVELDB_NOT_FOUND: Final = EngineText("leveldb: not found")
#: G2: a token that names no service.
DATABASE_SERVICE_NOT_FOUND: Final = EngineText("database: service {token} not found")
#: G2 and v0.11: outputs that are not a JSON object (Go's reason follows).
INVALID_OUTPUT: Final = EngineText("invalid output: {reason}")
#: v0.11: inputs of Execution/Create that are not a JSON object.
CANNOT_PARSE_INPUTS: Final = EngineText("cannot parse execution's inputs (JSON format): {reason}")
#: G3: Execution/Update with neither outputs nor error.
OUTPUT_NOT_SUPPLIED: Final = EngineText("output not supplied")
CREATE_EVENT_KEY_MISSING: Final = EngineText("create event: key missing")
#: G3 and G4: Event/Create's wrapping of a refusal of the data, the key or the instance.
CREATE_EVENT_DATA: Final = EngineText("create event: data {reason}")
#: v0.11 to v0.13: an instance hash that does not decode.
CREATE_EVENT_INSTANCE: Final = EngineText("create event: instance {reason}")
#: v0.11 to v0.13: a base58 hash that does not decode, or is not 32 bytes.
HASH_INVALID: Final = EngineText("hash: {reason}")
BASE58_BAD_DIGIT: Final = EngineText("invalid base58 digit ({digit})")
BASE58_EMPTY: Final = EngineText("zero length string")
HASH_LENGTH: Final = EngineText("invalid length string")
#: G2: Go's hex decoder.
HEX_INVALID_BYTE: Final = EngineText("encoding/hex: invalid byte: {rune}")
HEX_ODD_LENGTH: Final = EngineText("encoding/hex: odd length hex string")
#: v0.17.0 (status UNAUTHENTICATED): the credential metadata Update and Create demand.
MISSING_CREDENTIAL: Final = EngineText("missing {key} from metadata")
#: G4 and G5: a runner, an instance, an execution the chain does not hold (quoted base58
#: hashes).
RUNNER_NOT_FOUND: Final = EngineText("runner {hash} not found")
INSTANCE_NOT_FOUND: Final = EngineText("instance {hash} not found")
EXECUTION_MISSING: Final = EngineText("execution {hash} doesn't exist")
EXECUTION_NOT_FOUND: Final = EngineText("execution {hash} not found")
NO_RESULT: Final = EngineText("no execution result supplied")
#: G5: the Cosmos SDK's wrapping of a refused transaction or query.
INVALID_REQUEST: Final = EngineText("{reason}: invalid request")
#: G5: the orchestrator's signature check (Register, and the application's calls).
SIGNATURE_NOT_FOUND: Final = EngineText(
    'signature not found in metadata, make sure to set it using the key "mesg_request_signature"'
)
SIGNATURE_FAILED: Final = EngineText("verification of the signature failed")
BASE64_ILLEGAL: Final = EngineText("illegal base64 data at input byte {index}")
#: G5: the Runner API's token check.
CREDENTIAL_NOT_FOUND: Final = EngineText(
    'credential not found in metadata, make sure to set it using the name "mesg_credential_token"'
)
TOKEN_UNKNOWN: Final = EngineText("credential token doesn't exist")
NOT_EXECUTOR: Final = EngineText(
    "this runner ({runner}) is not authorized to submit the result of this execution, the "
    "executor should be {executor}"
)
#: Every generation's gRPC server (grpc-go), status INTERNAL: a request that is not the rpc's
#: message (a field of another type, a string that is not UTF-8).
UNMARSHAL_REQUEST: Final = EngineText("grpc: error unmarshalling request: {reason}")
#: G5: the request checks every unary call passes first (the Go field name).
FIELD_REQUIRED: Final = EngineText("{field} is a required field")
FIELD_NOT_HASH: Final = EngineText("{field} must be a valid hash")
FIELD_NOT_PRINTABLE: Final = EngineText("{field} must contain only printable ascii characters")
