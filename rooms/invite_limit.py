"""The wrong-invite-code limit: each try takes a slot of a per-user counter first, atomically, and a right code
gives its slot back, so concurrent guesses cannot all be tried against the same count.

The counter is a Redis INCR (with its expiry set in the same script) when REDIS_URL is set, shared by every
process; otherwise the process's cache, whose `incr` holds a lock.
"""

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

from chatbackend.errors import RateLimited
from chatbackend.redis_clients import sync_redis

_TAKE = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


def _limit() -> tuple[int, int]:
    """(wrong codes allowed, window in seconds) from the DRF-style rate "N/period"."""
    count, period = settings.CHAT["THROTTLE_RATES"]["invite_code_failures"].split("/")
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


def _key(user_id: int) -> str:
    return f"{settings.CHAT['SOCKETIO_CHANNEL']}:invite-failures:{user_id}"


def _take(key: str, window: int) -> int:
    if settings.REDIS_URL:
        return int(sync_redis().eval(_TAKE, 1, key, window))
    cache.add(key, 0, timeout=window)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 0, timeout=window)
        return int(cache.incr(key))


def _give_back(key: str) -> None:
    if settings.REDIS_URL:
        sync_redis().decr(key)
        return
    with contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
        cache.decr(key)


@contextmanager
def invite_code_attempt(*, user_id: int) -> Iterator[None]:
    """Around trying one invite code: raises RateLimited once the user's wrong codes reach the limit (even a right
    code then waits for the window). A code found right (the block ends normally) is not counted; a block that
    raises counts as a wrong code."""
    limit, window = _limit()
    key = _key(user_id)
    if _take(key, window) > limit:
        raise RateLimited("Too many wrong invite codes: try again later.", retry_after_ms=window * 1000)
    yield
    _give_back(key)
