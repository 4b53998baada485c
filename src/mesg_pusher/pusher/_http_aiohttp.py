"""The aiohttp transport: TLS and proxies (and plain HTTP when asked), with certificates always
verified and answers bounded in size.

Its connections count against a `ConnectionBudget` shared with the lean edge: aiohttp's own limit
is off, and a connector of ours takes a unit before each connection it opens and gives it back
when that connection is closed. Two things here reach into aiohttp's connector (the version is
locked, and tests against real servers pin both): `_create_connection`, wrapped to take the unit,
and `_get`, which hands out an idle pooled connection and is wrapped to poll its socket first
(an end-of-stream already waiting means the server closed it while idle: it is dropped and
another taken, before anything was written on it). aiohttp itself retries a request on a dead
pooled connection only for idempotent methods, and Pusher's are POSTs.

A TLS 1.3 server may send a session ticket after the handshake; arriving while the connection
is idle and before the loop has read it, it also counts as input, and the connection is replaced
needlessly but safely.

Library errors become `PusherConnectionError`/`PusherTimeoutError` with messages that never show
proxy credentials.
"""

from __future__ import annotations

import asyncio
import functools
import select
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._errors import PusherConnectionError, PusherTimeoutError
from ._failures import os_text, shown
from ._http1 import MAX_BODY_BYTES, AnswerTooLarge
from ._requests import CONTENT_TYPE, HttpRequest
from ._settings import Connection
from ._transport import (
    DEFAULT_CONNECTION_LIMIT,
    NOT_SENT,
    USER_AGENT,
    Answer,
    ConnectionBudget,
)

if TYPE_CHECKING:
    import aiohttp
    from aiohttp.client_proto import ResponseHandler

# aiohttp is imported where it is first needed: it takes a good part of the service's start-up
# time, which plain HTTP through the lean edge does not need to pay.


class AiohttpTransport:
    """HTTP and HTTPS through aiohttp, directly or through a proxy; close it once at shutdown.

    `ssl_context` replaces the default certificate checks (for a private CA in tests);
    certificates are always verified. Connections count against `budget`, or against a budget of
    its own of `limit` connections.
    """

    def __init__(
        self,
        *,
        budget: ConnectionBudget | None = None,
        limit: int = DEFAULT_CONNECTION_LIMIT,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._owns_budget = budget is None
        self._budget = budget if budget is not None else ConnectionBudget(limit)
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._pooled: aiohttp.ClientSession | None = None
        self._fresh: aiohttp.ClientSession | None = None
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}
        self._closed = False

    def _session(self, keep_alive: bool) -> aiohttp.ClientSession:
        import aiohttp  # noqa: PLC0415 - see the note on imports above

        session = self._pooled if keep_alive else self._fresh
        if session is None:
            if self._closed:
                raise RuntimeError("the HTTP pool is closed")
            connector = _connector_type()(self._budget, force_close=not keep_alive, ssl=self._ssl)
            headers = {"User-Agent": USER_AGENT, "Content-Type": CONTENT_TYPE}
            if not keep_alive:
                headers["Connection"] = "close"
            session = aiohttp.ClientSession(
                connector=connector,
                headers=headers,
                auto_decompress=False,
                skip_auto_headers=("Accept-Encoding",),
            )
            if keep_alive:
                self._pooled = session
            else:
                self._fresh = session
        return session

    def _timeout(self, timeout_ms: float) -> aiohttp.ClientTimeout:
        import aiohttp  # noqa: PLC0415

        timeout = self._timeouts.get(timeout_ms)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(total=timeout_ms / 1000)
            if len(self._timeouts) < 1024:
                self._timeouts[timeout_ms] = timeout
        return timeout

    async def send(self, connection: Connection, request: HttpRequest) -> Answer:
        """Send `request` as `connection` says; the status and the whole body."""
        import aiohttp  # noqa: PLC0415
        from yarl import URL  # noqa: PLC0415

        session = self._session(connection.keep_alive)
        proxy = connection.proxy
        headers = proxy_headers = None
        if proxy is not None and proxy.authorization is not None:
            # Through a tunnel (HTTPS) the credentials go on the CONNECT request; for plain HTTP
            # the proxy reads them from the request itself.
            credentials = {"Proxy-Authorization": proxy.authorization}
            if connection.scheme == "https":
                proxy_headers = credentials
            else:
                headers = credentials
        url = URL(connection.base_url + request.target, encoded=True)
        try:
            async with session.request(
                request.method,
                url,
                data=request.body,
                headers=headers,
                timeout=self._timeout(connection.timeout_ms),
                proxy=proxy.url if proxy is not None else None,
                proxy_headers=proxy_headers,
                allow_redirects=False,
            ) as response:
                return response.status, await _read_bounded(response)
        except PusherConnectionError as error:  # from the connector, which has no address
            raise PusherConnectionError(shown(connection, request), error.detail) from None
        except AnswerTooLarge as error:
            raise PusherConnectionError(shown(connection, request), str(error)) from None
        except TimeoutError:
            raise PusherTimeoutError(shown(connection, request), connection.timeout_ms) from None
        except aiohttp.ClientError as error:
            detail = _describe(error, connection)
            raise PusherConnectionError(shown(connection, request), detail) from None
        except OSError as error:
            raise PusherConnectionError(shown(connection, request), os_text(error)) from None

    async def close(self) -> None:
        self._closed = True
        if self._owns_budget:
            self._budget.close()
        sessions = [s for s in (self._pooled, self._fresh) if s is not None]
        self._pooled = self._fresh = None
        for session in sessions:
            await session.close()
        if sessions:
            # Lets the transports finish closing (TLS shutdown) before the loop goes away.
            await asyncio.sleep(0)


