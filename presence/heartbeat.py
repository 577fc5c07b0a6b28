"""This process's connections in the presence store, and the heartbeat that keeps the store true.

One `ProcessPresence` per server process, owned by the Socket.IO namespace. It records each connection as it opens
and closes, and beats every PRESENCE_HEARTBEAT_MS: it tells the other processes this one is alive (with its live
figures for `manage.py chat_stats`), reaps the connections of processes that died, and, after Redis or MySQL was
unreachable, makes the store agree again with the connections this process really holds. Who hears that a user
came online or went offline is the namespace's business: it passes `announce`.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from django.conf import settings

from chatbackend import metrics
from presence import services

logger = logging.getLogger(__name__)

# announce(user_id, status, **extra): tell whoever should know that the user is "online" or "offline".
Announce = Callable[..., Awaitable[None]]


class ProcessPresence:
    def __init__(self, *, announce: Announce, subscribed_room_ids: Callable[[], set[int]]) -> None:
        self._announce = announce
        self._subscribed_room_ids = subscribed_room_ids
        self._connections: dict[str, int] = {}  # sid -> user id, of this process
        self._dirty = False  # the store may have missed an update: resync at the next beat
        self._task: asyncio.Task[None] | None = None
        self._starting: asyncio.Future[None] | None = None  # the first beat, while it is on its way

    @property
    def sids(self) -> list[str]:
        """The connections this process holds."""
        return list(self._connections)

    async def start(self) -> bool:
        """Start the heartbeat once, as the server starts (chatbackend/asgi.py) or at the first connection at the
        latest; True for the caller that started it. Callers that overlap (a burst of first connections) wait for
        the same first beat: one loop beats, not one per connection of the burst."""
        if self._task is not None:
            return False
        first = self._starting is None
        starting = self._starting = self._starting or asyncio.ensure_future(self._first_beat())
        try:
            await asyncio.shield(starting)
        finally:
            if starting.done() and self._task is None and self._starting is starting:
                self._starting = None  # the first beat failed (Redis away): the next caller tries again
        return first

    async def _first_beat(self) -> None:
        await services.presence_store().heartbeat()  # be known alive before holding any connection
        self._task = asyncio.create_task(self._beat_forever(), name="presence-heartbeat")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def opened(self, *, user_id: int, sid: str) -> bool:
        """Record a connection; True if the user just came online. Raises TooManyConnections past the cap, or
        the store's error (nothing is recorded then)."""
        self._connections[sid] = user_id
        try:
            return await services.connection_opened(user_id=user_id, sid=sid)
        except Exception:
            self._connections.pop(sid, None)
            raise

    async def closed(self, *, user_id: int, sid: str) -> datetime | None:
        """Forget a connection; the user's lastSeen if it was their last. A store failure is settled by the next
        beat's resync."""
        self._connections.pop(sid, None)
        try:
            return await services.connection_closed(user_id=user_id, sid=sid)
        except Exception:  # Redis unreachable: the heartbeat's resync settles it later
            self._dirty = True
            logger.exception("presence of connection %s not recorded as closed", sid)
            return None

    async def _beat_forever(self) -> None:
        interval = settings.CHAT["PRESENCE_HEARTBEAT_MS"] / 1000
        while True:  # beats (and reaps) at once: a process that starts settles presence left by a crashed one
            try:
                await self._beat()
                for user_id, when in (await services.reap_dead_processes()).items():
                    await self._announce_offline(user_id, when)
                if self._dirty:
                    await self._resync()
            except Exception as exc:  # Redis or MySQL away: keep beating, the next round retries and resyncs
                if not self._dirty:
                    logger.warning("presence heartbeat failed, retrying every beat: %r", exc)
                self._dirty = True
            await asyncio.sleep(interval)

    async def _beat(self) -> None:
        """Beat the heartbeat with this process's live figures, timed."""
        with metrics.REDIS_SECONDS.time():
            await services.heartbeat(
                connections=int(metrics.current(metrics.CONNECTED_SOCKETS)),
                room_ids=self._subscribed_room_ids(),
                messages_stored=int(metrics.current(metrics.MESSAGES_STORED)),
            )

    async def _resync(self) -> None:
        local = {(user_id, sid) for sid, user_id in self._connections.items()}
        offline, online = await services.resync(local)
        self._dirty = False
        logger.info("presence store reachable again: %d connection(s) resynced", len(local))
        for user_id, when in offline.items():
            await self._announce_offline(user_id, when)
        for user_id in online:
            await self._announce(user_id, "online")

    async def _announce_offline(self, user_id: int, when: datetime) -> None:
        await self._announce(user_id, "offline", lastSeen=services.isoformat(when))
