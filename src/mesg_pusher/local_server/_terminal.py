"""What ``mesg-pusher local-server`` prints: the banner (where it listens, the apps, a
``PUSHER_URL`` and the pusher-js options to paste, what is switched on) and, with ``--log``, one
log line for each thing the debug console records. Pure: the lines are built from values, and
the command prints them.

No secret is printed: the default app's is a fixed test credential; an app given with ``--app``
shows ``SECRET`` where its secret goes. The records the log lines come from never hold one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from ..pusher import App
from ._config import APP_OPTIONS, AppOptions, url_host
from ._fault_injection import Fault

#: The banner's last line: a script that reads it knows the banner is complete.
STOP_LINE: Final = "Stop it with Ctrl-C (SIGINT) or SIGTERM"
#: Where a given app's secret goes in the URL printed for it.
SECRET_PLACEHOLDER: Final = "SECRET"  # noqa: S105 - a word, not a secret


@dataclass(frozen=True, slots=True)
class Banner:
    """What the banner says; `url` and `ws_url` are the server's base URLs."""

    url: str
    ws_url: str
    host: str
    port: int
    apps: Sequence[tuple[App, AppOptions]]
    #: Whether the apps were given with ``--app`` (their secrets are then never printed).
    given: bool
    tls: bool = False
    ca_file: str | None = None
    webhooks: Sequence[str] = ()
    quota: int | None = None
    disabled: Sequence[str] = ()
    faults: Sequence[Fault] = ()
    fault_seed: int = 0
    log: bool = False

    def lines(self) -> list[str]:
        lines = [f"Local Pusher server listening on {self.url}"]
        for app, _ in self.apps:
            if self.given:
                lines.append(f"App id: {app.app_id}  key: {app.key}  (secret as given with --app)")
            else:
                lines.append(
                    f"App id: {app.app_id}  key: {app.key}  secret: {app.secret}  (default app)"
                )
        lines.append(f"Websocket: {self.ws_url}/app/<key>?protocol=7")
        lines.append(f"Debug console: {self.url}/")
        for app, options in self.apps:
            lines.append(f"App {app.app_id} options: {options_text(options)}")
            lines.append(f"  PUSHER_URL={self.pusher_url(app)}")
            lines.append(f"  pusher-js: {self.pusher_js(app)}")
        if self.given:
            lines.append(f"  ({SECRET_PLACEHOLDER}: the secret given with --app)")
        lines.extend(f"Webhooks: POST to {url}" for url in self.webhooks)
        if self.quota is not None:
            lines.append(
                f"Quota: {self.quota} messages a day per app, counted as Pusher counts them; "
                "past it the HTTP API answers 403"
            )
        for app_id in self.disabled:
            lines.append(
                f"Disabled: app {app_id} (its HTTP API answers 403, its connections are refused)"
            )
        if self.faults:
            shown = "; ".join(str(fault) for fault in self.faults)
            lines.append(f"Faults: {shown} (seed {self.fault_seed}, --fault-seed to repeat)")
        if self.ca_file is not None:
            lines.append(
                f"TLS CA certificate: {self.ca_file} (for SSL_CERT_FILE, NODE_EXTRA_CA_CERTS "
                "or a browser; made for this run)"
            )
        if self.log:
            lines.append(
                "Log: one line per API call, connection, subscription, client event and webhook"
            )
        lines.append(STOP_LINE)
        return lines

    def pusher_url(self, app: App) -> str:
        secret = SECRET_PLACEHOLDER if self.given else quote(app.secret, safe="")
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{app.key}:{secret}@{self._host()}:{self.port}/apps/{app.app_id}"

    def pusher_js(self, app: App) -> str:
        """The pusher-js constructor call that connects to this server as `app`."""
        host = self._host()
        if self.tls:
            # pusher-js's "ws" transport is the one that speaks wss:// when forceTLS is on.
            where = f'wssPort: {self.port}, forceTLS: true, enabledTransports: ["ws", "wss"]'
        else:
            where = f'wsPort: {self.port}, forceTLS: false, enabledTransports: ["ws"]'
        return (
            f'new Pusher("{app.key}", {{ wsHost: "{host}", {where}, cluster: "mt1", '
            "disableStats: true })"
        )

    def _host(self) -> str:
        """The host a client names: the listening address, or loopback for every address."""
        try:
            unspecified = ipaddress.ip_address(self.host.strip("[]")).is_unspecified
        except ValueError:
            unspecified = False
        return "127.0.0.1" if unspecified else url_host(self.host)


def options_text(options: AppOptions) -> str:
    on = options.names
    if not on:
        return (
            "none, as on a new Pusher app: client events are refused (switch options on "
            f"after the secret: --app ID:KEY:SECRET:{','.join(APP_OPTIONS)})"
        )
    return ", ".join(on)


# --- log lines ----------------------------------------------------------------------------------


def log_line(entry: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The message and fields of the log line for one debug record, or None for a record that
    gets no line of its own."""
    kind = entry.get("kind")
    fields: dict[str, Any] = {}
    if entry.get("app") is not None:
        fields["app"] = entry["app"]
    if kind == "api":
        fields.update(method=entry.get("method"), path=entry.get("path"))
        fields["status"] = entry.get("status") if entry.get("status") is not None else "reset"
        events = entry.get("events") or []
        if events:
            fields["events"] = ",".join(str(e.get("name")) for e in events)
            channels = [c for e in events for c in e.get("channels", ())]
            fields["channels"] = ",".join(dict.fromkeys(channels))
        if entry.get("status") != 200:
            fields["message"] = entry.get("message")
        _optional(fields, entry, "fault")
        if entry.get("source") not in (None, "api"):
            fields["source"] = entry["source"]  # the debug console's test form
        return "api call", fields
    if kind == "connection":
        action = entry.get("action")
        _optional(fields, entry, "socket_id", "remote", "code", "reason", "fault")
        return f"connection {action}", fields
    if kind == "subscription":
        _optional(fields, entry, "socket_id", "channel", "user_id", "message")
        return str(entry.get("action")), fields
    if kind == "client_event":
        _optional(fields, entry, "socket_id", "channel", "name", "code", "message")
        return f"client event {entry.get('action', 'sent')}", fields
    if kind == "webhook":
        _optional(fields, entry, "url", "attempt", "status", "error", "outcome", "retry_in")
        fields["events"] = ",".join(str(e.get("name")) for e in entry.get("events") or [])
        _optional(fields, entry, "fault")
        return "webhook", fields
    if kind == "signin":
        _optional(fields, entry, "socket_id", "user_id")
        return "signed in", fields
    if kind == "cache":
        _optional(fields, entry, "socket_id", "channel", "action", "event")
        return "cache channel", fields
    return None


def _optional(fields: dict[str, Any], entry: Mapping[str, Any], *names: str) -> None:
    for name in names:
        value = entry.get(name)
        if value is not None and value != "":
            fields[name] = value
