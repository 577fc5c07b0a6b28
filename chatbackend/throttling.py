"""Abuse limits in DRF's rate syntax ("N/second|minute|hour|day"), kept by DRF's throttle machinery in Django's
cache (Redis when REDIS_URL is set): throttles of views, and limits on failures such as wrong invite codes.

The message rate limit of sends is not one of these: it must be exact under concurrency and checked for a whole
batch in one round trip (messaging/ratelimit.py).
"""

from typing import Any

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from chatbackend.errors import RateLimited


class ChatRateThrottle(SimpleRateThrottle):
    """A DRF throttle whose rate is read from settings.CHAT["THROTTLE_RATES"] when it runs (not at import)."""

    def get_rate(self) -> str | None:
        return str(settings.CHAT["THROTTLE_RATES"][self.scope])


class FailureThrottle(ChatRateThrottle):
    """Counts failures, not requests: `check` refuses a key that failed the rate's N times within its period,
    `count` records one failure. The same sliding window as DRF's throttles (a list of times per key)."""

    num_requests: int
    duration: int

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__()

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return None  # not a view throttle: see check and count

    def _load(self, ident: str) -> None:
        self.key = self.cache_format % {"scope": self.scope, "ident": ident}
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()

    def check(self, ident: str, *, message: str) -> None:
        """Raise RateLimited (with the wait until the oldest failure expires) once the key used up its failures."""
        self._load(ident)
        if len(self.history) >= self.num_requests:
            raise RateLimited(message, retry_after_ms=max(1, int((self.wait() or self.duration) * 1000)))

    def count(self, ident: str) -> None:
        """Record one failure of the key."""
        self._load(ident)
        self.throttle_success()
