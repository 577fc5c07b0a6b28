"""A python-socketio client manager on the Channels layer: each process receives only the rooms it serves.

python-socketio's Redis manager publishes every emit on one channel that every process receives and decodes. Here
every Socket.IO room holding at least one connection of this process is a Channels group the process has joined
(with `channels_redis.pubsub.RedisPubSubChannelLayer`: one Redis pub/sub channel per group, on the shard its name
hashes to); the process leaves the group with the room's last local connection. An emit reaches the local
connections at once and is published to the group of each room it addresses; only the processes serving that
room receive it. `leave_room` of a connection held by another process goes on the room's group (its holder serves
that room). Other operations on such a connection (enter_room, disconnect) cannot be routed, since a sid says
nothing about its process: they go on one control group that every process joins, which carries only those (rare)
operations and broadcasts to a whole namespace.

Limits, by design: an emit addressed to a sid held by another process is not delivered (address a connection
through a room, such as a per-user room, instead), and acknowledgement callbacks reach local connections only.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from channels.layers import get_channel_layer

from chatbackend.channels_relay import CONTROL_GROUP, emit_messages, group_name, unpacked
from chatbackend.fanout import FanoutManager

logger = logging.getLogger(__name__)

READY_TIMEOUT_S = 3.0  # how long the first connections wait for the manager's own channel on the layer
RESYNC_INTERVAL_S = 1.0  # subscriptions that failed (Redis away) are retried this often


class ChannelLayerManager(FanoutManager):
    """Client manager for `socketio.AsyncServer(client_manager=...)` relaying through a Channels layer."""

    name = "channels"

    def __init__(self, layer_alias: str = "default") -> None:
        super().__init__()
        self.layer: Any = get_channel_layer(layer_alias)
        self.host_id = uuid.uuid4().hex
        self._channel: str | None = None  # this process's channel on the layer, member of every group it joins
        self._ready: asyncio.Event | None = None
        self._subscribed: set[tuple[str, str]] = set()  # (namespace, room) whose group this process has joined
        self._unsynced: set[tuple[str, str]] = set()  # whose group membership failed and is retried
        self._retry: asyncio.Event | None = None  # set while _unsynced holds something
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}  # one change at a time per room
        self._failing = False

    def initialize(self) -> None:
        super().initialize()
        drop_own = getattr(self.layer, "drop_own", None)  # chatbackend.channels_layer's; not other layers'
        if drop_own is not None:
            drop_own(self.layer.serialize(self.host_id))  # every message names its sender's host id near its start
        self._ready, self._retry = asyncio.Event(), asyncio.Event()
        self.server.start_background_task(self._receive_forever)
        self.server.start_background_task(self._resync_forever)

    # What python-socketio calls

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        namespace = namespace or "/"
        rooms = list(room) if isinstance(room, list | tuple) else [room]
        local_only = kwargs.get("ignore_queue") or all(self._routable(namespace, r) is False for r in rooms)
        if callback is not None and not local_only:
            raise ValueError("acknowledgement callbacks reach only the connections of this process")
        if local_only:  # addressed to connections of this process only
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback)
            return
        messages = emit_messages(event, data, namespace, rooms, skip_sid, self.host_id)
        # Queued before the local delivery awaits anything: emits leave for Redis in the order they were made.
        publishing = asyncio.gather(*(self._publish(group, message) for group, message in messages))
        await super().emit(event, data, namespace, room=room, skip_sid=skip_sid)
        await publishing

    async def enter_room(self, sid: str, namespace: str, room: str, eio_sid: str | None = None) -> None:
        if not self._is_local(sid, namespace):
            await self._publish(CONTROL_GROUP, self._control("enter_room", sid, namespace, room))
            return
        self.basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        await self._sync_groups(namespace, [room])

    async def leave_room(self, sid: str, namespace: str, room: str) -> None:
        if not self._is_local(sid, namespace):
            # On the room's own group: only its processes hear it, and after whatever was emitted there before
            # (a `member_left` reaches the leaver first), which the control group, maybe on another shard, can't.
            await self._publish(group_name(namespace, room), self._control("leave_room", sid, namespace, room))
            return
        self.basic_leave_room(sid, namespace, room)
        await self._sync_groups(namespace, [room])

    async def can_disconnect(self, sid: str, namespace: str) -> bool:
        if self._is_local(sid, namespace):
            return await super().can_disconnect(sid, namespace)
        await self._publish(CONTROL_GROUP, self._control("disconnect", sid, namespace))
        return False

    async def disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        rooms = [room for room in self.get_rooms(sid, namespace) if room != sid]
        self.basic_disconnect(sid, namespace)
        await self._sync_groups(namespace, rooms)

    async def close_room(self, room: str, namespace: str) -> None:
        self.basic_close_room(room, namespace)
        await self._sync_groups(namespace, [room])
        message = {"m": "close_room", "h": self.host_id, "ns": namespace, "r": room}
        await self._publish(group_name(namespace, room), message)

    # Group membership follows the rooms' local connections

    def _is_local(self, sid: str, namespace: str) -> bool:
        return bool(self.is_connected(sid, namespace) or self.is_pre_connected(sid, namespace))

    def _routable(self, namespace: str, room: Any) -> bool | None:
        """Whether a room has a group: False for a sid of this process, None for the whole namespace."""
        return None if room is None else not self.is_sid_room(namespace, room)

    async def _sync_groups(self, namespace: str, rooms: Iterable[Any]) -> None:
        for room in rooms:
            if room is not None and (self._routable(namespace, room) or (namespace, room) in self._subscribed):
                await self._sync_group(namespace, room)

    async def _sync_group(self, namespace: str, room: str) -> None:
        """Join or leave the room's group so that membership matches whether this process serves the room.

        Returns once a join is effective (chatbackend.channels_layer's group_add waits for Redis to confirm), so
        whatever is published afterwards arrives: a client that subscribes and then reads history misses nothing in
        between. If Redis is away, the change is retried in the background and this returns at once.
        """
        key = (namespace, room)
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await self._apply(key)
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def _apply(self, key: tuple[str, str]) -> None:
        namespace, room = key
        wanted = room in self.rooms.get(namespace, {})
        if wanted == (key in self._subscribed):
            self._unsynced.discard(key)
            return
        if self._channel is None and self._ready is not None:  # the first connections arrive with the manager
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), READY_TIMEOUT_S)
        if self._channel is None:  # Redis away since start: the background retry will do it
            self._retry_later(key)
            return
        group = group_name(namespace, room)
        try:
            if wanted:
                await self.layer.group_add(group, self._channel)
                self._subscribed.add(key)
            else:
                if key in self._unsynced:  # a failed leave: the layer forgot the membership, Redis did not
                    await self.layer.group_add(group, self._channel)
                await self.layer.group_discard(group, self._channel)
                self._subscribed.discard(key)
        except Exception as exc:
            self._retry_later(key)
            self._report_failure("join or leave a group", exc)
            return
        self._unsynced.discard(key)

    def _retry_later(self, key: tuple[str, str]) -> None:
        self._unsynced.add(key)
        if self._retry is not None:
            self._retry.set()

    async def _resync_forever(self) -> None:
        assert self._retry is not None
        while True:  # asleep while everything is in sync: an idle process wakes for nothing of ours
            await self._retry.wait()
            await asyncio.sleep(RESYNC_INTERVAL_S)
            self._retry.clear()
            for namespace, room in list(self._unsynced):
                await self._sync_group(namespace, room)

    # Publishing and receiving

    def _control(self, method: str, sid: str, namespace: str, room: str | None = None) -> dict[str, Any]:
        return {"m": method, "h": self.host_id, "sid": sid, "ns": namespace, "r": room}

    async def _publish(self, group: str, message: dict[str, Any]) -> None:
        """Publish, trying twice: the first attempt after a Redis restart meets a pooled connection that is dead.

        A failure is logged, not raised, as python-socketio's Redis manager does: local delivery went on.
        """
        for attempt in (1, 2):
            try:
                await self.layer.group_send(group, message)
            except Exception as exc:
                if attempt == 2:
                    self._report_failure("publish", exc)
            else:
                self._recovered()
                return

    def _report_failure(self, what: str, exc: Exception) -> None:
        if not self._failing:
            logger.warning("channel layer unreachable (%s failed: %r); retrying", what, exc)
        self._failing = True

    def _recovered(self) -> None:
        if self._failing:
            logger.info("channel layer reachable again")
        self._failing = False

    async def _receive_forever(self) -> None:
        assert self._ready is not None
        while True:
            try:
                if self._channel is None:
                    self._channel = await self.layer.new_channel(prefix="socketio.")
                if not self._ready.is_set():
                    await self.layer.group_add(CONTROL_GROUP, self._channel)
                    self._ready.set()
                while True:
                    await self._dispatch(await self.layer.receive(self._channel))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._report_failure("receive", exc)
                await asyncio.sleep(RESYNC_INTERVAL_S)

    async def _dispatch(self, message: dict[str, Any]) -> None:
        method = message.get("m")
        if message.get("h") == self.host_id:  # our own emit, back from Redis
            return
        namespace = message.get("ns", "/")
        try:
            if method == "emit":
                await self._deliver(message, namespace)
            elif method == "close_room":
                self.basic_close_room(message["r"], namespace)
                await self._sync_groups(namespace, [message["r"]])
            elif method in ("enter_room", "leave_room", "disconnect") and self._is_local(message["sid"], namespace):
                if method == "disconnect":
                    await self.server.disconnect(message["sid"], namespace=namespace, ignore_queue=True)
                else:
                    await getattr(self, method)(message["sid"], namespace, message["r"])
        except Exception:
            logger.exception("relayed %s not handled", method)

    async def _deliver(self, message: dict[str, Any], namespace: str) -> None:
        room, listed = message["r"], message.get("rs")
        skip = message["x"]
        if listed:  # each listed room's copy serves the connections that no earlier listed room holds
            earlier = listed[: listed.index(room)]
            skip = skip + [sid for other in earlier for sid, _ in self.get_participants(namespace, other)]
        data = unpacked(message["d"])
        await super().emit(message["e"], data, namespace, room=room, skip_sid=skip)
