"""What the Channels manager publishes (group names, emit messages), and emitting from sync code without a server.

An emit travels as one message per addressed room, on that room's group: `{"m": "emit", "h": sender's host id,
"e": event, "d": arguments, "ns": namespace, "r": the room, "rs": every room of the emit when several, "x": sids
skipped}`. `leave_room` of a sid goes on the room's group; the other control messages (`enter_room` and
`disconnect` of a sid, and emits to a whole namespace) on CONTROL_GROUP, which every process joins.
chatbackend/channels_manager.py receives them.
"""

import asyncio
import hashlib
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

CONTROL_GROUP = "_control"  # never the name of a room's group: those start with their namespace, encoded


def _encode(text: str) -> str:
    # Channels group names allow ASCII letters, digits, hyphen, underscore and period, under 100 characters.
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else f"-{ord(ch):x}-" for ch in text)


def group_name(namespace: str, room: str) -> str:
    """The Channels group of a Socket.IO room: one per namespace and room, with an unambiguous encoding."""
    name = f"{_encode(namespace)}.{_encode(room)}"
    return name if len(name) < 100 else f"{name[:60]}.{hashlib.sha256(name.encode()).hexdigest()[:32]}"


def _as_list(skip_sid: Any) -> list[Any]:
    if skip_sid is None:
        return []
    return list(skip_sid) if isinstance(skip_sid, list | tuple | set) else [skip_sid]


def _packed(data: Any) -> list[Any]:
    # As AsyncPubSubManager does: a tuple is several arguments, anything else one.
    return list(data) if isinstance(data, tuple) else [data]


def unpacked(args: list[Any]) -> Any:
    return args[0] if len(args) == 1 else tuple(args)


Relayed = list[tuple[str, dict[str, Any]]]  # (group, message) pairs to publish


def emit_messages(event: str, data: Any, namespace: str, rooms: list[Any], skip_sid: Any, host_id: str) -> Relayed:
    """(group, message) pairs for an emit: one per room, each naming the room it travels for."""
    base = {"m": "emit", "h": host_id, "e": event, "d": _packed(data), "ns": namespace, "x": _as_list(skip_sid)}
    if rooms == [None]:  # the whole namespace: every process
        return [(CONTROL_GROUP, {**base, "r": None})]
    listed = rooms if len(rooms) > 1 else None  # a connection in several listed rooms gets the event once
    return [(group_name(namespace, room), {**base, "r": room, "rs": listed}) for room in rooms]


class ChannelLayerEmitter:
    """Emits from sync code in a process without a Socket.IO server (a management command), through the layer.

    Each call runs on a short-lived event loop (asgiref's `async_to_sync`, as Channels advises for sync code), so
    it opens and closes its own Redis connection: fine for commands, not for a hot path.
    """

    def __init__(self, layer_alias: str = "default") -> None:
        self.layer: Any = get_channel_layer(layer_alias)
        self.host_id = uuid.uuid4().hex

    def emit(self, event: str, data: Any, *, room: Any, namespace: str = "/", skip_sid: Any = None) -> None:
        rooms = list(room) if isinstance(room, list | tuple) else [room]
        async_to_sync(self._publish_all)(emit_messages(event, data, namespace, rooms, skip_sid, self.host_id))

    def disconnect(self, sids: list[str], *, namespace: str = "/") -> None:
        """Close these connections, wherever they are held (the manager's own control message)."""
        message = {"m": "disconnect", "h": self.host_id, "ns": namespace, "r": None}
        async_to_sync(self._publish_all)([(CONTROL_GROUP, {**message, "sid": sid}) for sid in sids])

    def leave_room(self, sids: list[str], *, room: str, namespace: str = "/") -> None:
        """Take these connections out of a room, wherever they are held: the manager's `leave_room` of a remote
        connection, on the room's own group (after what was emitted there before, as the manager sends it)."""
        message = {"m": "leave_room", "h": self.host_id, "ns": namespace, "r": room}
        group = group_name(namespace, room)
        async_to_sync(self._publish_all)([(group, {**message, "sid": sid}) for sid in sids])

    async def _publish_all(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        await asyncio.gather(*(self.layer.group_send(group, message) for group, message in messages))
