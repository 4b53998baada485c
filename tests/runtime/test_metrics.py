"""The metrics: counted on the hot path with plain arithmetic, written in Prometheus's text format
(read back with prometheus-client's own parser), labels bounded whatever arrives, and served by
``GET /metrics`` with what the service really did."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Iterator
from types import SimpleNamespace

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from mesg_pusher._version import __version__
from mesg_pusher.engine import CoreClient, EngineServer
from mesg_pusher.pusher import App, webhook_signature
from mesg_pusher.runtime import Admission
from mesg_pusher.runtime._build_info import build_labels, engine_generation
from mesg_pusher.runtime._metrics import Metrics
from mesg_pusher.runtime._outcomes import ExecutionOutcome
from mesg_pusher.runtime._stats import DURATION_BUCKETS, UNDECLARED, Stats
from tests.runtime.conftest import WAIT, GatedPusher, serving, trigger_inputs, until

APP = App(app_id="7", key="metrics-key", secret="Hq2Vw8Xk4Lp6Nz1Rb3Tc")


def samples(text: str) -> Iterator[Sample]:
    for family in text_string_to_metric_families(text):
        yield from family.samples


def value(text: str, name: str, **labels: str) -> float:
    found = [s.value for s in samples(text) if s.name == name and s.labels == labels]
    assert len(found) == 1, (name, labels, found)
    return found[0]


def test_executions_are_counted_by_task_and_outcome_and_timed() -> None:
    stats = Stats(retried=3, dropped=1, connections=4, tasks=["trigger", "triggerBatch"])
    metrics = Metrics(stats)
    stats.settle("trigger", ExecutionOutcome.SUCCEEDED, 0.002)
    stats.settle("trigger", ExecutionOutcome.SUCCEEDED, 0.2)
    stats.settle("trigger", ExecutionOutcome.FAILED, 100.0)
    stats.settle("trigger", ExecutionOutcome.DUPLICATE, 0.0)  # counted, not timed
    stats.settle("no such task", ExecutionOutcome.FAILED, 0.001)
    stats.settle('{"secret":"x"}', ExecutionOutcome.FAILED, 0.001)
    text = metrics.render().decode()
    assert value(text, "mesg_pusher_executions_total", task="trigger", outcome="success") == 2
    assert value(text, "mesg_pusher_executions_total", task="trigger", outcome="duplicate") == 1
    assert value(text, "mesg_pusher_executions_total", task=UNDECLARED, outcome="error") == 2
    assert "secret" not in text  # an undeclared task key never becomes a label
    buckets = {
        s.labels["le"]: s.value
        for s in samples(text)
        if s.name == "mesg_pusher_execution_duration_seconds_bucket"
        and s.labels["task"] == "trigger"
    }
    assert len(buckets) == len(DURATION_BUCKETS) + 1
    assert (buckets["0.001"], buckets["0.0025"], buckets["0.25"], buckets["60.0"]) == (0, 1, 2, 2)
    assert buckets["+Inf"] == 3
    count = "mesg_pusher_execution_duration_seconds_count"
    assert value(text, count, task="trigger") == 3
    assert value(text, "mesg_pusher_execution_duration_seconds_sum", task="trigger") == 100.202
    assert value(text, count, task="triggerBatch") == 0
    assert value(text, "mesg_pusher_results_retried_total") == 3
    assert value(text, "mesg_pusher_results_dropped_total") == 1
    assert value(text, "mesg_pusher_engine_connections_total") == 4
    assert value(text, "mesg_pusher_engine_reconnections_total") == 3
    assert stats.executions("trigger") == 4
    assert stats.executions() == 6


def test_webhooks_events_gauges_and_the_process_are_written() -> None:
    stats = Stats(tasks=["trigger"])
    metrics = Metrics(stats)
    stats.webhook("accepted", 200)
    stats.webhook("accepted", 200)
    stats.webhook("bad_signature", 401)
    stats.event_emitted("channel_occupied")
    stats.event_refused("member_added")
    metrics.gauges.append(("task_stream_open", "open or not", lambda: 1.0))
    text = metrics.render().decode()
    assert value(text, "mesg_pusher_webhooks_total", outcome="accepted", status="200") == 2
    assert value(text, "mesg_pusher_webhooks_total", outcome="bad_signature", status="401") == 1
    assert value(text, "mesg_pusher_events_emitted_total", event="channel_occupied") == 1
    assert value(text, "mesg_pusher_events_refused_total", event="member_added") == 1
    assert value(text, "mesg_pusher_task_stream_open") == 1
    assert value(text, "process_resident_memory_bytes") > 0


async def test_the_endpoint_shows_what_the_service_did(
    engine_server: EngineServer, client: CoreClient, pusher: GatedPusher
) -> None:
    async with (
        serving(engine_server, apps=[APP]) as running,
        client.results(engine_server.token) as results,
        aiohttp.ClientSession() as http,
    ):
        token = engine_server.token
        ids = [
            await client.execute(token, "trigger", trigger_inputs(pusher)),
            await client.execute(token, "trigger", trigger_inputs(pusher, channel="a b")),
        ]
        async with asyncio.timeout(WAIT):
            await results.wait_for(ids)
        await until(lambda: running.service.stats.executions() == 2)
        body = json.dumps(
            {
                "time_ms": int(time.time() * 1000),
                "events": [{"name": "channel_occupied", "channel": "c"}],
            }
        ).encode()
        headers = {
            "X-Pusher-Key": APP.key,
            "X-Pusher-Signature": webhook_signature(APP.secret, body),
        }
        listener, admin = running.service.listener, running.service.admin
        assert listener is not None
        assert admin is not None
        async with http.post(listener.url + "/webhooks", data=body, headers=headers) as answer:
            assert answer.status == 200
        async with http.get(admin.url + "/metrics") as answer:
            assert answer.status == 200
            assert answer.headers["Content-Type"].startswith("text/plain; version=")
            text = await answer.text()
        # The webhook port, which faces the internet, serves webhooks only.
        for path in ("/metrics", "/health"):
            async with http.get(listener.url + path) as answer:
                assert answer.status == 404
    assert admin.port != listener.port
    assert value(text, "mesg_pusher_executions_total", task="trigger", outcome="success") == 1
    assert value(text, "mesg_pusher_executions_total", task="trigger", outcome="error") == 1
    assert value(text, "mesg_pusher_execution_duration_seconds_count", task="trigger") == 2
    assert value(text, "mesg_pusher_webhooks_total", outcome="accepted", status="200") == 1
    assert value(text, "mesg_pusher_events_emitted_total", event="channel_occupied") == 1
    assert value(text, "mesg_pusher_task_stream_open") == 1
    assert value(text, "mesg_pusher_engine_connections_total") == 1
    assert value(text, "mesg_pusher_webhooks_in_hand") == 0
    assert value(text, "mesg_pusher_webhook_memory_bytes") > 0
    assert value(text, "mesg_pusher_webhook_duration_seconds_count") == 1
    assert value(text, "mesg_pusher_webhook_duration_seconds_bucket", le="+Inf") == 1
    assert 0 < value(text, "mesg_pusher_webhook_duration_seconds_sum") < WAIT
    for idle in ("executions_running", "executions_waiting", "executions_held_bytes"):
        assert value(text, f"mesg_pusher_{idle}") == 0
    assert value(text, "mesg_pusher_member_info_bytes") == 0
    assert (
        value(
            text,
            "mesg_pusher_build_info",
            version=__version__,
            engine_generation=str(engine_generation(running.service._api)),
        )
        == 1
    )


def test_the_gauges_of_executions_read_the_admission_as_it_is() -> None:
    """What the limits act on, read when rendering: running, waiting, the bytes held."""
    stats = Stats(tasks=["trigger"])
    metrics = Metrics(stats)
    admission: Admission[str] = Admission(max_in_flight=1, queue_size=2, max_bytes=100)
    metrics.gauges += [
        ("executions_running", "r", lambda: float(admission.running)),
        ("executions_waiting", "w", lambda: float(admission.waiting)),
        ("executions_held_bytes", "b", lambda: float(admission.held_bytes)),
    ]
    admission.offer("a", 10)
    admission.offer("b", 20)
    text = metrics.render().decode()
    assert value(text, "mesg_pusher_executions_running") == 1
    assert value(text, "mesg_pusher_executions_waiting") == 1
    assert value(text, "mesg_pusher_executions_held_bytes") == 30


def test_webhook_durations_are_a_histogram_and_left_out_events_are_counted() -> None:
    stats = Stats()
    metrics = Metrics(stats)
    stats.webhook("accepted", 200, 0.004)
    stats.webhook("filtered", 200, 0.0002)
    stats.webhook("busy", 503, 9.0)
    stats.event_filtered("client_event")
    stats.event_filtered("client_event")
    text = metrics.render().decode()
    buckets = {
        s.labels["le"]: s.value
        for s in samples(text)
        if s.name == "mesg_pusher_webhook_duration_seconds_bucket"
    }
    assert (buckets["0.001"], buckets["0.005"], buckets["5.0"], buckets["10.0"]) == (1, 2, 2, 3)
    assert value(text, "mesg_pusher_webhook_duration_seconds_count") == 3
    assert value(text, "mesg_pusher_events_filtered_total", event="client_event") == 2
    assert value(text, "mesg_pusher_webhooks_total", outcome="filtered", status="200") == 1


@pytest.mark.parametrize(
    ("api", "generation"),
    [
        (object(), "1"),  # an adapter that does not say it: the first generation's
        (SimpleNamespace(generation=3), "3"),
        (SimpleNamespace(generation=0, chosen=None), "unknown"),  # still asking the engine
        (SimpleNamespace(generation=0, chosen=SimpleNamespace(generation=5)), "5"),
    ],
)
def test_build_info_says_the_version_and_the_generation_spoken(
    api: object, generation: str
) -> None:
    metrics = Metrics(Stats())
    metrics.build = lambda: build_labels(api)
    text = metrics.render().decode()
    assert (
        value(text, "mesg_pusher_build_info", version=__version__, engine_generation=generation)
        == 1
    )


async def test_prometheus_own_promtool_accepts_the_metrics_page(
    engine_server: EngineServer, client: CoreClient, pusher: GatedPusher
) -> None:
    """promtool (Debian's prometheus) lints what /metrics serves, every family written."""
    async with (
        serving(engine_server, apps=[APP]) as running,
        client.results(engine_server.token) as results,
        aiohttp.ClientSession() as http,
    ):
        token = engine_server.token
        execution = await client.execute(token, "trigger", trigger_inputs(pusher))
        async with asyncio.timeout(WAIT):
            await results.wait_for([execution])
        running.service.stats.event_filtered("client_event")
        running.service.stats.admin_refused("malformed")
        running.service.stats.listener_refused("malformed")
        admin = running.service.admin
        assert admin is not None
        async with http.get(admin.url + "/metrics") as answer:
            page = await answer.read()
    promtool = shutil.which("promtool") or "/usr/bin/promtool"
    checked = await asyncio.create_subprocess_exec(
        promtool,
        "check",
        "metrics",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    async with asyncio.timeout(WAIT):
        said, _ = await checked.communicate(page)
    assert (checked.returncode, said.decode()) == (0, "")
    for family in ("build_info", "webhook_duration_seconds", "executions_running"):
        assert f"# TYPE mesg_pusher_{family} ".encode() in page
