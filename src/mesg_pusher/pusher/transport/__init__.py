"""The transport of the Pusher client: what carries a signed request to Pusher and brings back
the status and body.

- `_interface`: what a transport is (`Transport`, `Answer`); `_mock`: `MockTransport`.
- `_http11`: HTTP/1.1 framing, pure: a request's bytes, an answer's parser.
- `_pool`: `HttpPool`, the one real transport: keep-alive, one connection budget (`_budget`),
  timeouts, idle connections checked before reuse.
- `_exchange`: one connection and the request on it; `_dial`: opening one (DNS, TCP, the
  proxy's tunnel, TLS); `_proxy`: the proxy's bytes and words; `_tls`: the TLS context and how
  a TLS failure reads; `_tls_layer`: TLS itself, bytes in and out, driven by `_exchange`.
"""

from ._budget import ConnectionBudget
from ._interface import USER_AGENT, Answer, Transport
from ._mock import MockTransport
from ._pool import DEFAULT_CONNECTION_LIMIT, HttpPool

__all__ = [
    "DEFAULT_CONNECTION_LIMIT",
    "USER_AGENT",
    "Answer",
    "ConnectionBudget",
    "HttpPool",
    "MockTransport",
    "Transport",
]
