"""Abuse limits in DRF's rate syntax ("N/second|minute|hour|day"), kept by DRF's throttle machinery in Django's
cache (Redis when REDIS_URL is set): throttles of views. The wrong-invite-code limit must hold under concurrency,
which DRF's read-then-write history cannot: it is an atomic counter (rooms/invite_limit.py).

The message rate limit of sends is not one of these: it must be exact under concurrency and checked for a whole
batch in one round trip (messaging/ratelimit.py).
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class ChatRateThrottle(SimpleRateThrottle):
    """A DRF throttle whose rate is read from settings.CHAT["THROTTLE_RATES"] when it runs (not at import)."""

    def get_rate(self) -> str | None:
        return str(settings.CHAT["THROTTLE_RATES"][self.scope])
