"""Part 1, client cost: every client posting one small event to the nginx sink, side by side."""

from __future__ import annotations

from pathlib import Path

from ._runner import Case

NODE_DIR = Path(__file__).parent / "node"
IN_FLIGHT = 64
SDK_THREADS = 8

OURS_SEQ_KA = "client.ours.seq.keepalive"
OURS_SEQ_CLOSE = "client.ours.seq.close"
OURS_64_KA = "client.ours.64.keepalive"
OURS_64_CLOSE = "client.ours.64.close"
OURS_64_AIOHTTP = "client.ours.64.keepalive.aiohttp"
SDK_PY_SEQ = "client.sdk-python.seq"
SDK_PY_THREADS = "client.sdk-python.threads"
SDK_NODE = "client.sdk-node.64"
FLOOR_RAW = "client.floor.raw"
FLOOR_AIOHTTP = "client.floor.aiohttp"


def cases(*, count: int, seconds: float, warmup: int, node: str | None) -> list[Case]:
    """The cases of part 1; `node` is the Node.js binary, or None to leave the Node SDK out."""

    def load(concurrency: int) -> tuple[str, ...]:
        return (
            "--port", "{port}", "--count", str(count), "--seconds", str(seconds),
            "--warmup", str(warmup), "--concurrency", str(concurrency),
        )  # fmt: skip

    py = ("{python}", "-m")
    timeout = 30 + 3 * seconds
    found = [
        Case(OURS_SEQ_KA, "client", "mesg-pusher, sequential, keep-alive",
             (*py, "bench._client", *load(1), "--keep-alive", "on"), timeout),
        Case(OURS_SEQ_CLOSE, "client", "mesg-pusher, sequential, no keep-alive",
             (*py, "bench._client", *load(1), "--keep-alive", "off"), timeout),
        Case(OURS_64_KA, "client", f"mesg-pusher, {IN_FLIGHT} in flight, keep-alive",
             (*py, "bench._client", *load(IN_FLIGHT), "--keep-alive", "on"), timeout),
        Case(OURS_64_CLOSE, "client", f"mesg-pusher, {IN_FLIGHT} in flight, no keep-alive",
             (*py, "bench._client", *load(IN_FLIGHT), "--keep-alive", "off"), timeout),
        Case(OURS_64_AIOHTTP, "client",
             f"mesg-pusher, {IN_FLIGHT} in flight, keep-alive, aiohttp edge",
             (*py, "bench._client", *load(IN_FLIGHT), "--keep-alive", "on", "--edge", "aiohttp"),
             timeout),
        Case(SDK_PY_SEQ, "client", "official Python SDK 3.3.4, sequential",
             (*py, "bench._sdk_python", *load(1)), timeout),
        Case(SDK_PY_THREADS, "client",
             f"official Python SDK 3.3.4, {SDK_THREADS} threads, one client",
             (*py, "bench._sdk_python", *load(SDK_THREADS)), timeout),
        Case(FLOOR_AIOHTTP, "client", f"floor: bare aiohttp, pre-signed, {IN_FLIGHT} in flight",
             (*py, "bench._floor", *load(IN_FLIGHT), "--kind", "aiohttp"), timeout),
        Case(FLOOR_RAW, "client", f"floor: raw asyncio, pre-signed, {IN_FLIGHT} in flight",
             (*py, "bench._floor", *load(IN_FLIGHT), "--kind", "raw"), timeout),
    ]  # fmt: skip
    if node is not None:
        script = str(NODE_DIR / "sdk.js")
        found.insert(
            7,
            Case(SDK_NODE, "client", f"official Node SDK 5.3.4, {IN_FLIGHT} in flight, keep-alive",
                 (node, script, *load(IN_FLIGHT), "--keep-alive", "on"), timeout),
        )  # fmt: skip
    return found
