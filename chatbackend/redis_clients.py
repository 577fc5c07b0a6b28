"""The process's Redis connections: one bounded pool for async code, one for sync code (DB threads, views).

Unbounded pools grow to the highest concurrency ever seen; bounded ones make a burst wait for a connection
instead. Timeouts keep a hung Redis from holding an event-loop task or a DB thread forever: the caller gets a
redis error, which the API reports as `unavailable`.
"""

from functools import cache

import redis
import redis.asyncio as aioredis
from django.conf import settings

SOCKET_TIMEOUT_S = 5
CONNECT_TIMEOUT_S = 2


@cache
def async_redis() -> aioredis.Redis:
    """For the event loop (presence, live stats). Bound to the loop of its first use: the server's one loop."""
    pool = aioredis.BlockingConnectionPool.from_url(
        settings.REDIS_URL,
        max_connections=settings.CHAT["REDIS_POOL_SIZE"],
        timeout=SOCKET_TIMEOUT_S,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
    )
    return aioredis.Redis(connection_pool=pool)


@cache
def sync_redis() -> redis.Redis:
    """For sync code (rate limits in DB threads, REST views): thread-safe, at most one connection per thread."""
    pool = redis.BlockingConnectionPool.from_url(
        settings.REDIS_URL,
        max_connections=settings.CHAT["DB_THREADS"] + 4,
        timeout=SOCKET_TIMEOUT_S,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
    )
    return redis.Redis(connection_pool=pool)
