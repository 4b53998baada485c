"""Debian's nginx on 127.0.0.1 as a Pusher-like HTTPS endpoint: every request answered ``200
{}`` over TLS with the certificate it is given, and over plain HTTP on a second port; the
connections it took are logged, one line per request, with nginx's connection number."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import free_port, wait_for_port
from tests.support.tls import TestCertificates

NGINX = "/usr/sbin/nginx"

CONFIG = """
worker_processes 1;
error_log {dir}/error.log warn;
pid {dir}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    log_format connections '$connection $request_method $request_uri';
    access_log {dir}/access.log connections;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_timeout {keepalive};
    server {{
        listen 127.0.0.1:{port};
        listen 127.0.0.1:{tls_port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols {protocols};
        location / {{
            default_type application/json;
            return 200 '{{}}';
        }}
    }}
}}
"""


def nginx_path() -> str | None:
    return shutil.which("nginx") or (NGINX if os.access(NGINX, os.X_OK) else None)


@dataclass
class Nginx:
    port: int
    tls_port: int
    folder: Path
    process: subprocess.Popen[bytes]

    def requests(self) -> list[tuple[int, str]]:
        """(connection number, request line) of each request served so far."""
        log = self.folder / "access.log"
        lines = log.read_text("utf-8").splitlines() if log.exists() else []
        return [(int(line.split(" ", 1)[0]), line.split(" ", 1)[1]) for line in lines]

    def requests_of(self, app_id: str, count: int, within: float = 10.0) -> list[tuple[int, str]]:
        """The requests to ``/apps/<app_id>/``, once `count` of them are logged (nginx logs a
        request after its answer has left, so a client may see the answer first), or all
        there are after `within` seconds."""
        deadline = time.monotonic() + within
        while True:
            served = [(n, line) for n, line in self.requests() if f" /apps/{app_id}/" in line]
            if len(served) >= count or time.monotonic() > deadline:
                return served
            time.sleep(0.01)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGQUIT)  # graceful: the log is flushed
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


def start_nginx(
    folder: Path,
    certificates: TestCertificates,
    *,
    keepalive: str = "75s",
    protocols: str = "TLSv1.2 TLSv1.3",
) -> Nginx:
    binary = nginx_path()
    if binary is None:
        raise RuntimeError("nginx is not installed: run scripts/install-test-deps")
    folder.mkdir(parents=True, exist_ok=True)
    port, tls_port = free_port(), free_port()
    conf = folder / "nginx.conf"
    conf.write_text(
        CONFIG.format(
            dir=folder,
            port=port,
            tls_port=tls_port,
            cert=certificates.cert_file,
            key=certificates.key_file,
            keepalive=keepalive,
            protocols=protocols,
        ),
        "utf-8",
    )
    process = subprocess.Popen(
        [
            binary,
            "-p",
            str(folder),
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
    server = Nginx(port, tls_port, folder, process)
    try:
        wait_for_port(port, process)
        wait_for_port(tls_port, process)
    except Exception:
        server.stop()
        raise
    return server
