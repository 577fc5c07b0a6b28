"""Turning stored state into Socket.IO events and handing them to whoever delivers them.

Every path that creates a message (socket send, REST send, management command) ends here, so they all emit the
same event to the same receivers. Events leave only after the write is committed: services call
`publish_on_commit` (Zulip's send_event_on_commit), whichever entry point called them.
"""

import asyncio
import logging
from typing import Any

import redis.asyncio as aioredis
import socketio
from django.conf import settings
from django.db import transaction

from chatbackend.metrics import MESSAGES_STORED
from chatbackend.redis_clients import CONNECT_TIMEOUT_S, SOCKET_TIMEOUT_S
from messaging.models import Message
from messaging.serializers import message_json
from presence.services import connection_sids, connection_sids_sync

logger = logging.getLogger(__name__)


def room_channel(room_id: int) -> str:
    """The Socket.IO room of the connections subscribed to a chat room."""
    return f"room:{room_id}"


def room_id_of_channel(channel: str) -> int | None:
    """The chat room id of a `room_channel` name; None for any other Socket.IO room."""
    return int(channel[len("room:") :]) if channel.startswith("room:") else None


def user_channel(user_id: int) -> str:
    """The Socket.IO room of every connection of one user."""
    return f"user:{user_id}"


def message_event(message: Message) -> dict[str, Any]:
    return message_json(message)


class BoundedRedisManager(socketio.AsyncRedisManager):
    """python-socketio's Redis manager on a bounded connection pool.

    As it comes, the manager publishes through an unbounded pool: every emit that overlaps another opens one more
    connection, so a burst leaves hundreds open. Bounded, a burst waits for a connection instead.
    """

    def _redis_connect(self) -> None:
        pool = aioredis.BlockingConnectionPool.from_url(
            self.redis_url,
            max_connections=settings.CHAT["REDIS_POOL_SIZE"],
            timeout=SOCKET_TIMEOUT_S,
            socket_connect_timeout=CONNECT_TIMEOUT_S,
        )
        self.redis = aioredis.Redis(connection_pool=pool)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True


class Hub:
    """Where events go from this process.

    In a server process, the Socket.IO server (its manager relays through Redis when REDIS_URL is set). Elsewhere,
    such as a management command, python-socketio's write-only Redis manager, or nowhere without REDIS_URL.
    """

    def __init__(self) -> None:
        self.server: socketio.AsyncServer | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._external: socketio.RedisManager | None = None

    def attach(self, server: socketio.AsyncServer) -> None:
        self.server = server

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    async def emit(self, event: str, data: Any, *, to: str | list[str], skip_sid: str | None = None) -> None:
        assert self.server is not None, "the Socket.IO server is not attached"
        await self.server.emit(event, data, to=to, skip_sid=skip_sid)

    async def unsubscribe_user(self, user_id: int, room_id: int) -> None:
        """Take every open connection of a user, in any process, out of a room's Socket.IO room.

        The presence store knows the user's connections across processes; python-socketio's Redis manager relays
        `leave_room` of a connection held by another process to that process, so this works in one process and
        in many alike.
        """
        assert self.server is not None, "the Socket.IO server is not attached"
        for sid in await connection_sids(user_id=user_id):
            await self.server.leave_room(sid, room_channel(room_id), namespace="/")

    async def disconnect_user(self, user_id: int) -> None:
        """Close every open connection of a user, in any process (the Redis manager relays the disconnect to
        the process holding it); their subscriptions end with them."""
        assert self.server is not None, "the Socket.IO server is not attached"
        for sid in await connection_sids(user_id=user_id):
            await self.server.disconnect(sid, namespace="/")

    def disconnect_from_sync(self, user_id: int) -> None:
        """From a worker thread, or a process without a server (a management command) through Redis."""
        if self.run_from_sync(self.disconnect_user(user_id)):
            return
        if settings.REDIS_URL:
            manager = self._external_manager()
            for sid in connection_sids_sync(user_id=user_id):
                # What python-socketio's own managers publish for a disconnect of a connection held elsewhere.
                manager._publish({"method": "disconnect", "sid": sid, "namespace": "/", "host_id": manager.host_id})
        else:
            logger.debug("no Socket.IO server in this process and no REDIS_URL: user %s not disconnected", user_id)

    def _external_manager(self) -> socketio.RedisManager:
        if self._external is None:
            self._external = socketio.RedisManager(
                settings.REDIS_URL, channel=settings.CHAT["SOCKETIO_CHANNEL"], write_only=True
            )
        return self._external

    def run_from_sync(self, coroutine: Any) -> bool:
        """Run a coroutine on the server's loop from a worker thread and wait for it; False without a server."""
        if self.server is not None and self.loop is not None and self.loop.is_running():
            asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)
            return True
        coroutine.close()
        return False

    def emit_from_sync(self, event: str, data: Any, *, to: str | list[str]) -> None:
        """Emit from a worker thread or a process without a server; waits until the event is handed over."""
        if self.server is not None and self.loop is not None and self.loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self.emit(event, data, to=to), self.loop)
            future.result(timeout=10)
        elif settings.REDIS_URL:
            self._external_manager().emit(event, data, namespace="/", room=to)
        else:
            logger.debug("no Socket.IO server in this process and no REDIS_URL: %s not delivered live", event)


hub = Hub()


async def adeliver_message(message: Message, *, event: dict[str, Any] | None = None) -> None:
    """Send a stored message to every connection subscribed to its room (the sender's included); `event` is its
    message_event when the caller has it already."""
    MESSAGES_STORED.inc()  # every newly stored message passes through exactly one delivery function
    await hub.emit("receive_message", event or message_event(message), to=room_channel(message.room_id))


def deliver_message_on_commit(message: Message) -> None:
    """From sync code: send the message once the current transaction (if any) commits."""
    MESSAGES_STORED.inc()
    payload = message_event(message)
    channel = room_channel(message.room_id)
    transaction.on_commit(lambda: hub.emit_from_sync("receive_message", payload, to=channel))


def publish_on_commit(event: str, payload: dict[str, Any], *, to: str | list[str]) -> None:
    """From sync code (a service): emit the event once the current transaction (if any) commits."""
    transaction.on_commit(lambda: hub.emit_from_sync(event, payload, to=to))


def unsubscribe_user_on_commit(*, user_id: int, room_id: int) -> None:
    """Once committed, take the user's open connections (every process) out of the room's live events.

    Without a server in this process (a management command, the admin under WSGI) nothing is unsubscribed live;
    the connections still lose access, as every later event checks membership.
    """

    def unsubscribe() -> None:
        if not hub.run_from_sync(hub.unsubscribe_user(user_id, room_id)):
            logger.debug("no Socket.IO server in this process: user %s not unsubscribed live", user_id)

    transaction.on_commit(unsubscribe)


def disconnect_user_on_commit(*, user_id: int) -> None:
    """Once committed, close every open connection of the user, in every process."""
    transaction.on_commit(lambda: hub.disconnect_from_sync(user_id))


def member_channels(user_ids: list[int]) -> list[str]:
    return [user_channel(user_id) for user_id in user_ids]
