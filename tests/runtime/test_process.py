"""``mesg-pusher serve`` as the engine runs it: a process with MESG_TOKEN and MESG_ENDPOINT_TCP,
stopped by signals, facing a wrong token, an engine that goes away, and load. The engine
stand-in and the Pusher-like server run in the test's event loop on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from mesg_pusher.engine import CoreClient, Engine, EngineServer, IdShape
from mesg_pusher.mesg import release
from tests.runtime.conftest import (
    WAIT,
    GatedPusher,
    trigger_inputs,
    until,
)
from tests.runtime.generations import (
    RELEASES,
    assert_answered_once,
    environment,
    outcome,
    stand_in,
)
from tests.support.fake_pusher import FakePusher

pytestmark = pytest.mark.integration


@dataclass
class ServeProcess:
    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def send(self, number: int) -> None:
        os.kill(self.pid, number)

    async def exit_status(self, within: float = WAIT) -> int:
        async with asyncio.timeout(within):
            return await self.process.wait()

    def cpu_seconds(self) -> float:
        """User and system CPU time the process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        """The process's peak resident memory so far (Linux VmHWM)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmHWM")


def engine_env(server: EngineServer, token: str | None = None) -> dict[str, str]:
    """The variables the engine gives a service container."""
    return {
        "MESG_TOKEN": token if token is not None else server.token,
        "MESG_ENDPOINT_TCP": server.address,
    }


@asynccontextmanager
async def serve(tmp_path: Path, env: dict[str, str], *args: str) -> AsyncIterator[ServeProcess]:
    """``mesg-pusher serve`` with `env` (and no other MESG_ variable); killed by PID if a test
    leaves it running."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MESG_", "GRPC_"))}
    environ.update(env)
    log_path = tmp_path / f"serve-{time.monotonic_ns()}.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "mesg_pusher.cli",
            "serve",
            *args,
            env=environ,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
    running = ServeProcess(process, log_path)
    try:
        yield running
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _listening(server: EngineServer, process: ServeProcess) -> None:
    try:
        await until(lambda: server.engine.task_listeners() >= 1)
    except TimeoutError:
        raise AssertionError(f"serve never listened; its log:\n{process.log()}") from None


async def test_a_wrong_token_is_reported_and_ends_the_process(
    tmp_path: Path, engine_server: EngineServer
) -> None:
    async with serve(tmp_path, engine_env(engine_server, "not-a-service")) as process:
        status = await process.exit_status()
    assert status == 1
    assert (
        "the engine does not know the service token (MESG_TOKEN): Database services: Service "
        "with hash 'not-a-service' not found"
    ) in process.log()


async def test_missing_settings_are_a_usage_error(
    tmp_path: Path, engine_server: EngineServer
) -> None:
    async with serve(tmp_path, engine_env(engine_server, "")) as process:
        assert await process.exit_status() == 2
    assert "no service token: set MESG_TOKEN" in process.log()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        # An OverflowError inside gRPC, before.
        (("--reconnect-max-delay", "3000000"), "--reconnect-max-delay: from 0.1 to 86400 sec"),
        # Accepted before, and then every SubmitResult timed out at once.
        (("--submit-timeout", "1e10"), "--submit-timeout: from 0.01 to 86400 seconds"),
        # Dialled on port 443 before.
        (("--endpoint", "::1"), "the engine address '::1': an IPv6 address goes in brackets"),
    ],
    ids=["reconnect-max-delay", "submit-timeout", "endpoint"],
)
async def test_settings_grpc_cannot_take_are_a_one_line_usage_error(
    tmp_path: Path, engine_server: EngineServer, setting: tuple[str, str], message: str
) -> None:
    async with serve(tmp_path, engine_env(engine_server), *setting) as process:
        assert await process.exit_status() == 2
    lines = process.log().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"mesg-pusher serve: error: {message}")


