"""The event bus sends what a service published once it committed, in order, and never makes the writer wait."""

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
import socketio
from django.db import transaction

from chatbackend import events
from chatbackend.db import db
from chatbackend.events import Hub, run_on_commit
from chatbackend.outbox import Handover


@pytest.fixture
def loop_in_thread() -> Iterator[asyncio.AbstractEventLoop]:
    """A running event loop on its own thread, as a server process has."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop

    async def cancel_the_rest() -> None:
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run_coroutine_threadsafe(cancel_the_rest(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def test_a_worker_thread_hands_work_over_without_waiting_and_it_runs_in_order(
    loop_in_thread: asyncio.AbstractEventLoop,
) -> None:
    hub = Hub()
    hub.attach(socketio.AsyncServer(async_mode="asgi"))
    hub.bind_loop(loop_in_thread)
    ran: list[int] = []
    done = threading.Event()

    def step(number: int, seconds: float) -> Handover:
        async def run() -> None:
            await asyncio.sleep(seconds)
            ran.append(number)
            if number == 3:
                done.set()

        return Handover(run, alone=True)

    started = time.monotonic()
    for number, seconds in ((1, 0.3), (2, 0.0), (3, 0.1)):
        assert hub.hand_over(step(number, seconds))
    assert time.monotonic() - started < 0.2  # a slow delivery does not hold the thread that committed
    assert done.wait(5)
    assert ran == [1, 2, 3]


def test_without_a_server_nothing_is_handed_over() -> None:
    async def run() -> None:
        raise AssertionError("must not run")

    assert not Hub().hand_over(Handover(run))


@pytest.mark.django_db(transaction=True)
async def test_db_sends_what_its_unit_published_on_commit_before_it_returns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events.hub, "server", socketio.AsyncServer(async_mode="asgi"))
    sent: list[str] = []

    def work(label: str) -> None:
        async def run() -> None:
            sent.append(label)

        run_on_commit(run, otherwise=lambda: sent.append("without a server"))

    def committed_then_rolled_back() -> str:
        with transaction.atomic():
            work("committed")
        try:
            with transaction.atomic():
                work("rolled back")
                raise RuntimeError("the write fails")
        except RuntimeError:
            pass
        return "stored"

    assert await db(committed_then_rolled_back)() == "stored"
    assert sent == ["committed"]
