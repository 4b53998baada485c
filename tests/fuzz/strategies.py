"""What the fuzz tests feed the service: secrets, hostile strings, JSON values of every type,
inputs for each task built from valid ones with any key changed, dropped or added, and the
checks every output must pass."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import urllib.parse
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import strategies as st

from mesg_pusher.mesg import load_packaged
from mesg_pusher.pusher import Connection, HttpRequest
from mesg_pusher.tasks import TASKS as TASKS_BY_KEY
from mesg_pusher.tasks import LocalTask, TaskOutput, problem_with
from mesg_pusher.tasks._secret_inputs import MASTER_KEY_INPUT, SECRET_HOLDERS
from tests.support.secret_oracle import CHARACTER_ENCODINGS, ENCODINGS, encoded, exposure, mixed

DEFINITION = load_packaged()
TASKS = sorted(DEFINITION.tasks)
T = TypeVar("T")

# Characters that break things: line breaks, NUL, lone surrogates, bidi controls, quotes,
# escapes, markup, URL syntax, non-BMP.
HOSTILE_CHARACTERS = [
    "\r", "\n", "\r\n", "\x00", "\ud800", "\udfff", "\u202e", "\u2066", "\u200f", "\ufeff",
    '"', "\\", "'", "<", ">", "&", "%", "+", "@", "?", ":", "/", "#", "[", "]", " ", "\t",
    "\U0001f511", "é", "\u2028",
]  # fmt: skip

hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE_CHARACTERS), st.text(max_size=8)), max_size=12
).map("".join)
texts = st.one_of(
    st.text(max_size=40),
    hostile_text,
    st.sampled_from(["", "my-channel", "private-x", "#server-to-user-1", "1234.5678", "eu"]),
    st.integers(1, 300).map(lambda n: "c" * n),
)

# Secrets: Pusher's shape, and any text long enough to be looked for, hostile characters too.
# At least five different characters, as a real secret has: with one repeated character (all
# zeros), a character of an escape next to a shown run (the "0" of "\\x10") would count as
# one more character of the secret.
secrets = (
    st.one_of(
        st.text("0123456789abcdef", min_size=20, max_size=20),
        st.text(min_size=8, max_size=40).filter(lambda s: len(s) >= 8),
        st.lists(st.sampled_from(HOSTILE_CHARACTERS + list("abcxyz019")), min_size=8, max_size=30)
        .map("".join)
        .filter(lambda s: len(s) >= 8),
        # As the service reads it from JSON text: two lone surrogates in a row become one character.
    )
    .map(lambda s: json.loads(json.dumps(s)))
    .filter(lambda s: len(s) >= 8 and len(set(s)) >= 5)
)
passwords = st.text(
    st.characters(codec="utf-8", exclude_characters="\r\n\t"), min_size=8, max_size=20
)


def numbers() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(-(10**30), 10**30),
        st.sampled_from([0, 1, 80, 443, 65535, 65536, 10**400, -(10**400), 86_400_001]),
        st.floats(allow_nan=False, allow_infinity=False),
    )


json_values: st.SearchStrategy[Any] = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers(), texts),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=12,
)


def secret_forms(secret: str) -> st.SearchStrategy[str]:
    """The secret, a run of it, or either in some encoding, inside other text."""
    runs = st.integers(0, max(len(secret) - 8, 0)).flatmap(
        lambda start: st.integers(start + 8, len(secret)).map(lambda end: secret[start:end])
    )
    written = st.one_of(
        st.tuples(runs, st.sampled_from(ENCODINGS)).map(lambda pair: encoded(*pair)),
        st.tuples(
            runs, st.lists(st.sampled_from(list(CHARACTER_ENCODINGS)), min_size=1, max_size=4)
        ).map(lambda pair: mixed(*pair)),
    )
    whole = st.sampled_from([secret, secret.upper(), secret[::-1]])
    return st.tuples(texts, st.one_of(written, whole), texts).map("".join)


KEY = "278d425bdf160c739803"
#: Each task's own valid inputs, beyond the connection inputs.
OWN_INPUTS: dict[str, dict[str, Any]] = {
    "trigger": {"channel": "my-channel", "name": "my-event", "data": {"n": 1}},
    "triggerBatch": {"batch": [{"name": "e", "channel": "c", "data": {"n": 1}}]},
    "channels": {"filter_by_prefix": "presence-", "info": "user_count"},
    "channel": {"channel": "presence-room", "info": "user_count,subscription_count"},
    "users": {"channel": "presence-room"},
    "sendToUser": {"userId": "ada", "name": "greeting", "data": {"n": 1}},
    "terminateUserConnections": {"userId": "ada"},
    "authorizeChannel": {
        "socket_id": "1234.5678",
        "channel": "presence-room",
        "channel_data": {"user_id": "ada", "user_info": {"name": "Ada"}},
    },
    "authenticateUser": {"socket_id": "1234.5678", "user_data": {"id": "ada", "name": "Ada"}},
}
#: The tasks answered here, with no request.
LOCAL_TASKS = frozenset(key for key, task in TASKS_BY_KEY.items() if isinstance(task, LocalTask))
#: Channels whose events are encrypted when a master key is given.
ENCRYPTED_INPUTS: dict[str, dict[str, Any]] = {
    "trigger": {"channel": "private-encrypted-x"},
    "triggerBatch": {"batch": [{"name": "e", "channel": "private-encrypted-x", "data": "d"}]},
    "authorizeChannel": {"channel": "private-encrypted-x", "channel_data": None},
}
master_keys = st.binary(min_size=32, max_size=32).map(lambda b: base64.b64encode(b).decode())


def valid_inputs(task: str, secret: str, master_key: str | None = None) -> dict[str, Any]:
    """Valid inputs of `task` with `secret` (and, for the tasks that take it, `master_key`,
    with an encrypted channel)."""
    common = {"appId": "3", "key": KEY, "secret": secret, "host": "127.0.0.1"}
    inputs = {**common, **OWN_INPUTS.get(task, OWN_INPUTS["trigger"])}
    if master_key is not None and MASTER_KEY_INPUT in DEFINITION.tasks[task].inputs:
        inputs[MASTER_KEY_INPUT] = master_key
        inputs.update(ENCRYPTED_INPUTS[task])
    return {k: v for k, v in inputs.items() if v is not None}


def pusher_answer(connection: Connection, request: HttpRequest) -> tuple[int, bytes]:
    """What Pusher answers a request it accepts, by endpoint."""
    if request.path.endswith("/users"):
        return 200, b'{"users":[{"id":"ada"}]}'
    if "/channels/" in request.path:
        return 200, b'{"occupied":true,"user_count":1,"subscription_count":2}'
    if request.path.endswith("/channels"):
        return 200, b'{"channels":{"presence-room":{"user_count":1}}}'
    return 200, b"{}"


@dataclass(frozen=True)
class Execution:
    """A task key, its inputs, the service's environment, and the secrets they hold (the app
    secret, a proxy password, a master key), long enough to be looked for."""

    task: str
    inputs: dict[str, Any]
    environ: dict[str, str]
    secrets: list[str]


def secret_forms_of_all(secret: str) -> list[str]:
    """A secret as the service hides it: a master key in both base64 alphabets."""
    url_safe = secret.translate(str.maketrans("+/", "-_"))
    return [secret] if url_safe == secret else [secret, url_safe]


def _environment_text(value: str) -> bool:
    """Whether `value` can be an environment variable's value: UTF-8 text without NUL."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


