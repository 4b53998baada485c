"""The project's exception tree: every error class the package defines, and where it lives.

    MesgPusherError                       _errors                   the root
    ├── InputError (also ValueError)      _errors                   an input breaks a rule
    │   └── InputsInvalid                 _errors                   the engine's type rules failed
    ├── PusherError                       _errors                   the Pusher HTTP API call failed
    │   ├── PusherHTTPError               _errors                   Pusher answered an error status
    │   └── PusherConnectionError         _errors                   no answer: refused, reset, TLS
    │       └── PusherTimeoutError        _errors                   no answer within the timeout
    ├── InvalidWebhook (also ValueError)  pusher._webhook           a webhook fails its checks
    ├── ProtocolError                     pusher.transport._http11  an answer is not valid HTTP/1.x
    │   └── AnswerTooLarge                pusher.transport._http11  an answer's body is too large
    ├── DefinitionError                   mesg._definition          mesg.yml breaks the format
    ├── ReleaseError (also ValueError)    mesg._releases            no such engine release
    ├── ConfigError                       runtime._config           a setting of serve is wrong
    ├── ServiceFailed                     runtime._engine_link      serve cannot go on
    ├── CallFailed                        runtime._engine_api       a call to the engine failed
    ├── StoreUnavailable                  runtime._store            serve's store cannot answer
    ├── StoreFull                         runtime._store            no room for a new key
    ├── ClaimLost                         runtime._webhook_memory   a body was taken over
    ├── EngineError                       engine._model             the stand-in refuses a call
    ├── StreamEnded                       engine._model             the stand-in ended a stream
    ├── GoJsonError (also ValueError)     engine._messages          not JSON as Go reads it
    ├── ApiError                          local_server._api_rules   local server refuses a request
    ├── Refused                           local_server._protocol    local server refuses a frame
    ├── SubscriberError                   local_server._subscriber  the subscriber was refused
    ├── WebhookRefused (also ValueError)  webhooks._outcomes        a webhook is refused
    ├── UsageError (also ValueError)      _command_line             a command line is wrong
    └── DemoFailed                        demo._application         the demo saw a fault

Internal control flow, raised and caught inside one module and never seen outside it:

    _OutOfRange                           engine._messages          becomes GoJsonError

What a failed Pusher call tells (the facts a caller decides a retry on; nothing here decides):

- `PusherHTTPError`: Pusher (or, through a plain-HTTP proxy, maybe the proxy: `via`) answered;
  `status` and `body` are the answer's, `message` Pusher's own text from it.
- `PusherConnectionError`: no complete answer. `sent` says whether the request may have reached
  Pusher. False: nothing of it was written (the connection was refused, the name did not resolve,
  the TLS handshake or the certificate failed, the proxy refused the tunnel or closed it, the
  connection closed before the request went out, the pool was closing): retrying cannot publish
  twice. True: it was written and no complete answer came (reset or closed while waiting, an
  answer cut short or not HTTP): Pusher may have acted on it.
  `lasting` says the same request would fail the same way (a certificate or a TLS version
  refused, a proxy that refused the tunnel for its credentials or its rules): trying it again
  is useless, though it cannot publish twice.
- `PusherTimeoutError` is the same for a timeout, `sent` saying which side of the write it fell.

`tests/test_errors.py` holds this drawing to the code: a class missing here, or drawn under the
wrong parent or module, fails it. Messages never contain an app secret or a proxy password: they
are built from inputs that are not secret, and library exception texts are scrubbed before they
are wrapped.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import _engine_texts as words


class MesgPusherError(Exception):
    """Root of every error this package raises on purpose."""


class InputError(MesgPusherError, ValueError):
    """An input breaks a rule. `input` is its path (`batch[3].channel`), `rule` what it breaks."""

    def __init__(self, input: str, rule: str) -> None:
        self.input = input
        self.rule = rule
        super().__init__(f"{input}: {rule}" if input else rule)

    def within(self, prefix: str) -> InputError:
        """The same error with its input path placed under `prefix` (`batch[3]`)."""
        separator = "" if not self.input or self.input.startswith("[") else "."
        return InputError(f"{prefix}{separator}{self.input}", self.rule)


class InputsInvalid(InputError):
    """The inputs fail the engine's type rules for a task, reported in the engine's own words:
    ``Inputs of task 'trigger' are invalid. Value of 'appId' is required``."""

    def __init__(self, task: str, problems: Sequence[tuple[str, str]]) -> None:
        self.task = task
        self.problems = tuple(problems)
        details = words.details(self.problems)
        MesgPusherError.__init__(self, words.INPUTS_INVALID.format(task=task, details=details))
        self.input = ", ".join(key for key, _ in self.problems)
        self.rule = details


class PusherError(MesgPusherError):
    """The HTTP API call failed; see the subclasses."""


class PusherHTTPError(PusherError):
    """Pusher answered with a non-2xx status. `message` is Pusher's own text from the body."""

    def __init__(
        self, status: int, reason: str, message: str, body: bytes, via: str | None = None
    ) -> None:
        self.status = status
        self.reason = reason
        self.message = message
        self.body = body
        self.via = via
        # Through a plain-HTTP proxy, the answer may be the proxy's own (a refused password).
        who = "Pusher" if via is None else f"the proxy {via}, or Pusher behind it,"
        text = f"{who} answered {status} {reason}".rstrip()
        super().__init__(f"{text}: {message}" if message else text)


class PusherConnectionError(PusherError):
    """No HTTP answer came back: connection refused or reset, DNS, TLS or proxy failure.

    `url` is the request's address without its query (which carries the signature); `sent`
    says whether the request was written, so may have reached Pusher, and `lasting` whether the
    same request would fail the same way (see the module's notes).
    """

    def __init__(self, url: str, detail: str, *, sent: bool, lasting: bool = False) -> None:
        self.url = url
        self.detail = detail
        self.sent = sent
        self.lasting = lasting
        super().__init__(f"request to {url} failed: {detail}")


class PusherTimeoutError(PusherConnectionError):
    """No complete answer within the request's timeout; `sent` as for its parent."""

    def __init__(self, url: str, timeout_ms: float, *, sent: bool) -> None:
        self.timeout_ms = timeout_ms
        PusherError.__init__(self, f"request to {url} timed out after {_ms(timeout_ms)} ms")
        self.url = url
        self.detail = "timed out"
        self.sent = sent
        self.lasting = False


def _ms(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
