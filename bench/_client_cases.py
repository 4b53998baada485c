"""Part 1, client cost: every client posting one small event to the nginx sink, side by side,
over plain HTTP and over TLS (the sink's HTTPS port; every client trusts the run's test CA)."""

from __future__ import annotations

from pathlib import Path

from ._runner import Case

NODE_DIR = Path(__file__).parent / "node"
IN_FLIGHT = 64
SDK_THREADS = 8
SDK_PYTHON = "official Python SDK 3.3.4"
SDK_NODE_NAME = "official Node SDK 5.3.4"

OURS_SEQ_KA = "client.ours.seq.keepalive"
OURS_SEQ_CLOSE = "client.ours.seq.close"
OURS_64_KA = "client.ours.64.keepalive"
OURS_64_CLOSE = "client.ours.64.close"
OURS_64_KA_UVLOOP = "client.ours.64.keepalive.uvloop"
SDK_PY_SEQ = "client.sdk-python.seq"
SDK_PY_THREADS = "client.sdk-python.threads"
SDK_NODE = "client.sdk-node.64"
FLOOR_RAW = "client.floor.raw"
FLOOR_AIOHTTP = "client.floor.aiohttp"
#: The same cases over TLS: their key with this ending.
TLS = ".tls"


def tls(key: str) -> str:
    return key + TLS


def cases(*, count: int, seconds: float, warmup: int, node: str | None) -> list[Case]:
    """The cases of part 1; `node` is the Node.js binary, or None to leave the Node SDK out.
    Each runs over plain HTTP and over TLS, next to each other; the floors over plain HTTP."""

    def load(concurrency: int, scheme: str = "http") -> tuple[str, ...]:
        port = "{tls_port}" if scheme == "https" else "{port}"
        over = ("--scheme", "https", "--ca", "{ca}") if scheme == "https" else ()
        return (
            "--port", port, "--count", str(count), "--seconds", str(seconds),
            "--warmup", str(warmup), "--concurrency", str(concurrency), *over,
        )  # fmt: skip

    py = ("{python}", "-m")
    timeout = 30 + 3 * seconds
    both: list[tuple[str, str, tuple[str, ...], int]] = [
        (OURS_SEQ_KA, "mesg-pusher, sequential, keep-alive",
         (*py, "bench._client", "--keep-alive", "on"), 1),
        (OURS_SEQ_CLOSE, "mesg-pusher, sequential, no keep-alive",
         (*py, "bench._client", "--keep-alive", "off"), 1),
        (OURS_64_KA, f"mesg-pusher, {IN_FLIGHT} in flight, keep-alive",
         (*py, "bench._client", "--keep-alive", "on"), IN_FLIGHT),
        (OURS_64_CLOSE, f"mesg-pusher, {IN_FLIGHT} in flight, no keep-alive",
         (*py, "bench._client", "--keep-alive", "off"), IN_FLIGHT),
        (OURS_64_KA_UVLOOP, f"mesg-pusher, {IN_FLIGHT} in flight, keep-alive, on uvloop",
         (*py, "bench._client", "--keep-alive", "on", "--loop", "uvloop"), IN_FLIGHT),
        (SDK_PY_SEQ, f"{SDK_PYTHON}, sequential", (*py, "bench._sdk_python"), 1),
        (SDK_PY_THREADS, f"{SDK_PYTHON}, {SDK_THREADS} threads, one client",
         (*py, "bench._sdk_python"), SDK_THREADS),
    ]  # fmt: skip
    if node is not None:
        script = str(NODE_DIR / "sdk.js")
        both.append(
            (SDK_NODE, f"{SDK_NODE_NAME}, {IN_FLIGHT} in flight, keep-alive",
             (node, script, "--keep-alive", "on"), IN_FLIGHT),
        )  # fmt: skip
    found: list[Case] = []
    for key, label, argv, concurrency in both:
        found.append(Case(key, "client", label, (*argv, *load(concurrency)), timeout))
        found.append(
            Case(tls(key), "client", f"{label}, TLS",
                 (*argv, *load(concurrency, "https")), timeout)
        )  # fmt: skip
    found += [
        Case(FLOOR_AIOHTTP, "client", f"floor: bare aiohttp, pre-signed, {IN_FLIGHT} in flight",
             (*py, "bench._floor", *load(IN_FLIGHT), "--kind", "aiohttp"), timeout),
        Case(FLOOR_RAW, "client", f"floor: raw asyncio, pre-signed, {IN_FLIGHT} in flight",
             (*py, "bench._floor", *load(IN_FLIGHT), "--kind", "raw"), timeout),
    ]  # fmt: skip
    return found
