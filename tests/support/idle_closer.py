"""A keep-alive HTTP/1.1 server (plain or TLS) in its own thread, which closes its idle
connections when told to, as nginx and Pusher's load balancers do after a pause.

`close_idle` returns only once the client's kernel has the end-of-stream (its socket is in
CLOSE_WAIT, read from /proc/net/tcp), while the client's event loop, blocked in the test, has not
run yet: the moment a pooled connection looks alive to the client and is dead.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
_CLOSE_WAIT = "08"
WAIT_SECONDS = 10.0


@dataclass
class IdleCloser:
    ssl_context: ssl.SSLContext | None = None
    port: int = 0
    connections: int = 0
    requests: int = 0
    _listener: socket.socket | None = None
    _idle: dict[socket.socket, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> IdleCloser:
        listener = socket.create_server(("127.0.0.1", 0))
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._spawn(self._accept)
        return self

    def wait_idle(self, count: int) -> None:
        """Block until `count` connections wait for their next request (their thread may mark
        one idle a moment after the client read its answer)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            with self._lock:
                if len(self._idle) >= count:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{count} connections never came idle")
            time.sleep(0.005)

    def close_idle(self, *, wait: bool = True) -> int:
        """Close every idle connection; how many. Blocks until the clients have seen it."""
        with self._lock:
            idle = dict(self._idle)
            self._idle.clear()
        for sock in idle:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # sends the FIN and wakes the handler thread
        deadline = time.monotonic() + WAIT_SECONDS
        for client_port in idle.values() if wait else ():
            while _CLOSE_WAIT not in _states_of(client_port, self.port):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the client on port {client_port} never saw the close")
                time.sleep(0.005)
        return len(idle)

    def stop(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        self.close_idle(wait=False)
        for thread in self._threads:
            thread.join(WAIT_SECONDS)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                sock, peer = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._spawn(self._serve, sock, peer[1])

    def _serve(self, raw: socket.socket, client_port: int) -> None:
        sock = raw
        try:
            if self.ssl_context is not None:
                sock = self.ssl_context.wrap_socket(raw, server_side=True)
            buffer = b""
            while True:
                with self._lock:
                    self._idle[sock] = client_port
                while b"\r\n\r\n" not in buffer:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                with self._lock:
                    self._idle.pop(sock, None)
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                while len(buffer) < length:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                buffer = buffer[length:]
                self.requests += 1
                sock.sendall(OK)
        except (OSError, ssl.SSLError):
            return
        finally:
            with self._lock:
                self._idle.pop(sock, None)
            sock.close()  # the TLS wrapper owns the socket once made
            raw.close()


def _states_of(local_port: int, remote_port: int) -> set[str]:
    """The TCP states of the loopback sockets from `local_port` to `remote_port`, from the
    kernel's tables (an earlier socket on the same ports may linger in TIME_WAIT)."""
    ends = (f":{local_port:04X}", f":{remote_port:04X}")
    states = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[1].endswith(ends[0]) and fields[2].endswith(ends[1]):
                    states.add(fields[3])
    return states