@st.composite
def executions(draw: st.DrawFn) -> Execution:
    """An execution built from valid inputs with any key changed, dropped or added, and
    secrets in the inputs or in the environment."""
    task = draw(st.one_of(st.sampled_from(TASKS), texts))
    secret = draw(secrets)
    master_key = draw(st.one_of(st.none(), master_keys))
    inputs = valid_inputs(task if task in TASKS else "trigger", secret, master_key)
    secrets_in = [secret]
    environ: dict[str, str] = {}
    if master_key is not None:
        secrets_in.append(master_key)
    if draw(st.booleans()):
        password = draw(passwords)
        quoted = urllib.parse.quote(password, safe="")
        inputs["proxy"] = f"http://alice:{quoted}@127.0.0.1:3128"
        secrets_in.append(password)
    if _environment_text(secret) and draw(st.booleans()):
        # The credentials from the service's environment, the secure way.
        environ["PUSHER_APP_SECRET"] = inputs.pop("secret")
        environ["PUSHER_APP_KEY"] = inputs.pop("key")
        if draw(st.booleans()):
            environ["PUSHER_APP_ID"] = inputs.pop("appId")
        if master_key is not None:
            environ["PUSHER_ENCRYPTION_MASTER_KEY_BASE64"] = inputs.pop(
                MASTER_KEY_INPUT, master_key
            )
    declared = sorted(DEFINITION.tasks[task].inputs) if task in TASKS else []
    extra = ["extra", "batch", "data", "channel_data", "user_data", "params"]
    for key in draw(st.lists(st.sampled_from([*declared, *extra]), max_size=4)):
        change = draw(st.sampled_from(["value", "value", "drop", "null", "secret", "secret"]))
        if change == "drop":
            inputs.pop(key, None)
        elif change == "null":
            inputs[key] = None
        elif change == "secret" and key not in SECRET_HOLDERS:
            inputs[key] = draw(secret_forms(draw(st.sampled_from(secrets_in))))
        else:
            inputs[key] = draw(json_values)
    if task == "triggerBatch" and isinstance(inputs.get("batch"), list) and draw(st.booleans()):
        inputs["batch"] = draw(
            st.lists(
                st.one_of(
                    json_values,
                    st.fixed_dictionaries(
                        {"name": texts, "channel": texts, "data": json_values},
                        optional={"socket_id": json_values, "info": json_values},
                    ),
                    st.fixed_dictionaries(
                        {"name": texts, "channel": texts, "data": secret_forms(secret)}
                    ),
                ),
                max_size=12,
            )
        )
    shown = [form for s in secrets_in if len(s) >= 8 for form in secret_forms_of_all(s)]
    return Execution(task, inputs, environ, shown)


