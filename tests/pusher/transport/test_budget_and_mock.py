"""The connection budget of the pool, and the mock transport."""

from __future__ import annotations

import asyncio

import pytest

from mesg_pusher import PusherConnectionError
from mesg_pusher.pusher import Connection, HttpRequest, MockTransport, Transport
from mesg_pusher.pusher.transport import ConnectionBudget

REQUEST = HttpRequest("POST", "/apps/1/events", "auth_key=k", b"{}")
CONNECTION = Connection.create(host="127.0.0.1", port=9)


def test_units_are_taken_up_to_the_limit_and_given_back() -> None:
    budget = ConnectionBudget(2)
    assert budget.take_now()
    assert budget.take_now()
    assert not budget.take_now()
    budget.give_back()
    assert budget.take_now()
    assert budget.open == 2


def test_a_budget_has_room_for_one_connection_at_least() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ConnectionBudget(0)


def test_when_full_an_idle_connection_is_closed_and_its_unit_handed_on() -> None:
    idle = ["a connection"]
    budget = ConnectionBudget(1, lambda: bool(idle and idle.pop()))
    assert budget.take_now()
    assert budget.take_now()  # the idle one was closed for it
    assert not budget.take_now()
    assert budget.open == 1


async def test_waiters_are_served_in_order() -> None:
    budget = ConnectionBudget(1)
    assert budget.take_now()
    order: list[int] = []

    async def wait(n: int) -> None:
        assert await budget.take()
        order.append(n)

    tasks = [asyncio.create_task(wait(n)) for n in range(3)]
    await asyncio.sleep(0)
    for _ in range(3):
        budget.give_back()
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2]


async def test_a_waiter_can_stop_needing_a_unit() -> None:
    budget = ConnectionBudget(1)
    assert budget.take_now()
    idle: list[str] = []
    waiting = asyncio.create_task(budget.take(lambda: bool(idle)))
    await asyncio.sleep(0)
    idle.append("a connection to the same endpoint")
    budget.notify()
    assert await waiting is False
    assert budget.open == 1


async def test_a_woken_waiter_that_leaves_passes_its_turn_on() -> None:
    budget = ConnectionBudget(1)
    assert budget.take_now()
    first = asyncio.create_task(budget.take())
    second = asyncio.create_task(budget.take())
    await asyncio.sleep(0)
    budget.give_back()  # wakes the first...
    first.cancel()  # ...which leaves before it runs
    assert await asyncio.wait_for(second, 5) is True
    assert first.cancelled()


async def test_closing_wakes_every_waiter_empty_handed() -> None:
    budget = ConnectionBudget(1)
    assert budget.take_now()
    waiters = [asyncio.create_task(budget.take()) for _ in range(2)]
    await asyncio.sleep(0)
    budget.close()
    assert [await waiter for waiter in waiters] == [False, False]
    assert await budget.take() is False
    assert budget.closed
    assert budget.open == 1


async def test_the_mock_answers_from_its_handler_and_records_each_request() -> None:
    def handler(connection: Connection, request: HttpRequest) -> tuple[int, bytes]:
        return 202, request.path.encode()

    transport: Transport = MockTransport(handler)
    assert await transport.send(CONNECTION, REQUEST) == (202, b"/apps/1/events")
    assert isinstance(transport, MockTransport)
    assert transport.sent == [(CONNECTION, REQUEST)]


async def test_the_mock_takes_coroutines_and_failures() -> None:
    async def handler(connection: Connection, request: HttpRequest) -> tuple[int, bytes]:
        await asyncio.sleep(0)
        raise PusherConnectionError("http://127.0.0.1:9/apps/1/events", "refused", sent=False)

    transport = MockTransport(handler)
    with pytest.raises(PusherConnectionError, match="refused"):
        await transport.send(CONNECTION, REQUEST)
    assert len(transport.sent) == 1


async def test_a_closed_mock_refuses_requests_as_the_real_ones_do() -> None:
    transport = MockTransport(lambda connection, request: (200, b"{}"))
    await transport.close()
    with pytest.raises(RuntimeError, match="closed"):
        await transport.send(CONNECTION, REQUEST)
    assert transport.sent == []
