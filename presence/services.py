"""Presence bookkeeping: a user's first connection brings them online, the last one takes them offline."""

import logging
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.services import mark_last_seen
from chatbackend.db import db
from chatbackend.errors import TooManyConnections
from chatbackend.events import Handover, hub, run_on_commit
from chatbackend.redis_clients import async_redis, sync_redis
from presence.stats import LiveStatsPublisher
from presence.store import MemoryPresenceStore, PresenceStore, RedisPresenceStore

logger = logging.getLogger(__name__)


def isoformat(when: datetime) -> str:
    """A time as the API writes it: ISO 8601 UTC with a Z."""
    return when.isoformat().replace("+00:00", "Z")


@cache
def presence_store() -> PresenceStore:
    """The process's presence store, chosen by REDIS_URL."""
    if settings.REDIS_URL:
        return RedisPresenceStore(
            client=async_redis(),
            sync_client=sync_redis(),
            prefix=settings.CHAT["SOCKETIO_CHANNEL"],
            ttl_ms=settings.CHAT["PRESENCE_TTL_MS"],
        )
    return MemoryPresenceStore()


async def connection_opened(*, user_id: int, sid: str) -> bool:
    """Record a connection; True if the user just came online. Raises TooManyConnections past the cap."""
    limit = settings.CHAT["MAX_CONNECTIONS_PER_USER"]
    count = await presence_store().add_connection(user_id, sid, limit)
    if count == 0:
        raise TooManyConnections(f"At most {limit} connections per user: close another one first.")
    return count == 1


async def connection_closed(*, user_id: int, sid: str) -> datetime | None:
    """Forget a connection; if it was the user's last, save and return their lastSeen."""
    if not await presence_store().remove_connection(user_id, sid):
        return None
    when = timezone.now()
    try:
        await db(mark_last_seen)(user_id=user_id, when=when)
    except Exception:  # the database is away: the user is offline all the same
        logger.exception("lastSeen of user %s not saved", user_id)
    return when


async def reap_dead_processes() -> dict[int, datetime]:
    """Take offline the users whose only connections were held by a process that died; their lastSeen."""
    offline = await presence_store().reap_dead_processes()
    when = timezone.now()
    for user_id in offline:
        await db(mark_last_seen)(user_id=user_id, when=when)
    return {user_id: when for user_id in offline}


async def resync(local: set[tuple[int, str]]) -> tuple[dict[int, datetime], set[int]]:
    """Make the store agree with this process's open connections after Redis lost or missed an update.

    Returns the users that went offline (with lastSeen) and those that came online by it.
    """
    store = presence_store()
    recorded = await store.process_connections()
    offline: dict[int, datetime] = {}
    online: set[int] = set()
    for user_id, sid in recorded - local:
        last_seen = await connection_closed(user_id=user_id, sid=sid)
        if last_seen is not None:
            offline[user_id] = last_seen
    for user_id, sid in local - recorded:
        if await store.add_connection(user_id, sid, settings.CHAT["MAX_CONNECTIONS_PER_USER"] + 1) == 1:
            online.add(user_id)
    return offline, online


@cache
def live_stats_publisher() -> LiveStatsPublisher | None:
    """This process's publisher of live figures to Redis (None without REDIS_URL: nothing to share)."""
    store = presence_store()
    if not isinstance(store, RedisPresenceStore):
        return None
    return LiveStatsPublisher(
        client=store.client, prefix=store.prefix, process_id=store.process_id, ttl_ms=settings.CHAT["PRESENCE_TTL_MS"]
    )


async def heartbeat(*, connections: int, room_ids: set[int], messages_stored: int) -> None:
    """Tell the other processes this one is alive, and publish its live figures."""
    await presence_store().heartbeat()
    publisher = live_stats_publisher()
    if publisher is not None:
        await publisher.publish(connections=connections, room_ids=room_ids, messages_stored=messages_stored)


async def connection_sids(*, user_id: int) -> list[str]:
    """The Socket.IO sids of every open connection of the user, in any process."""
    return await presence_store().connection_sids(user_id)


def connection_sids_sync(*, user_id: int) -> list[str]:
    """From sync code without an event loop (a management command): the user's sids, in any process."""
    return presence_store().connection_sids_sync(user_id)


def unsubscribe_user_on_commit(*, user_id: int, channel: str) -> None:
    """Once committed, take every open connection of the user, in any process, out of a Socket.IO room.

    This store knows the user's connections across processes, and the Channels manager relays the leave of a
    connection held by another process to that process. From a process without a Socket.IO server (a shell, a
    management command) the leaves go through Redis; with neither a server here nor REDIS_URL, nothing can reach
    the server process, and its connections hold the room until they leave or reconnect (logged at warning).
    """

    async def unsubscribe() -> None:
        for sid in await connection_sids(user_id=user_id):
            await hub.leave_channel(sid, channel)

    def from_elsewhere() -> None:
        if not hub.leave_channel_from_elsewhere(connection_sids_sync(user_id=user_id), channel):
            logger.warning("no Socket.IO server here and no REDIS_URL: user %s keeps %s live", user_id, channel)

    run_on_commit(unsubscribe, otherwise=from_elsewhere)


def disconnect_user(*, user_id: int, **_: Any) -> None:
    """From sync code, after a commit: close every open connection of the user, in any process (their
    subscriptions end with them). From a process without a Socket.IO server (a management command) the
    disconnects go through Redis. The receiver of accounts' `sessions_ended` (presence/apps.py)."""

    async def disconnect() -> None:
        for sid in await connection_sids(user_id=user_id):
            await hub.disconnect(sid)

    if hub.hand_over(Handover(disconnect, alone=True)):
        return
    if not hub.disconnect_from_elsewhere(connection_sids_sync(user_id=user_id)):
        logger.debug("no Socket.IO server in this process and no REDIS_URL: user %s not disconnected", user_id)


def online_user_ids_sync(user_ids: list[int]) -> set[int]:
    """From sync code (a REST view): which of these users are online."""
    return presence_store().online_user_ids_sync(user_ids)
