"""The event bus: Socket.IO channel names, publishing after commit, and the hub that hands events to Socket.IO.

Services publish their own events with `publish_on_commit` (Zulip's send_event_on_commit): an event leaves only
once the write is committed, whichever entry point called the service. Where it goes from there depends on the
thread the commit happened on:
- in a unit of work run by `db()` for the event loop (the Socket.IO handlers), the events are collected
  (chatbackend/outbox.py) and sent by `db()` from the loop once the unit returns, before the handler acknowledges;
- in another thread of a server process (a REST view), they are queued to the loop, which sends them in order;
  the thread never waits for delivery, so a stored message cannot fail because delivery is slow;
- in a process without a Socket.IO server (a management command), they go out through the Channels layer when
  REDIS_URL is set (chatbackend/channels_relay.py), and nowhere otherwise.
This module knows no app: events are names, JSON payloads and channels.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from django.conf import settings
from django.db import transaction

from chatbackend.channels_relay import ChannelLayerEmitter
from chatbackend.outbox import Handover, outbox

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


def member_channels(user_ids: list[int]) -> list[str]:
    return [user_channel(user_id) for user_id in user_ids]


class Hub:
    """Where events go from this process.

    In a server process, the Socket.IO server (its manager relays through the Channels layer when REDIS_URL is
    set). Elsewhere, such as a management command, the layer directly, or nowhere without REDIS_URL.
    """

    def __init__(self) -> None:
        self.server: socketio.AsyncServer | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._external: ChannelLayerEmitter | None = None
        self._queue: asyncio.Queue[Handover] | None = None
        self._sender: asyncio.Task[None] | None = None

    def attach(self, server: socketio.AsyncServer) -> None:
        self.server = server

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    async def emit(self, event: str, data: Any, *, to: str | list[str], skip_sid: str | None = None) -> None:
        assert self.server is not None, "the Socket.IO server is not attached"
        await self.server.emit(event, data, to=to, skip_sid=skip_sid)

    async def leave_channel(self, sid: str, channel: str) -> None:
        """Take a connection out of a Socket.IO room. The Channels manager relays this to the process holding the
        connection, so it works in one process and in many alike."""
        assert self.server is not None, "the Socket.IO server is not attached"
        await self.server.leave_room(sid, channel, namespace="/")

    async def disconnect(self, sid: str) -> None:
        """Close a connection; the manager relays it to the process holding it."""
        assert self.server is not None, "the Socket.IO server is not attached"
        await self.server.disconnect(sid, namespace="/")

    def disconnect_from_elsewhere(self, sids: list[str]) -> bool:
        """From a process without a Socket.IO server: close these connections through the Channels layer, as the
        manager does for a connection held by another process. False without REDIS_URL."""
        if not settings.REDIS_URL:
            return False
        self._external_emitter().disconnect(sids)
        return True

    def leave_channel_from_elsewhere(self, sids: list[str], channel: str) -> bool:
        """From a process without a Socket.IO server: take these connections out of a channel through the
        Channels layer, as the manager does for a connection held by another process. False without REDIS_URL."""
        if not settings.REDIS_URL:
            return False
        self._external_emitter().leave_room(sids, room=channel)
        return True

    def _external_emitter(self) -> ChannelLayerEmitter:
        if self._external is None:
            self._external = ChannelLayerEmitter()
        return self._external

    def hand_over(self, handover: Handover) -> bool:
        """From sync code: have the server's loop run this (see the module docstring); never waits for it.
        False when this process has no running Socket.IO server."""
        if self.server is None:
            return False
        collecting = outbox()
        if collecting is not None:
            collecting.append(handover)
            return True
        if self.loop is None or not self.loop.is_running():
            return False
        self.loop.call_soon_threadsafe(self._enqueue, handover)
        return True

    def emit_from_sync(self, event: str, data: Any, *, to: str | list[str]) -> None:
        """Emit from sync code, in a server process or not (see the module docstring)."""
        if self.hand_over(Handover(lambda: self.emit(event, data, to=to))):
            return
        if settings.REDIS_URL:
            self._external_emitter().emit(event, data, room=to)
        else:
            logger.debug("no Socket.IO server in this process and no REDIS_URL: %s not delivered live", event)

    def _enqueue(self, handover: Handover) -> None:
        """On the loop: queue work from another thread for the one task that runs it in order."""
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._sender = asyncio.create_task(self._run_queued(self._queue), name="event-bus")
        self._queue.put_nowait(handover)

    async def _run_queued(self, queue: asyncio.Queue[Handover]) -> None:
        while True:
            handover = await queue.get()
            try:
                await handover.run()
            except Exception:  # delivery is best effort once stored; the next event goes on
                logger.exception("an event from a worker thread was not handed to Socket.IO")


hub = Hub()


def publish_on_commit(event: str, payload: dict[str, Any], *, to: str | list[str]) -> None:
    """From sync code (a service): emit the event once the current transaction (if any) commits."""
    transaction.on_commit(lambda: hub.emit_from_sync(event, payload, to=to))


def run_on_commit(work: Callable[[], Awaitable[None]], *, otherwise: Callable[[], None]) -> None:
    """From sync code: once committed, run `work` on the server's loop after the events published before it.

    Without a Socket.IO server in this process (a shell, a management command), `otherwise` runs instead.
    """

    def hand_over() -> None:
        if not hub.hand_over(Handover(work, alone=True)):
            otherwise()

    transaction.on_commit(hand_over)
