"""A Pusher-like HTTP API server for tests: verifies requests the way Pusher documents it and
records them, on 127.0.0.1. Its signature check is written from the spec independently of the
package's own signing code, so the two check each other (and both meet the published vector).

Knobs: `delay` (seconds before answering, for timeouts), `answer` (a fixed status and body, for
error statuses), `apps` (app id -> key, secret). `connections` counts TCP connections seen.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    status: int
    reason: str
    peer: tuple[str, int]
    headers: dict[str, str]

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakePusher:
    apps: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {"3": ("278d425bdf160c739803", "7ad3773142a6692b25b8")}
    )
    delay: float = 0.0
    answer: tuple[int, str] | None = None
    received: list[Received] = field(default_factory=list)
    ssl_context: ssl.SSLContext | None = None
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def connections(self) -> int:
        """TCP connections seen so far (each has its own client port)."""
        return len({r.peer for r in self.received})

    @property
    def accepted(self) -> list[Received]:
        return [r for r in self.received if r.status == 200]

    async def start(self) -> FakePusher:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def inputs(self, app_id: str = "3") -> dict[str, Any]:
        """Task inputs that point at this server as `app_id`."""
        key, secret = self.apps[app_id]
        return {
            "appId": app_id,
            "key": key,
            "secret": secret,
            "host": "127.0.0.1",
            "port": self.port,
            "encrypted": self.ssl_context is not None,
        }

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        status, text = self._judge(request, body)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.answer is not None:
            status, text = self.answer
        peer = request.transport.get_extra_info("peername") if request.transport else ("?", 0)
        response = web.Response(
            status=status,
            text=text,
            content_type="application/json" if status == 200 else "text/plain",
        )
        self.received.append(
            Received(
                request.method,
                request.path,
                dict(request.query),
                body,
                status,
                response.reason,
                tuple(peer[:2]),
                dict(request.headers),
            )
        )
        return response

    def _judge(self, request: web.Request, body: bytes) -> tuple[int, str]:
        parts = request.path.split("/")
        if len(parts) != 4 or parts[1] != "apps" or parts[3] not in ("events", "batch_events"):
            return 404, "Not found"
        if parts[2] not in self.apps:
            return 404, f"Unknown app id {parts[2]}"
        key, secret = self.apps[parts[2]]
        query = dict(request.query)
        if query.get("auth_key") != key:
            return 401, "Unknown auth_key"
        try:
            stamp = int(query.get("auth_timestamp", ""))
        except ValueError:
            return 401, "Missing or invalid auth_timestamp"
        if abs(time.time() - stamp) > 600:
            return 401, "Timestamp expired: Given timestamp not within 600s of server time"
        if query.get("body_md5") != hashlib.md5(body).hexdigest():
            return 401, "Body MD5 mismatch"
        signed = "&".join(f"{k}={query[k]}" for k in sorted(query) if k != "auth_signature")
        expected = hmac.new(
            secret.encode(), f"{request.method}\n{request.path}\n{signed}".encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, query.get("auth_signature", "")):
            return (
                401,
                f"Invalid signature: expected HMAC SHA256 hex digest of {signed!r}",
            )
        if request.headers.get("Content-Type", "").split(";")[0] != "application/json":
            return 400, "Expected application/json"
        try:
            payload = json.loads(body)
        except ValueError:
            return 400, "Request body is not valid JSON"
        if parts[3] == "batch_events" and not isinstance(payload.get("batch"), list):
            return 400, "Expected batch parameter to be an array"
        if parts[3] == "events" and not isinstance(payload.get("name"), str):
            return 400, "Expected name parameter to be a string"
        return 200, "{}"
