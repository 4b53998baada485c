"""Both drivers through real services: the engine stand-in of this process originating
executions, and an application through ``mesg-pusher engine``; every execution answered, and
every trigger published."""

from __future__ import annotations

import argparse
import math
from collections.abc import AsyncIterator

import pytest

from bench import _nginx, _service
from tests.support.fake_pusher import FakePusher

pytestmark = pytest.mark.integration


@pytest.fixture
async def bench_pusher() -> AsyncIterator[FakePusher]:
    """A Pusher stand-in that knows the app the bench's inputs name."""
    server = await FakePusher(apps={"1": ("bench-key", "bench-secret")}).start()
    yield server
    await server.stop()


def _args(
    port: int,
    *,
    target: str,
    driver: str,
    rate: float = 0.0,
    inputs: str = "trigger",
    engine: str = "",
) -> argparse.Namespace:
    return argparse.Namespace(
        inputs=inputs,
        engine=engine,
        host="127.0.0.1",
        port=port,
        target=target,
        driver=driver,
        rate=rate,
        concurrency=8,
        count=30,
        warmup=5,
        seconds=20.0,  # a bound only: the count ends each load
        loop="asyncio",
        scheme="http",
        tls_port=0,
        ca="",
    )


async def test_the_stand_in_drives_serve_and_every_trigger_is_published(
    bench_pusher: FakePusher,
) -> None:
    sample = await _service.run(_args(bench_pusher.port, target="nginx", driver="standin"))
    assert (sample.count, sample.errors, sample.extra["unanswered"]) == (30, 0, 0)
    assert len(bench_pusher.accepted) == 1 + 5 + 30  # the probe, the warm-up, the load
    # Read from /proc in clock ticks (10 ms): 30 executions may cost less than one.
    assert sample.extra["service_cores"] >= 0
    assert sample.extra["standin_cpu_ms"] > 0
    assert math.isnan(sample.extra["driver_cpu_ms"])  # all of it is the stand-in's
    assert not math.isnan(sample.extra["in_service_p50_ms"])  # read from serve's log


async def test_a_third_generation_stand_in_drives_serve_in_its_wire_format(
    bench_pusher: FakePusher,
) -> None:
    args = _args(bench_pusher.port, target="nginx", driver="standin", engine="v0.16")
    sample = await _service.run(args)
    assert (sample.count, sample.errors, sample.extra["unanswered"]) == (30, 0, 0)
    assert len(bench_pusher.accepted) == 1 + 5 + 30
    assert not math.isnan(sample.extra["in_service_p50_ms"])  # its hashes read from the log


async def test_the_stand_in_drives_the_null_service() -> None:
    sample = await _service.run(_args(0, target="none", driver="standin"))
    assert (sample.count, sample.errors, sample.extra["unanswered"]) == (30, 0, 0)
    assert math.isnan(sample.extra["in_service_p50_ms"])  # it logs no executions


async def test_the_publishing_floor_posts_before_each_answer(
    bench_pusher: FakePusher,
) -> None:
    sample = await _service.run(_args(bench_pusher.port, target="publish", driver="standin"))
    assert (sample.count, sample.errors, sample.extra["unanswered"]) == (30, 0, 0)
    assert len(bench_pusher.accepted) == 1 + 5 + 30  # the probe, the warm-up, the load


async def test_the_keyed_form_gives_each_execution_a_key_of_its_own(
    bench_pusher: FakePusher,
) -> None:
    args = _args(bench_pusher.port, target="nginx", driver="standin", inputs="trigger-keyed")
    sample = await _service.run(args)
    assert (sample.count, sample.errors, sample.extra["unanswered"]) == (30, 0, 0)
    # Each is published: a key repeated would be answered from memory, publishing nothing.
    assert len(bench_pusher.accepted) == 1 + 5 + 30


async def test_an_application_drives_the_null_service_at_a_rate() -> None:
    sample = await _service.run(_args(0, target="none", driver="app", rate=200.0))
    assert (sample.count, sample.errors, sample.extra["unanswered"]) == (30, 0, 0)
    assert sample.extra["offered"] == 200.0
    assert sample.extra["driver_cpu_ms"] > 0
    assert sample.extra["standin_cpu_ms"] >= 0  # another process's: in clock ticks


@pytest.mark.skipif(_nginx.nginx_path() is None, reason="needs nginx")
@pytest.mark.parametrize("form", ["users", "authorizeChannel"])
async def test_serve_answers_a_query_and_a_signature_success_through_the_sink(form: str) -> None:
    with _nginx.running() as sink:
        sample = await _service.run(_args(sink.port, target="nginx", driver="standin", inputs=form))
    assert (sample.count, sample.errors, sample.extra["unanswered"]) == (30, 0, 0)


@pytest.mark.skipif(_nginx.nginx_path() is None, reason="needs nginx")
@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
async def test_serve_publishes_over_tls_trusting_the_sinks_ca_through_ssl_cert_file(
    loop: str,
) -> None:
    with _nginx.running() as sink:
        args = _args(sink.port, target="nginx", driver="standin")
        args.scheme, args.tls_port, args.ca, args.loop = "https", sink.tls_port, sink.ca_file, loop
        sample = await _service.run(args)
    # grpc.aio serves the engine link on uvloop too: every execution is answered.
    assert (sample.count, sample.errors, sample.extra["unanswered"]) == (30, 0, 0)