async def test_sigterm_with_100_executions_in_flight_answers_all_and_exits_0(
    tmp_path: Path, engine_server: EngineServer, pusher: GatedPusher
) -> None:
    engine = engine_server.engine
    pusher.gate.clear()  # Pusher holds every request until the stop has begun
    async with serve(tmp_path, engine_env(engine_server), "--grace-period", "60") as process:
        await _listening(engine_server, process)
        ids = [
            await engine.execute(engine.token, "trigger", trigger_inputs(pusher))
            for _ in range(100)
        ]
        await until(lambda: pusher.waiting == 100)  # all 100 are in flight
        assert not engine.results
        process.send(signal.SIGTERM)
        await until(lambda: "waiting up to" in process.log())
        pusher.gate.set()
        assert await process.exit_status(within=60) == 0

    assert sorted(engine.results) == sorted(ids), process.log()
    assert {r.output_key for r in engine.results.values()} == {"success"}
    assert len(engine.submissions) == 100
    assert len(pusher.accepted) == 100
    log = process.log()
    assert "received SIGTERM: stopping gracefully" in log
    # The grace period's last 1.5 s are kept for answering executions stopped short.
    assert re.search(r"waiting up to 5\d\.\d s for 100 executions \(100 running, 0 waiting\)", log)


async def test_sigterm_under_load_with_the_defaults_exits_before_dockers_10_s(
    tmp_path: Path, engine_server: EngineServer, pusher: GatedPusher
) -> None:
    engine = engine_server.engine
    pusher.gate.clear()  # every execution hangs in Pusher until the grace period is over
    async with serve(tmp_path, engine_env(engine_server)) as process:
        await _listening(engine_server, process)
        feeding = True

        async def feed() -> None:  # the stream never falls quiet: reading on takes its longest
            while feeding:  # every 50 ms, under the 100 ms of quiet that ends the reading
                await engine.execute(engine.token, "trigger", trigger_inputs(pusher))
                await asyncio.sleep(0.05)

        feeder = asyncio.create_task(feed())
        await until(lambda: pusher.waiting >= 10)
        began = time.monotonic()
        process.send(signal.SIGTERM)
        status = await process.exit_status()
        took = time.monotonic() - began
        feeding = False
        async with asyncio.timeout(WAIT):
            await feeder

    assert status == 0, process.log()
    # The grace period (8 s) bounds the whole stop; Docker kills the container at 10 s.
    assert took < 10, f"exited {took:.2f} s after SIGTERM"
    answered = [r.data["error"] for r in engine.results.values()]
    assert answered
    assert all(e.startswith("the service stopped before the execution finished") for e in answered)
    assert "stopping within 8 s" in process.log()
    print(f"\nSIGTERM under load, default settings: exited after {took:.2f} s")


async def test_executions_sent_just_before_sigterm_are_still_answered(
    tmp_path: Path, engine_server: EngineServer, pusher: GatedPusher
) -> None:
    engine = engine_server.engine
    pusher.delay = 0.5
    async with serve(tmp_path, engine_env(engine_server)) as process:
        await _listening(engine_server, process)
        ids = [
            await engine.execute(engine.token, "trigger", trigger_inputs(pusher))
            for _ in range(100)
        ]
        # At once: the last executions are still on their way through the stream.
        process.send(signal.SIGTERM)
        assert await process.exit_status() == 0

    assert sorted(engine.results) == sorted(ids), process.log()
    assert {r.output_key for r in engine.results.values()} == {"success"}


async def test_a_second_signal_exits_at_once(
    tmp_path: Path, engine_server: EngineServer, pusher: GatedPusher
) -> None:
    engine = engine_server.engine
    pusher.gate.clear()
    async with serve(tmp_path, engine_env(engine_server), "--grace-period", "600") as process:
        await _listening(engine_server, process)
        await engine.execute(engine.token, "trigger", trigger_inputs(pusher))
        await until(lambda: pusher.waiting == 1)
        process.send(signal.SIGTERM)
        await until(lambda: "s for 1 execution (1 running, 0 waiting)" in process.log())
        process.send(signal.SIGINT)
        assert await process.exit_status() == 128 + signal.SIGINT
    assert "received SIGINT again: exiting at once" in process.log()


