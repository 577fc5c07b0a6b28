"""Turning stored state into Socket.IO events and handing them to whoever delivers them.

Every path that creates a message (socket send, REST send, management command) ends here, so they all emit the
same event to the same receivers. Events leave only after the write is committed.
"""

import asyncio
import logging
from typing import Any

import socketio
from django.conf import settings
from django.db import transaction

from chatbackend.metrics import MESSAGES_STORED
from messaging.models import Message
from messaging.serializers import MessageOut

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
    return dict(MessageOut(message).data)


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

    def emit_from_sync(self, event: str, data: Any, *, to: str | list[str]) -> None:
        """Emit from a worker thread or a process without a server; waits until the event is handed over."""
        if self.server is not None and self.loop is not None and self.loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self.emit(event, data, to=to), self.loop)
            future.result(timeout=10)
        elif settings.REDIS_URL:
            if self._external is None:
                self._external = socketio.RedisManager(
                    settings.REDIS_URL, channel=settings.CHAT["SOCKETIO_CHANNEL"], write_only=True
                )
            self._external.emit(event, data, namespace="/", room=to)
        else:
            logger.debug("no Socket.IO server in this process and no REDIS_URL: %s not delivered live", event)


hub = Hub()


async def adeliver_message(message: Message) -> None:
    """Send a stored message to every connection subscribed to its room (the sender's included)."""
    MESSAGES_STORED.inc()  # every newly stored message passes through exactly one delivery function
    await hub.emit("receive_message", message_event(message), to=room_channel(message.room_id))


def deliver_message_on_commit(message: Message) -> None:
    """From sync code: send the message once the current transaction (if any) commits."""
    MESSAGES_STORED.inc()
    payload = message_event(message)
    channel = room_channel(message.room_id)
    transaction.on_commit(lambda: hub.emit_from_sync("receive_message", payload, to=channel))