@functools.cache
def _connector_type() -> Callable[..., aiohttp.TCPConnector]:
    """The connector class, built on first use so that aiohttp is imported only then."""
    import aiohttp  # noqa: PLC0415

    class BudgetedConnector(aiohttp.TCPConnector):
        """aiohttp's connector with its connections counted against a shared budget, and idle
        connections checked before reuse."""

        def __init__(self, budget: ConnectionBudget, **settings: Any) -> None:
            super().__init__(limit=0, **settings)
            self._budget = budget
            self._counted: set[ResponseHandler] = set()
            self._poller = select.poll()
            budget.add_reclaimer(self._reclaim_idle)

        # aiohttp's signature, overridden: its `timeout` is aiohttp's, not ours to replace.
        async def _create_connection(
            self,
            req: Any,
            traces: Any,
            timeout: Any,  # noqa: ASYNC109
        ) -> ResponseHandler:
            key = req.connection_key
            reused: ResponseHandler | None = None

            def reuse() -> bool:
                nonlocal reused
                reused = self._idle_for(key)
                return reused is not None

            # Waiting for room, a connection to the same endpoint may go idle: it is taken then.
            if not await self._budget.take(None if self._force_close else reuse):
                if reused is None:  # closing: `send` puts the request's address in
                    raise PusherConnectionError("", NOT_SENT)
                return reused
            try:
                proto: ResponseHandler = await super()._create_connection(req, traces, timeout)
            except BaseException:
                self._budget.give_back()
                raise
            closed = proto.closed
            if closed is None:  # already lost
                self._budget.give_back()
            else:
                self._counted.add(proto)
                closed.add_done_callback(functools.partial(self._lost, proto))
            return proto

        def _release(self, key: Any, protocol: ResponseHandler, **how: Any) -> None:
            kept = not (self._force_close or how.get("should_close") or protocol.should_close)
            super()._release(key, protocol, **how)
            if kept:
                self._budget.notify()  # gone idle: a waiter can take it, or close it for room

        def _idle_for(self, key: Any) -> ResponseHandler | None:
            idle = self._conns.get(key)
            while idle:
                proto, _ = idle.pop()
                if proto.is_connected() and not self._has_input(proto):
                    if not idle:
                        del self._conns[key]
                    return proto
                proto.close()  # its unit comes back when it is lost
            return None

        def _lost(self, proto: ResponseHandler, closed: asyncio.Future[None]) -> None:
            if not closed.cancelled():
                closed.exception()  # aiohttp's to report, not ours: marked as seen
            if proto in self._counted:
                self._counted.discard(proto)
                self._budget.give_back()

        async def _get(self, key: Any, traces: Any) -> Any:
            while True:
                connection = await super()._get(key, traces)
                if connection is None or not self._has_input(connection.protocol):
                    return connection
                connection.close()  # dead while idle: closed before anything was written

        def _has_input(self, proto: ResponseHandler | None) -> bool:
            transport = proto.transport if proto is not None else None
            sock = transport.get_extra_info("socket") if transport is not None else None
            if sock is None:
                return False
            fd = sock.fileno()
            self._poller.register(fd, select.POLLIN)
            try:
                return bool(self._poller.poll(0))
            finally:
                self._poller.unregister(fd)

        def _reclaim_idle(self) -> bool:
            oldest: tuple[Any, ResponseHandler, float] | None = None
            for key, idle in self._conns.items():
                if idle and (oldest is None or idle[0][1] < oldest[2]):
                    oldest = (key, idle[0][0], idle[0][1])
            if oldest is None:
                return False
            key, proto, _ = oldest
            idle = self._conns[key]
            idle.popleft()
            if not idle:
                del self._conns[key]
            self._counted.discard(proto)  # its unit passes to the caller
            proto.close()
            return True

    return BudgetedConnector