def run(coroutine: Awaitable[T]) -> T:
    async def main() -> T:
        return await coroutine

    return asyncio.run(main())


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def log_lines() -> Iterator[list[str]]:
    """Every line the package logs meanwhile, at any level."""
    handler = _Lines()
    logger = logging.getLogger("mesg_pusher")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


# The engine's own words, and what names an input: its path's first part is one of the task's
# inputs (or the JSON text or the task key), then an index, a field, " (a key)" or the colon.
ENGINE_WORDS = re.compile(r"Inputs of task '.*' are invalid\. Value of '", re.DOTALL)
# A secret made of ordinary words is hidden in the message's own words too: a path followed by
# "***" (or a message opening with it) still counts.
INPUT_PATH = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[|\.| \(a key\)|: |:?\*\*\*)")


def names_an_input(task: str, message: str, given: object) -> bool:
    """Whether `message` names one of the task's inputs or one `given` (the inputs) holds."""
    if ENGINE_WORDS.match(message) or message.startswith("***"):
        return True
    match = INPUT_PATH.match(message)
    if match is None:
        return False
    names = set(DEFINITION.tasks[task].inputs) if task in DEFINITION.tasks else set()
    if isinstance(given, dict):
        names |= set(given)
    return match.group(1) in names | {"inputData", "taskKey"}


def check_output(task: str, output: TaskOutput, secrets: list[str], lines: list[str]) -> None:
    """What every output must be: one of the task's, valid, no defect, no secret shown."""
    assert isinstance(output, TaskOutput)
    assert output.key in ("success", "error")
    assert problem_with(DEFINITION, task, output) is None, output
    text = output.json()
    assert "internal error" not in text, output
    assert "would refuse" not in text, output
    check_texts([text, *strings_in(output.data), *lines], secrets)
    text.encode("utf-8")  # printable whatever it holds


def strings_in(value: Any) -> list[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings_in(k), *strings_in(v))]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def check_texts(texts: list[str], secrets: list[str]) -> None:
    """No run of a secret in any of `texts` (as shown: an output's values, log lines)."""
    for secret in secrets:
        for text in texts:
            shown = exposure(text, secret)
            assert shown is None, (shown, secret, text[:3000])