async def test_the_engine_restarted_mid_stream_loses_nothing_and_answers_nothing_twice(
    tmp_path: Path, engine_server: EngineServer, pusher: GatedPusher
) -> None:
    engine = engine_server.engine
    pusher.gate.clear()
    settings = ("--reconnect-max-delay", "1", "--submit-timeout", "0.1")
    async with serve(tmp_path, engine_env(engine_server), *settings) as process:
        await _listening(engine_server, process)
        before = [
            await engine.execute(engine.token, "trigger", trigger_inputs(pusher)) for _ in range(20)
        ]
        await until(lambda: pusher.waiting == 20)
        await engine_server.drop()  # the engine goes away with 20 executions under way
        pusher.gate.set()  # ... which finish while it is away
        await until(lambda: len(pusher.accepted) == 20)
        await asyncio.sleep(1.0)  # a few attempts to reconnect and to submit fail
        await engine_server.start()
        await until(lambda: all(i in engine.results for i in before))
        await until(lambda: engine.task_listeners() == 1)
        after = [
            await engine.execute(engine.token, "trigger", trigger_inputs(pusher)) for _ in range(20)
        ]
        await until(lambda: all(i in engine.results for i in after))
        process.send(signal.SIGTERM)
        assert await process.exit_status() == 0

    assert {engine.results[i].output_key for i in before + after} == {"success"}
    assert_answered_once(engine, before + after)
    log = process.log()
    assert "lost the engine" in log
    assert "could not reach the engine" in log
    assert "attempt=2" in log
    assert "submitting the result failed (DEADLINE_EXCEEDED" in log


async def test_5000_executions_each_answered_exactly_once_in_bounded_memory(
    tmp_path: Path, engine_server: EngineServer, fake_pusher: FakePusher
) -> None:
    engine = engine_server.engine
    inputs = trigger_inputs(fake_pusher, keepAlive=True)
    # The queue holds every execution the engine hands over faster than they run, so all are
    # sent (the in-process overload test covers refusals); memory must stay flat regardless.
    settings = ("--max-in-flight", "100", "--queue-size", "5000")
    async with serve(tmp_path, engine_env(engine_server), *settings) as process:
        await _listening(engine_server, process)
        started, cpu = time.perf_counter(), process.cpu_seconds()
        ids = [await engine.execute(engine.token, "trigger", inputs) for _ in range(1000)]
        await until(lambda: len(engine.results) == 1000)
        after_1000 = process.peak_rss_mb()
        ids += [await engine.execute(engine.token, "trigger", inputs) for _ in range(4000)]
        await until(lambda: len(engine.results) == 5000)
        elapsed = time.perf_counter() - started
        cpu_ms = (process.cpu_seconds() - cpu) / 5
        peak = process.peak_rss_mb()
        process.send(signal.SIGTERM)
        assert await process.exit_status() == 0

    assert sorted(engine.results) == sorted(ids), process.log()
    assert {r.output_key for r in engine.results.values()} == {"success"}
    assert len(engine.submissions) == 5000
    assert len(fake_pusher.accepted) == 5000
    assert peak < 120, f"peak RSS {peak:.1f} MB"
    assert peak - after_1000 < 25, f"RSS grew from {after_1000:.1f} to {peak:.1f} MB"
    print(
        f"\n5000 executions in {elapsed:.1f} s, service CPU {cpu_ms:.2f} ms per execution; "
        f"service peak RSS {after_1000:.1f} MB after 1000, {peak:.1f} MB after 5000"
    )


