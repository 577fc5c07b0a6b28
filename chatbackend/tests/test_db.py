"""The DB helper runs concurrent handlers' ORM work in parallel, off the event loop."""

import asyncio
import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from chatbackend.db import db


def _sleep_in_database(seconds: float) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT SLEEP(%s)", [seconds])
    return threading.current_thread().name


@pytest.mark.mysql  # SLEEP() is MySQL's; SQLite runs one writer at a time anyway
@pytest.mark.django_db(transaction=True)
def test_concurrent_db_work_does_not_queue_behind_one_thread() -> None:
    calls = min(8, settings.CHAT["DB_THREADS"])

    async def scenario() -> tuple[float, set[str], float]:
        loop_ticks = 0

        async def ticker() -> None:  # the event loop stays free while the queries run
            nonlocal loop_ticks
            while True:
                await asyncio.sleep(0.01)
                loop_ticks += 1

        tick_task = asyncio.create_task(ticker())
        started = time.monotonic()
        threads = await asyncio.gather(*(db(_sleep_in_database)(0.5) for _ in range(calls)))
        elapsed = time.monotonic() - started
        tick_task.cancel()
        return elapsed, set(threads), loop_ticks

    elapsed, threads, ticks = asyncio.run(scenario())
    # One shared thread would take calls * 0.5 s; the pool runs them side by side.
    assert elapsed < 0.5 * calls / 2, f"{calls} half-second queries took {elapsed:.2f}s"
    assert len(threads) == calls and all(name.startswith("db") for name in threads)
    assert ticks > 20, "the event loop was blocked while the queries ran"
