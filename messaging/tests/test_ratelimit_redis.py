"""The Redis rate limiter: one round trip per batch of sends, exact at the limit, and unaffected by a Redis that
lost its script cache (restarted or flushed). On a private redis-server: flushing its scripts disturbs no one."""

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from chatbackend.errors import RateLimited
from messaging.ratelimit import RedisRateLimiter


class CountingConnection(redis.Connection):
    """Counts the round trips (command batches written) of its client."""

    sent = 0

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.sent += 1
        super().send_packed_command(command, check_health)


@pytest.fixture
def client(second_redis_shard: str) -> Iterator[redis.Redis]:
    pool = redis.ConnectionPool.from_url(second_redis_shard, connection_class=CountingConnection)
    connection = redis.Redis(connection_pool=pool)
    yield connection
    connection.close()
    pool.disconnect()


def limiter(client: redis.Redis, limit: int = 5) -> RedisRateLimiter:
    return RedisRateLimiter(client=client, prefix=f"test-{uuid.uuid4().hex[:8]}", limit=limit, window_ms=60_000)


def test_a_batch_of_sends_is_checked_in_one_round_trip(client: redis.Redis) -> None:
    rates = limiter(client)
    rates.hit_many([(1, 1)])  # the first calls may load the script and connect: one key goes on the thread's
    rates.hit_many([(3, 3), (4, 4)])  # own connection, a batch in a pipeline on a second one from its pool
    before = CountingConnection.sent
    assert rates.hit_many([(1, 1), (2, 1), (1, 2)]) == [None, None, None]
    assert CountingConnection.sent - before == 1  # EVALSHA x3 in one pipeline, no SCRIPT EXISTS before it
    assert rates.hit_many([(1, 1)]) == [None]
    assert CountingConnection.sent - before == 2


def test_the_limit_is_exact_within_a_batch_and_across_batches(client: redis.Redis) -> None:
    rates = limiter(client, limit=5)
    first = rates.hit_many([(7, 3)] * 4)
    assert first == [None] * 4
    second = rates.hit_many([(7, 3), (7, 3), (8, 3)])
    assert second[0] is None and second[2] is None  # the fifth hit passes, another user's is apart
    assert second[1] is not None and 0 < second[1].retry_after_ms <= 60_001  # the window, rounded up


def test_a_redis_that_lost_its_scripts_still_counts_every_hit_once(client: redis.Redis) -> None:
    rates = limiter(client, limit=3)
    assert rates.hit_many([(5, 9)]) == [None]
    client.script_flush()  # as after a Redis restart
    assert rates.hit_many([(5, 9), (5, 9)]) == [None, None]  # loaded again; the refused pipeline counted nothing
    refused = rates.hit_many([(5, 9)])[0]
    assert refused is not None and refused.retry_after_ms > 0


def test_threads_on_their_own_connections_share_one_window(client: redis.Redis) -> None:
    rates = limiter(client, limit=4)
    results: list[list[RateLimited | None]] = []

    def send_twice() -> None:
        results.append(rates.hit_many([(6, 6)]) + rates.hit_many([(6, 6)]))

    for _ in range(2):  # one thread after the other: each opens its own connection
        thread = threading.Thread(target=send_twice)
        thread.start()
        thread.join()
    assert results == [[None, None], [None, None]]
    refused = rates.hit_many([(6, 6)])[0]  # a third thread (this one): the window is full
    assert refused is not None and refused.retry_after_ms > 0
