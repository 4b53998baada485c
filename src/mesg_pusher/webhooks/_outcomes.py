"""Every outcome of a webhook (`WebhookOutcome`), and the one table from outcome to the HTTP
response (`RESPONSES`, `respond`).

Statuses follow what the sender does with them: Pusher retries any non-2xx answer for five
minutes, so 503 (and 500, for a defect of the receiver) means "try again" (nothing is lost by
it), while 400, 401 and 413 describe a body that will never be accepted however often it is
sent; a body that does not arrive in time is 408, which the sender retries too. A stale
``time_ms`` is 401, as Pusher's own API answers a request signed outside its timestamp window:
it is a replayed or badly delayed body, and a genuine Pusher retry never reaches it (the window
is twice Pusher's retry period). Bodies say what went wrong in words that never quote the body,
a signature or a secret.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from .._errors import MesgPusherError
from .._json import dumps

CONTENT_TYPE: Final = "application/json"


class WebhookOutcome(enum.Enum):
    """What became of one webhook; the value is its label in logs and metrics."""

    ACCEPTED = "accepted"
    FILTERED = "filtered"
    DUPLICATE = "duplicate"
    NO_APP = "no_app"
    TOO_LARGE = "too_large"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    NOT_A_WEBHOOK = "not_a_webhook"
    BODY_TIMEOUT = "body_timeout"
    STALE = "stale"
    IN_PROGRESS = "in_progress"
    ENGINE_UNREACHABLE = "engine_unreachable"
    ENGINE_REFUSED = "engine_refused"
    NOT_ACCEPTED_IN_TIME = "not_accepted_in_time"
    BUSY = "busy"
    STORE_UNREACHABLE = "store_unreachable"
    STOPPING = "stopping"
    DEFECT = "defect"


#: Outcome -> (HTTP status, what the response says). The one place statuses are decided.
RESPONSES: Final[dict[WebhookOutcome, tuple[int, str]]] = {
    WebhookOutcome.ACCEPTED: (200, ""),
    WebhookOutcome.FILTERED: (200, ""),
    WebhookOutcome.DUPLICATE: (200, ""),
    WebhookOutcome.NO_APP: (503, "no Pusher app is configured to verify webhooks"),
    WebhookOutcome.TOO_LARGE: (413, "the webhook body is too large"),
    WebhookOutcome.UNKNOWN_KEY: (401, "X-Pusher-Key is not the key of a configured app"),
    WebhookOutcome.BAD_SIGNATURE: (401, "X-Pusher-Signature does not match the body"),
    WebhookOutcome.NOT_A_WEBHOOK: (400, "not a Pusher webhook"),
    WebhookOutcome.BODY_TIMEOUT: (408, "the body did not arrive in time; send it again"),
    WebhookOutcome.STALE: (401, "time_ms is outside the replay window"),
    WebhookOutcome.IN_PROGRESS: (503, "the same webhook is being handled; retry later"),
    WebhookOutcome.ENGINE_UNREACHABLE: (503, "the MESG engine is unreachable; retry later"),
    WebhookOutcome.ENGINE_REFUSED: (503, "the MESG engine refused the event"),
    WebhookOutcome.NOT_ACCEPTED_IN_TIME: (503, "the MESG engine did not accept the events in time"),
    WebhookOutcome.BUSY: (503, "too many webhooks are being handled; retry later"),
    WebhookOutcome.STORE_UNREACHABLE: (503, "the service's store is unreachable; retry later"),
    WebhookOutcome.STOPPING: (503, "the service is stopping; retry later"),
    WebhookOutcome.DEFECT: (500, "a defect of the service stopped this webhook; retry later"),
}


@dataclass(frozen=True, slots=True)
class WebhookResponse:
    """The HTTP answer to one webhook: status and JSON body (``{}`` on success)."""

    outcome: WebhookOutcome
    status: int
    body: bytes
    content_type: str = CONTENT_TYPE

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def respond(outcome: WebhookOutcome, detail: str = "") -> WebhookResponse:
    """The answer for `outcome`; `detail` (no secret, no body content) follows the reason."""
    status, reason = RESPONSES[outcome]
    if status == 200:
        return WebhookResponse(outcome, status, b"{}")
    text = f"{reason}: {detail}" if detail else reason
    return WebhookResponse(outcome, status, dumps({"error": text}).encode("utf-8"))


class WebhookRefused(MesgPusherError, ValueError):
    """A webhook that is not accepted: its `outcome` and what exactly was wrong (`detail`)."""

    def __init__(self, outcome: WebhookOutcome, detail: str = "") -> None:
        self.outcome = outcome
        self.detail = detail
        reason = RESPONSES[outcome][1]
        super().__init__(f"{reason}: {detail}" if detail else reason)

    @property
    def response(self) -> WebhookResponse:
        return respond(self.outcome, self.detail)
