"""The HTTP edge: sends a signed `HttpRequest` and returns status and body.

Plain ``http://`` requests without a proxy go through the lean edge of `_http_plain` (HTTP/1.1
on raw asyncio connections, several times cheaper per request); TLS and proxies use aiohttp.

One `HttpPool` serves every app and endpoint. Requests with keep-alive share a bounded pool of
open connections, reused across calls to the same scheme, host, port and proxy; requests without
it use a fresh connection each, closed after the answer. Library errors become
`PusherConnectionError`/`PusherTimeoutError` with messages that never show proxy credentials.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING, Final

from .._errors import PusherConnectionError, PusherTimeoutError
from .._version import __version__
from ._failures import os_text, shown
from ._http1 import MAX_BODY_BYTES, AnswerTooLarge
from ._http_plain import PlainPool
from ._requests import CONTENT_TYPE, HttpRequest
from ._settings import Connection

if TYPE_CHECKING:
    import aiohttp

# aiohttp is imported where it is first needed (TLS, proxies, lean=False): it takes a good
# part of the service's start-up time, which plain HTTP does not need to pay.

#: Connections open at once, per pool (keep-alive and not), over all endpoints.
DEFAULT_CONNECTION_LIMIT: Final = 256
USER_AGENT: Final = f"mesg-pusher/{__version__}"
# What aiohttp sends besides Host and Content-Length, so both edges look alike to a server.
_PLAIN_HEADERS: Final = (
    ("Accept", "*/*"),
    ("User-Agent", USER_AGENT),
    ("Content-Type", CONTENT_TYPE),
)


class HttpPool:
    """Shared, bounded HTTP connection pools; close it once at shutdown.

    `ssl_context` replaces the default certificate checks (for a private CA in tests);
    certificates are always verified. Plain ``http://`` requests without a proxy take the lean
    edge in `_http_plain` (several times cheaper); `lean=False` sends them with aiohttp too.
    """

    def __init__(
        self,
        *,
        limit: int = DEFAULT_CONNECTION_LIMIT,
        ssl_context: ssl.SSLContext | None = None,
        lean: bool = True,
    ) -> None:
        self._limit = limit
        self._plain = PlainPool(limit=limit, headers=_PLAIN_HEADERS) if lean else None
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
            connector = aiohttp.TCPConnector(
                limit=self._limit, force_close=not keep_alive, ssl=self._ssl
            )
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

    async def send(self, connection: Connection, request: HttpRequest) -> tuple[int, bytes]:
        """Send `request` as `connection` says; the status and the whole body."""
        proxy = connection.proxy
        if proxy is None and self._plain is not None and connection.scheme == "http":
            return await self._plain.send(connection, request)
        import aiohttp  # noqa: PLC0415
        from yarl import URL  # noqa: PLC0415

        session = self._session(connection.keep_alive)
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
        if self._plain is not None:
            await self._plain.close()
        sessions = [s for s in (self._pooled, self._fresh) if s is not None]
        self._pooled = self._fresh = None
        for session in sessions:
            await session.close()
        if sessions:
            # Lets the transports finish closing (TLS shutdown) before the loop goes away.
            await asyncio.sleep(0)


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
        return f"could not resolve {connection.host}: {os_text(error.os_error)}"
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
