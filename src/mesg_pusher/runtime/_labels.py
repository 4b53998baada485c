"""How serve's log lines name an execution and its task: never with a secret, whatever the
engine sent.

An execution id from v0.4 on is a digest, shown as it is: 40 hex digits to v0.9, a hash in hex
(v0.10) or in base58 (from v0.11) after. An id of v0.1-v0.3 joins the
creation time, the service's name, the task key and the inputs' JSON with dots
(`mesg_pusher.mesg.words.JOINED_ID`): it holds every input, the app secret included. Its label
is the id cut before the inputs, ``{…}`` in their place, then ``#`` and 12 hex digits of the
SHA-256 of the whole id, so an operator can still tell executions apart and match a line with
the engine's execution. The part before the inputs is shown as it is when it can hold nothing
secret (Go's time, this service's name, a declared task key); otherwise with the execution's
secrets scrubbed and cut to `LABEL_CHARS`, or not at all when its secrets are unknown (inputs
that could not be read). A task key is shown likewise.

Pure functions; a label is computed only when a line is written.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Container, Sequence
from typing import Final

from .._secrets import scrub
from .._text import ELLIPSIS, cut
from ..mesg import words

#: Characters of an id or task key shown at most (beyond them: ``…``).
LABEL_CHARS: Final = 120
TASK_CHARS: Final = 64
DIGEST_CHARS: Final = 12
#: Characters of an engine text (an error's details) repeated in a log line at most.
DETAILS_CHARS: Final = 300
INPUTS_LEFT_OUT: Final = "{" + ELLIPSIS + "}"
#: An execution's secrets, worked out when called; None when they cannot be known.
Secrets = Callable[[], Sequence[str] | None]
#: ``time.Time.String()`` in Go: ``2026-12-01 09:25:41.188702065 +0000 UTC`` (a monotonic
#: reading `` m=+0.0012`` when the time was not made UTC).
_GO_TIME: Final = re.compile(
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,9})? [+-]\d{4} [A-Za-z0-9+-]{1,6}"
    r"(?: m=[+-]\d+\.\d+)?"
)


#: A hash of the later engines: SHA-256 in hex (v0.10) or base58 (v0.11 on, 32 to 44 digits).
_HASH_ID: Final = re.compile("[0-9a-f]{64}|[1-9A-HJ-NP-Za-km-z]{32,44}")


def label_digest(text: str) -> str:
    """12 hex digits of the SHA-256 of `text` (as UTF-8)."""
    data = text.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:DIGEST_CHARS]


def execution_label(
    execution_id: str,
    *,
    service: str,
    task_key: str,
    tasks: Container[str],
    secrets: Secrets,
) -> str:
    """The name of execution `execution_id` (of `task_key`, for service `service` whose task
    keys are `tasks`) in a log line; `secrets()` gives the execution's, None when unknown (it is
    called only when needed)."""
    if words.DIGEST_ID.fullmatch(execution_id) or _HASH_ID.fullmatch(execution_id):
        return execution_id
    head, brace, _ = execution_id.partition("{")
    if not _vouched(head, service, task_key, tasks):
        head = _shown(head, secrets(), LABEL_CHARS)
    return f"{head}{INPUTS_LEFT_OUT if brace else ''}#{label_digest(execution_id)}"


def _vouched(head: str, service: str, task_key: str, tasks: Container[str]) -> bool:
    """Whether `head` is ``<Go time>.<service>.<task>.`` with a declared task: nothing secret."""
    suffix = f".{service}.{task_key}."
    return (
        task_key in tasks
        and head.endswith(suffix)
        and _GO_TIME.fullmatch(head[: -len(suffix)]) is not None
    )


def task_label(task_key: str, *, tasks: Container[str], secrets: Secrets) -> str:
    """`task_key` for a log line: as it is when declared, else scrubbed and cut (only its
    digest when the execution's secrets are unknown)."""
    if task_key in tasks:
        return task_key
    known = secrets()
    if known is None:
        return f"{ELLIPSIS}#{label_digest(task_key)}"
    return _shown(task_key, known, TASK_CHARS)


def _shown(text: str, secrets: Sequence[str] | None, limit: int) -> str:
    """`text` scrubbed, then cut; nothing of it when the secrets are unknown."""
    return cut(scrub(text, secrets), limit) if secrets is not None else ELLIPSIS


def engine_details(
    details: str, *, execution_id: str, label: str, secrets: Sequence[str] | None
) -> str:
    """An engine's or gRPC's text about an execution, fit for a log line: its id replaced by
    its label, its secrets scrubbed, cut to `DETAILS_CHARS`."""
    if execution_id:
        details = details.replace(execution_id, label)
    if secrets:
        details = scrub(details, secrets)
    return cut(details, DETAILS_CHARS)
