"""The profile's arithmetic: py-spy's collapsed stacks charged to modules, as CPU per execution."""

from __future__ import annotations

import math

from bench import _profile

SITE = "/work/.venv/lib/python3.11/site-packages"
STDLIB = "/usr/lib/python3.11"
SRC = "/work/src"


def test_a_frame_file_names_its_dotted_module() -> None:
    assert _profile.module_of(f"{SITE}/grpc/aio/_call.py") == "grpc.aio._call"
    assert _profile.module_of(f"{STDLIB}/asyncio/events.py") == "asyncio.events"
    assert _profile.module_of(f"{SRC}/mesg_pusher/runtime/_executions.py") == (
        "mesg_pusher.runtime._executions"
    )
    assert _profile.module_of(f"{SRC}/mesg_pusher/pusher/__init__.py") == "mesg_pusher.pusher"
    assert _profile.module_of("<string>") == "<string>"


def test_samples_are_charged_to_the_innermost_frame() -> None:
    raw = [
        f"main (x.py);run ({STDLIB}/asyncio/runners.py);_invoke ({SITE}/grpc/aio/_call.py) 6",
        f"main (x.py);settle ({SRC}/mesg_pusher/runtime/_ledger.py) 3",
        f"_bootstrap ({STDLIB}/threading.py);Thread.run ({STDLIB}/threading.py) 2",
        f"main (x.py);_invoke ({SITE}/grpc/aio/_call.py) 1",
        "",
        "not a sample line",
    ]
    counts = _profile.leaf_frames(raw)
    assert counts == {
        ("grpc.aio._call", "_invoke"): 7,
        ("mesg_pusher.runtime._ledger", "settle"): 3,
        (_profile.POLLER, "Thread.run"): 2,
    }
    by_group = _profile.shares(counts, cpu_ms=0.6)
    assert [(s.name, s.samples) for s in by_group] == [
        ("grpc", 7),
        ("mesg_pusher.runtime", 3),
        (_profile.POLLER, 2),
    ]
    assert math.isclose(by_group[0].ms_per_execution, 0.35)
    assert math.isclose(sum(s.fraction for s in by_group), 1.0)
    by_function = _profile.shares(counts, cpu_ms=0.6, by="function")
    assert by_function[0].name == "grpc.aio._call: _invoke"
    assert _profile.shares({}, cpu_ms=0.6) == []


def test_the_table_sums_what_it_leaves_out() -> None:
    rows = _profile.shares({("a", "f"): 5, ("b", "g"): 3, ("c", "h"): 2}, cpu_ms=1.0)
    assert _profile.table(rows, top=1).splitlines() == [
        "| Module | Share of samples | CPU ms per execution |",
        "| --- | ---: | ---: |",
        "| a | 50.0% | 0.500 |",
        "| 2 others | 50.0% | 0.500 |",
    ]


def test_with_an_owner_a_sample_goes_to_its_innermost_frame_of_ours() -> None:
    raw = [
        f"run ({SRC}/mesg_pusher/runtime/_cli.py);"
        f"send ({SRC}/mesg_pusher/pusher/transport/_pool.py);"
        f"write ({STDLIB}/asyncio/selector_events.py) 4",
        f"run ({SRC}/mesg_pusher/runtime/_cli.py);select ({STDLIB}/selectors.py) 2",
        f"_bootstrap ({STDLIB}/threading.py);Thread.run ({STDLIB}/threading.py) 1",
    ]
    assert _profile.leaf_frames(raw, owner="mesg_pusher.") == {
        ("mesg_pusher.pusher.transport._pool", "send"): 4,
        ("mesg_pusher.runtime._cli", "run"): 2,
        (_profile.POLLER, "Thread.run"): 1,
    }
    assert ("asyncio.selector_events", "write") in _profile.leaf_frames(raw)
