"""The HTTP sink: Debian's nginx on 127.0.0.1 answering every request with ``200``: ``{}`` (what
Pusher answers a publish), or for the queries a body of the shape Pusher gives (`ANSWERS`), on
two ports: plain HTTP, and HTTPS with a certificate for 127.0.0.1 signed by a CA made for the
run (trustme's), whose file the clients are told to trust (`Sink.ca_file`).

It runs as a child process with a configuration, pid file and logs in a temporary folder, one
worker and keep-alive without a request limit, so a client's cost is measured, not the sink's.
Stopped by its PID.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

NGINX = "/usr/sbin/nginx"
READY_SECONDS = 10.0

#: The query endpoints' answers (a path pattern, the body), in the order nginx tries them;
#: every other request is answered ``{}``.
ANSWERS = (
    (r"^/apps/[^/]+/channels/[^/]+/users$", '{"users":[{"id":"bench-user"}]}'),
    (r"^/apps/[^/]+/channels/[^/]+$", '{"occupied":true,"user_count":1}'),
    (r"^/apps/[^/]+/channels$", '{"channels":{"presence-bench":{"user_count":1}}}'),
)
DEFAULT_ANSWER = "{}"

CONFIG = """
worker_processes 1;
error_log {dir}/error.log warn;
pid {dir}/nginx.pid;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 120s;
    server {{
        listen 127.0.0.1:{port} reuseport backlog=4096;
        listen 127.0.0.1:{tls_port} ssl reuseport backlog=4096;
        ssl_certificate {dir}/server.pem;
        ssl_certificate_key {dir}/server.key;
{locations}
    }}
}}
"""
_LOCATION = """
        location {where} {{
            default_type application/json;
            return 200 '{body}';
        }}"""


def answer_for(path: str) -> str:
    """The body the sink answers a request for `path` with."""
    return next((body for pattern, body in ANSWERS if re.match(pattern, path)), DEFAULT_ANSWER)


def config(folder: str, port: int, tls_port: int) -> str:
    locations = [_LOCATION.format(where=f"~ {pattern}", body=body) for pattern, body in ANSWERS]
    locations.append(_LOCATION.format(where="/", body=DEFAULT_ANSWER))
    return CONFIG.format(dir=folder, port=port, tls_port=tls_port, locations="".join(locations))


@dataclass(frozen=True)
class Sink:
    host: str
    port: int
    pid: int
    tls_port: int = 0
    ca_file: str = ""


def certificates(folder: str) -> str:
    """A CA and a certificate it signed for 127.0.0.1 (server.pem, server.key) in `folder`;
    the CA's file."""
    import trustme  # noqa: PLC0415 - a bench and test dependency, loaded where it is used

    ca = trustme.CA(organization_name="mesg-pusher bench CA")
    cert = ca.issue_cert("127.0.0.1", "localhost")
    Path(folder, "server.pem").write_bytes(b"".join(b.bytes() for b in cert.cert_chain_pems))
    cert.private_key_pem.write_to_path(str(Path(folder, "server.key")))
    ca_file = Path(folder, "ca.pem")
    ca.cert_pem.write_to_path(str(ca_file))
    return str(ca_file)


def nginx_path() -> str | None:
    return shutil.which("nginx") or (NGINX if os.access(NGINX, os.X_OK) else None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen[bytes], deadline: float) -> bool:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False


@contextlib.contextmanager
def running() -> Iterator[Sink]:
    """An nginx sink for the duration of the block; raises RuntimeError if it cannot start."""
    binary = nginx_path()
    if binary is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as folder:
        ca_file = certificates(folder)
        for _attempt in range(3):  # the free port may be taken between probe and listen
            port, tls_port = free_port(), free_port()
            conf = Path(folder, "nginx.conf")
            conf.write_text(config(folder, port, tls_port), "utf-8")
            process = subprocess.Popen(
                [
                    binary,
                    "-p",
                    folder,
                    "-e",
                    f"{folder}/error.log",
                    "-c",
                    str(conf),
                    "-g",
                    "daemon off;",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                deadline = time.monotonic() + READY_SECONDS
                if _wait_listening(port, process, deadline) and _wait_listening(
                    tls_port, process, deadline
                ):
                    yield Sink("127.0.0.1", port, process.pid, tls_port, ca_file)
                    return
            finally:
                _stop(process)
        log = Path(folder, "error.log")
        detail = log.read_text("utf-8", "replace")[-500:] if log.exists() else ""
        raise RuntimeError(f"nginx did not start: {detail}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGQUIT)  # graceful: workers finish, then the master exits
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
