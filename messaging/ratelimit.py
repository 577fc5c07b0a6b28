"""The message rate limit: a sliding window per user per room, in memory or in Redis (shared by processes)."""

import hashlib
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from functools import cache
from typing import Protocol

import redis
from django.conf import settings

from chatbackend.errors import RateLimited
from chatbackend.redis_clients import sync_redis


class RateLimiter(Protocol):
    def hit_many(self, keys: Sequence[tuple[int, int]]) -> list[RateLimited | None]:
        """Count one message for each (user id, room id), in order: None where it is accepted, else its refusal
        (RateLimited with the wait until the next one is allowed)."""


class MemoryRateLimiter:
    """One process: a deque of acceptance times per (user, room)."""

    def __init__(self, *, limit: int, window_ms: int) -> None:
        self.limit = limit
        self.window_ms = window_ms
        self._lock = threading.Lock()
        self._hits: dict[tuple[int, int], deque[float]] = {}

    def hit_many(self, keys: Sequence[tuple[int, int]]) -> list[RateLimited | None]:
        now_ms = time.monotonic() * 1000
        with self._lock:
            refusals = [self._hit(key, now_ms) for key in keys]
            if len(self._hits) > 100_000:  # drop idle keys so the table cannot grow without bound
                for key in [
                    key for key, times in self._hits.items() if not times or times[-1] <= now_ms - self.window_ms
                ]:
                    del self._hits[key]
        return refusals

    def _hit(self, key: tuple[int, int], now_ms: float) -> RateLimited | None:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now_ms - self.window_ms:
            hits.popleft()
        if len(hits) >= self.limit:
            return RateLimited(retry_after_ms=max(1, int(hits[0] + self.window_ms - now_ms) + 1))
        hits.append(now_ms)
        return None


# A sorted set of acceptance times per (user, room); check and add in one atomic step on the Redis server,
# timed by Redis' clock so that processes on different machines agree.
_SLIDING_WINDOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, math.floor(tonumber(oldest[2]) + window - now) + 1)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 0
"""


class RedisRateLimiter:
    """Several processes: the window lives in Redis and is checked atomically by a Lua script.

    Each thread checks on a connection it keeps (a second one for a batch's pipeline), from a private pool made
    like `client`'s: redis-py's pool checkout and release around every command cost more CPU than the check itself
    in a thread that sleeps between sends (bench/README.md), and connections held per thread must not starve the
    shared pool's other users.
    """

    def __init__(self, *, client: redis.Redis, prefix: str, limit: int, window_ms: int) -> None:
        self.limit = limit
        self.window_ms = window_ms
        self.prefix = prefix
        self._pool = client.connection_pool
        self._local = threading.local()
        # The script's name in Redis' script cache.
        self._sha = hashlib.sha1(_SLIDING_WINDOW.encode(), usedforsecurity=False).hexdigest()

    def hit_many(self, keys: Sequence[tuple[int, int]]) -> list[RateLimited | None]:
        # One round trip for a whole batch of sends: the scripts run in order on the Redis server. EVALSHA
        # directly: redis-py's Script in a pipeline asks SCRIPT EXISTS first, a second round trip per batch (inside
        # the batch's transaction). A Redis that does not know the script (restarted, flushed) refuses every
        # EVALSHA of the pipeline, so none of them counted: load it and run the batch again.
        client = self._client()
        try:
            waits = self._run(client, keys)
        except redis.exceptions.NoScriptError:
            client.script_load(_SLIDING_WINDOW)
            waits = self._run(client, keys)
        return [RateLimited(retry_after_ms=wait_ms) if wait_ms > 0 else None for wait_ms in waits]

    def _client(self) -> redis.Redis:
        client = getattr(self._local, "client", None)
        if client is None:
            pool = redis.ConnectionPool(connection_class=self._pool.connection_class, **self._pool.connection_kwargs)
            client = self._local.client = redis.Redis(connection_pool=pool, single_connection_client=True)
        return client

    def _run(self, client: redis.Redis, keys: Sequence[tuple[int, int]]) -> list[int]:
        arguments = [
            (self._sha, 1, f"{self.prefix}:rate:{user_id}:{room_id}", self.window_ms, self.limit, uuid.uuid4().hex)
            for user_id, room_id in keys
        ]
        if len(arguments) == 1:  # the usual case: a pipeline costs more than a plain command for one
            return [int(client.evalsha(*arguments[0]))]
        pipeline = client.pipeline(transaction=False)
        for args in arguments:
            pipeline.evalsha(*args)
        return [int(wait_ms) for wait_ms in pipeline.execute()]


@cache
def rate_limiter() -> RateLimiter:
    """The process's rate limiter, chosen by REDIS_URL."""
    chat = settings.CHAT
    if settings.REDIS_URL:
        return RedisRateLimiter(
            client=sync_redis(),
            prefix=chat["SOCKETIO_CHANNEL"],
            limit=chat["MESSAGE_RATE_LIMIT"],
            window_ms=chat["MESSAGE_RATE_WINDOW_MS"],
        )
    return MemoryRateLimiter(limit=chat["MESSAGE_RATE_LIMIT"], window_ms=chat["MESSAGE_RATE_WINDOW_MS"])
