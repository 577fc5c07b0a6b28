"""The benchmark's baseline: a bare python-socketio ASGI app speaking the chat events, with nothing behind them.

Same event names and ack shapes as the real server (join_room, send_message -> receive_message to the room, the
sender included, typing), and no authentication, validation, storage, presence or metrics: the ceiling of the
framework and the ASGI server on this machine. Serve it like the real app:
`daphne bench.baseline_server:application` or `uvicorn bench.baseline_server:application`.
"""

import itertools
import os
from datetime import UTC, datetime
from typing import Any

import socketio

# The Redis manager is opt-in (BASELINE_REDIS_URL), so the bare ceiling of the Redis relay can be measured too.
_redis_url = os.environ.get("BASELINE_REDIS_URL", "")
_manager = (
    socketio.AsyncRedisManager(_redis_url, channel=os.environ.get("SOCKETIO_CHANNEL", "bench-baseline"))
    if _redis_url
    else None
)
sio = socketio.AsyncServer(async_mode="asgi", client_manager=_manager, async_handlers=False)
_message_ids = itertools.count(1)


def _room(room_id: Any) -> str:
    return f"room:{room_id}"


@sio.on("connect")
async def on_connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
    """Every connection is accepted: the baseline has no authentication."""


@sio.on("join_room")
async def on_join_room(sid: str, data: Any) -> dict[str, Any]:
    room_id = data.get("roomId") if isinstance(data, dict) else None
    await sio.enter_room(sid, _room(room_id))
    return {"ok": True, "room": {"id": room_id}}


@sio.on("send_message")
async def on_send_message(sid: str, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        return {"ok": False, "error": {"code": "validation_error", "message": "Expected an object."}}
    message: dict[str, Any] = {
        "id": next(_message_ids),
        "roomId": data.get("roomId"),
        "senderId": 0,
        "content": data.get("content"),
        "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "editedAt": None,
        "deletedAt": None,
        "reactions": {},
    }
    await sio.emit("receive_message", message, to=_room(message["roomId"]))
    return {"ok": True, "message": message}


@sio.on("typing")
async def on_typing(sid: str, data: Any) -> dict[str, Any]:
    if isinstance(data, dict):
        event = {"roomId": data.get("roomId"), "userId": 0, "isTyping": bool(data.get("isTyping"))}
        await sio.emit("typing", event, to=_room(data.get("roomId")), skip_sid=sid)
    return {"ok": True}


application = socketio.ASGIApp(sio, socketio_path="socket.io")