async def test_1000_in_flight_stay_within_memory_bounds(
    tmp_path: Path, engine_server: EngineServer, pusher: GatedPusher
) -> None:
    engine = engine_server.engine
    pusher.gate.clear()
    inputs = trigger_inputs(pusher, keepAlive=True)
    async with serve(tmp_path, engine_env(engine_server), "--max-in-flight", "1000") as process:
        await _listening(engine_server, process)
        for _ in range(1000):
            await engine.execute(engine.token, "trigger", inputs)
        await until(lambda: pusher.waiting >= 256)  # the HTTP pool's connection limit
        pusher.gate.set()
        await until(lambda: len(engine.results) == 1000)
        peak = process.peak_rss_mb()
        process.send(signal.SIGTERM)
        assert await process.exit_status() == 0
    assert {r.output_key for r in engine.results.values()} == {"success"}
    assert peak < 120, f"peak RSS {peak:.1f} MB"
    print(f"\n1000 executions in flight at once: service peak RSS {peak:.1f} MB")


async def test_unix_socket_endpoint_of_engine_v0_2(tmp_path: Path, fake_pusher: FakePusher) -> None:
    socket = tmp_path / "server.sock"
    engine = Engine()
    async with (
        EngineServer(engine, unix_socket=str(socket)) as server,
        serve(
            tmp_path, {"MESG_TOKEN": server.token, "MESG_ENDPOINT": f"unix://{socket}"}
        ) as process,
    ):
        await _listening(server, process)
        execution = await engine.execute(engine.token, "trigger", trigger_inputs(fake_pusher))
        await until(lambda: execution in engine.results)
        process.send(signal.SIGTERM)
        assert await process.exit_status() == 0
    assert engine.results[execution].output_key == "success"


async def test_json_logs_one_line_per_execution_and_no_secrets(
    tmp_path: Path, engine_server: EngineServer, fake_pusher: FakePusher
) -> None:
    secret = fake_pusher.inputs()["secret"]
    password = "pr0xy-pa55word"
    async with (
        serve(tmp_path, engine_env(engine_server), "--log-format", "json") as process,
        CoreClient(engine_server.address) as client,
        client.results(engine_server.token) as results,
    ):
        await _listening(engine_server, process)
        token = engine_server.token
        good = await client.execute(token, "trigger", trigger_inputs(fake_pusher))
        wrong = await client.execute(
            token, "trigger", trigger_inputs(fake_pusher, secret=secret[::-1])
        )
        proxied = await client.execute(
            token,
            "trigger",
            trigger_inputs(fake_pusher, proxy=f"http://user:{password}@127.0.0.1:9"),
        )
        async with asyncio.timeout(WAIT):
            answers = await results.wait_for([good, wrong, proxied])
        process.send(signal.SIGTERM)
        assert await process.exit_status() == 0

    log = process.log()
    lines = [json.loads(line) for line in log.splitlines()]  # every line is JSON
    executions = {line["execution_id"]: line for line in lines if line["message"] == "execution"}
    assert set(executions) == {good, wrong, proxied}
    for execution_id, line in executions.items():
        assert line["task"] == "trigger"
        assert line["outcome"] == answers[execution_id].outputKey
        assert isinstance(line["duration_ms"], float)
    assert executions[proxied]["error"].startswith("request to http://127.0.0.1:")
    everything = log + "".join(a.outputData for a in answers.values())
    for hidden in (secret, secret[::-1], password):
        assert hidden not in everything


async def test_large_executions_in_flight_are_bounded_by_the_byte_budget(
    tmp_path: Path, engine_server: EngineServer, pusher: GatedPusher
) -> None:
    engine = engine_server.engine
    pusher.gate.clear()  # Pusher hangs: everything taken stays held
    # Each carries an 8 MiB input the task ignores; the default budget is 64 MiB.
    text = json.dumps(trigger_inputs(pusher, pad="x" * (8 << 20)))
    async with serve(tmp_path, engine_env(engine_server)) as process:
        await _listening(engine_server, process)
        ids = [await engine.deliver(engine.token, "trigger", text) for _ in range(20)]
        await until(lambda: len(engine.results) + pusher.waiting == 20)
        peak = process.peak_rss_mb()
        held = pusher.waiting
        pusher.gate.set()
        await until(lambda: len(engine.results) == 20)
        process.send(signal.SIGTERM)
        assert await process.exit_status() == 0

    refused = [engine.results[i].data.get("error", "") for i in ids[held:]]
    assert all(e.startswith("the service is overloaded") for e in refused)
    assert 1 <= held <= 8
    # All 20 held at once took about 600 MB before the budget.
    assert peak < 450, f"peak RSS {peak:.1f} MB"
    print(f"\n20 executions of 8 MiB, Pusher hung: {held} held, peak RSS {peak:.1f} MB")