async def _read_bounded(response: aiohttp.ClientResponse) -> bytes:
    """The whole body, refused past `MAX_BODY_BYTES` as the lean edge refuses it."""
    if (response.content_length or 0) > MAX_BODY_BYTES:
        raise AnswerTooLarge(f"the answer is larger than {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in response.content.iter_any():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise AnswerTooLarge(f"the answer is larger than {MAX_BODY_BYTES} bytes")
    return bytes(body)


def _describe(error: aiohttp.ClientError, connection: Connection) -> str:
    """A plain account of a library error, built from its parts rather than its text."""
    import aiohttp  # noqa: PLC0415

    proxy = connection.proxy.redacted if connection.proxy is not None else None
    if isinstance(error, aiohttp.ClientHttpProxyError):
        return f"the proxy {proxy} answered {error.status} {error.message}".rstrip()
    if isinstance(error, aiohttp.ClientProxyConnectionError):
        return f"could not connect to the proxy {proxy}: {os_text(error.os_error)}"
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        cause = error.certificate_error
        detail = getattr(cause, "verify_message", None) or type(cause).__name__
        return f"the server's TLS certificate was refused: {detail}"
    if isinstance(error, aiohttp.ClientSSLError):
        return f"TLS failed: {_tls_text(error.os_error)}"
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        # Through a proxy, only the proxy's name is looked up here: the proxy resolves Pusher's.
        name = connection.host if proxy is None else f"the proxy {proxy}"
        return f"could not resolve {name}: {os_text(error.os_error)}"
    if isinstance(error, aiohttp.ClientConnectorError):
        return f"could not connect: {os_text(error.os_error)}"
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "the server closed the connection without answering"
    if isinstance(error, aiohttp.ClientPayloadError):
        return "the answer was cut short"
    if isinstance(error, aiohttp.ClientResponseError):
        return f"the answer was not valid HTTP ({error.status} {error.message})".rstrip()
    if isinstance(error, aiohttp.ClientOSError):
        # Without an errno its text is aiohttp's own, which quotes the signed URL.
        if error.errno and error.errno > 0:
            return os_text(error)
        return "the connection failed while the request was under way"
    return type(error).__name__


def _tls_text(error: OSError) -> str:
    # OpenSSL's codes are not system errno values: its reason ("WRONG_VERSION_NUMBER") says it.
    if isinstance(error, ssl.SSLError):
        reason = str(error.reason or error.strerror or type(error).__name__)
        if reason == "WRONG_VERSION_NUMBER":
            return f"{reason} (the server does not speak TLS on that port)"
        return reason
    return os_text(error)
