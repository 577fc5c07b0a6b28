"""Presence bookkeeping: a user's first connection brings them online, the last one takes them offline."""

from datetime import datetime
from functools import cache

from django.conf import settings
from django.utils import timezone

from accounts.services import mark_last_seen
from chatbackend.db import db
from presence.store import MemoryPresenceStore, PresenceStore, RedisPresenceStore


@cache
def presence_store() -> PresenceStore:
    """The process's presence store, chosen by REDIS_URL."""
    if settings.REDIS_URL:
        return RedisPresenceStore(
            url=settings.REDIS_URL,
            prefix=settings.CHAT["SOCKETIO_CHANNEL"],
            ttl_ms=settings.CHAT["PRESENCE_TTL_MS"],
        )
    return MemoryPresenceStore()


async def connection_opened(*, user_id: int, sid: str) -> bool:
    """Record a connection; True if the user just came online."""
    return await presence_store().add_connection(user_id, sid)


async def connection_closed(*, user_id: int, sid: str) -> datetime | None:
    """Forget a connection; if it was the user's last, save and return their lastSeen."""
    if not await presence_store().remove_connection(user_id, sid):
        return None
    when = timezone.now()
    await db(mark_last_seen)(user_id=user_id, when=when)
    return when


async def reap_dead_processes() -> dict[int, datetime]:
    """Take offline the users whose only connections were held by a process that died; their lastSeen."""
    offline = await presence_store().reap_dead_processes()
    when = timezone.now()
    for user_id in offline:
        await db(mark_last_seen)(user_id=user_id, when=when)
    return {user_id: when for user_id in offline}


async def online_user_ids(user_ids: list[int]) -> set[int]:
    return await presence_store().online_user_ids(user_ids)


async def connection_sids(*, user_id: int) -> list[str]:
    """The Socket.IO sids of every open connection of the user, in any process."""
    return await presence_store().connection_sids(user_id)


def online_user_ids_sync(user_ids: list[int]) -> set[int]:
    """From sync code (a REST view): which of these users are online."""
    return presence_store().online_user_ids_sync(user_ids)
