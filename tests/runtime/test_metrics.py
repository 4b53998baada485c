"""The metrics: counted on the hot path with plain arithmetic, written in Prometheus's text format
(read back with prometheus-client's own parser), labels bounded whatever arrives, and served by
``GET /metrics`` with what the service really did."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from mesg_pusher.engine import CoreClient, EngineServer
from mesg_pusher.pusher import App, webhook_signature
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
        listener = running.service.listener
        assert listener is not None
        async with http.post(listener.url + "/webhooks", data=body, headers=headers) as answer:
            assert answer.status == 200
        async with http.get(listener.url + "/metrics") as answer:
            assert answer.status == 200
            assert answer.headers["Content-Type"].startswith("text/plain; version=")
            text = await answer.text()
    assert value(text, "mesg_pusher_executions_total", task="trigger", outcome="success") == 1
    assert value(text, "mesg_pusher_executions_total", task="trigger", outcome="error") == 1
    assert value(text, "mesg_pusher_execution_duration_seconds_count", task="trigger") == 2
    assert value(text, "mesg_pusher_webhooks_total", outcome="accepted", status="200") == 1
    assert value(text, "mesg_pusher_events_emitted_total", event="channel_occupied") == 1
    assert value(text, "mesg_pusher_task_stream_open") == 1
    assert value(text, "mesg_pusher_engine_connections_total") == 1
    assert value(text, "mesg_pusher_webhooks_in_hand") == 0
    assert value(text, "mesg_pusher_webhook_memory_bytes") > 0