async def test_ids_holding_the_inputs_leave_no_secret_in_the_text_log(
    tmp_path: Path, fake_pusher: FakePusher
) -> None:
    secret = fake_pusher.inputs()["secret"]
    engine = Engine(ids=IdShape.JOINED)  # v0.1-v0.3: the id holds every input
    async with EngineServer(engine) as server, serve(tmp_path, engine_env(server)) as process:
        await _listening(server, process)
        ids = [
            await engine.execute(engine.token, "trigger", trigger_inputs(fake_pusher, name=n))
            for n in ("a", "b")
        ]
        await until(lambda: all(i in engine.results for i in ids))
        process.send(signal.SIGTERM)
        assert await process.exit_status() == 0

    assert all(secret in i for i in ids)
    log = process.log()
    lines = [line for line in log.splitlines() if " info execution " in line]
    assert len(lines) == 2, log
    assert all(".mesg-pusher.trigger.{…}#" in line for line in lines)
    assert secret not in log


@RELEASES
async def test_serve_under_each_generation_as_the_engine_starts_it(
    tag: str, tmp_path: Path, pusher: GatedPusher
) -> None:
    # The variables the release gives a service, nothing else: serve finds the protocol.
    async with stand_in(tag) as server:
        engine = server.engine
        pusher.delay = 0.3
        async with serve(tmp_path, environment(server), "--reconnect-max-delay", "0.5") as process:
            await _listening(server, process)
            token = engine.token
            before = [
                await engine.execute(token, "trigger", trigger_inputs(pusher)) for _ in range(10)
            ]
            await until(lambda: all(i in engine.results for i in before))
            # The engine restarts (G5: forgetting the registration), with executions under way.
            during = [
                await engine.execute(token, "trigger", trigger_inputs(pusher)) for _ in range(5)
            ]
            await until(lambda: pusher.arrived == 15)
            await server.restart(0.2, forget_tokens=True)
            await until(lambda: all(i in engine.results for i in during))
            await until(lambda: engine.task_listeners() == 1)
            last = [
                await engine.execute(token, "trigger", trigger_inputs(pusher)) for _ in range(10)
            ]
            await until(lambda: pusher.arrived == 25)  # in flight at the signal
            process.send(signal.SIGTERM)
            assert await process.exit_status() == 0, process.log()

    ids = before + during + last
    assert {outcome(engine, i)[0] for i in ids} == {"success"}, process.log()
    assert_answered_once(engine, ids)
    log = process.log()
    first = log.splitlines()[0]
    assert " serving " in first
    assert f'engine="G{release(tag).generation} (' in first or 'engine="auto: ' in first
    if 'engine="auto: ' in first:
        assert f"found the engine's protocol engine=\"G{release(tag).generation} (" in log
    if release(tag).generation == 5:
        assert log.count("registered with the engine as its runner") >= 2


async def test_an_engine_release_it_does_not_know_is_a_usage_error(
    tmp_path: Path, engine_server: EngineServer
) -> None:
    env = {**engine_env(engine_server), "MESG_PUSHER_ENGINE": "v0.27"}
    async with serve(tmp_path, env) as process:
        assert await process.exit_status() == 2
    [line] = process.log().splitlines()
    assert line == (
        "mesg-pusher serve: error: MESG_PUSHER_ENGINE: 'v0.27' is not a MESG engine release: "
        "give one from v0.1.0 to v0.26.0, like v0.16.0, or a series like v0.18, or auto "
        "(got 'v0.27')"
    )
