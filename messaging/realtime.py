"""Socket.IO: the server, handshake authentication, and the client events of the contract.

Each handler reads its payload with the serializers the REST API uses, calls one service on the DB pool, emits,
and returns the ack. Failures are raised and turned into `{ok: false, error}` (or the `error` event) in one place.
"""

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import socketio
from django.conf import settings
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from accounts.authentication import user_for_token, validate_access_token
from accounts.models import User
from chatbackend.db import db
from chatbackend.errors import ChatError, NotAuthenticated, as_chat_error
from chatbackend.validation import parse
from messaging import changes
from messaging import services as messaging_services
from messaging.delivery import adeliver_message, room_channel, user_channel
from messaging.serializers import LeaveRoomIn, MessageOut, RoomMarkReadIn, RoomRefIn, SendMessageIn, TypingIn
from presence import services as presence
from rooms import selectors as rooms_selectors
from rooms import services as rooms_services
from rooms.serializers import RoomOut

logger = logging.getLogger(__name__)

Handler = Callable[["ChatNamespace", str, Any], Awaitable[dict[str, Any] | None]]


class TokenExpired(ChatError):
    code = "token_expired"
    status = 401
    default_message = "The access token has expired: reconnect with a fresh one."


class ChatServer(socketio.AsyncServer):
    """AsyncServer that reports a failed event sent without an ack callback through the `error` event.

    python-socketio tells a handler nothing about whether the client asked for an ack, so this hook sits where
    the library decides whether to send one (pinned version: see requirements.txt).
    """

    async def _handle_event_internal(
        self, server: Any, sid: str, eio_sid: str, data: list[Any], namespace: str, id: int | None
    ) -> None:
        if id is not None:
            await super()._handle_event_internal(server, sid, eio_sid, data, namespace, id)
            return
        result = await server._trigger_event(data[0], namespace, sid, *data[1:])
        if isinstance(result, dict) and result.get("ok") is False:
            await server.emit("error", {**result["error"], "event": data[0]}, to=sid, namespace=namespace)


def chat_event(handler: Handler) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Wrap a handler: check the session's token is still valid, build the ack, turn errors into `ok: false`."""

    @functools.wraps(handler)
    async def run(namespace: "ChatNamespace", sid: str, *args: Any) -> dict[str, Any]:
        try:
            session = await namespace.get_session(sid)
            if session["expires_at"] <= time.time():
                raise TokenExpired()
            result = await handler(namespace, sid, args[0] if args else None)
            return {"ok": True, **(result or {})}
        except Exception as exc:  # every failure becomes an ack; nothing escapes to disturb the connection
            return {"ok": False, "error": as_chat_error(exc).as_dict()}

    return run


def token_from_handshake(environ: dict[str, Any], auth: Any) -> str | None:
    """The access token from `auth.token`, the Authorization header, or the `token` query parameter."""
    if isinstance(auth, dict) and isinstance(auth.get("token"), str) and auth["token"]:
        return auth["token"].removeprefix("Bearer ").strip()
    header = environ.get("HTTP_AUTHORIZATION", "")
    if header.startswith("Bearer "):
        return header[len("Bearer ") :].strip() or None
    tokens = parse_qs(environ.get("QUERY_STRING", "")).get("token")
    return tokens[0] if tokens else None


class ChatNamespace(socketio.AsyncNamespace):
    """The default namespace: every client event of the contract, plus presence and typing bookkeeping."""

    def __init__(self, namespace: str = "/") -> None:
        super().__init__(namespace)
        # Per-process connection state, owned here: typing timers and the presence heartbeat task.
        self._typing_timers: dict[tuple[str, int], asyncio.TimerHandle] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._presence_task: asyncio.Task[None] | None = None

    # Connection lifecycle

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        user, expires_at = await self._authenticate(environ, auth)
        await self._start_presence()
        await self.save_session(sid, {"user": user, "expires_at": expires_at})
        await self.enter_room(sid, user_channel(user.id))
        if await presence.connection_opened(user_id=user.id, sid=sid):
            await self._announce_status(user.id, "online")

    async def _authenticate(self, environ: dict[str, Any], auth: Any) -> tuple[User, float]:
        """The user and token expiry of a handshake; refuses the connection with a message the client sees."""
        raw_token = token_from_handshake(environ, auth)
        try:
            if not raw_token:
                raise NotAuthenticated("Authentication required: connect with auth: {token}.")
            token = validate_access_token(raw_token)
            user = await db(user_for_token)(token)
        except Exception as exc:
            error = as_chat_error(exc)
            raise SocketRefused(error.message, error.as_dict()) from exc
        return user, float(token["exp"])

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        session = await self.get_session(sid)
        user: User = session["user"]
        for room_id in [room for (typer, room) in self._typing_timers if typer == sid]:
            await self._stop_typing(sid, user.id, room_id)
        last_seen = await presence.connection_closed(user_id=user.id, sid=sid)
        if last_seen is not None:
            await self._announce_status(user.id, "offline", lastSeen=last_seen.isoformat().replace("+00:00", "Z"))

    # Client events

    @chat_event
    async def on_join_room(self, sid: str, data: Any) -> dict[str, Any]:
        payload = parse(RoomRefIn, data)
        session = await self.get_session(sid)
        room = await db(rooms_services.subscribe)(user=session["user"], room_id=payload["roomId"])
        await self.enter_room(sid, room_channel(room.id))
        return {"room": RoomOut(room).data}

    @chat_event
    async def on_leave_room(self, sid: str, data: Any) -> dict[str, Any]:
        payload = parse(LeaveRoomIn, data)
        session = await self.get_session(sid)
        room_id = payload["roomId"]
        if payload["leave"]:  # ends the membership; the service unsubscribes every connection of the user
            await db(rooms_services.leave_room)(user=session["user"], room_id=room_id)
        if (sid, room_id) in self._typing_timers:
            await self._stop_typing(sid, session["user"].id, room_id)
        await self.leave_room(sid, room_channel(room_id))
        return {"roomId": room_id}

    @chat_event
    async def on_mark_read(self, sid: str, data: Any) -> dict[str, Any]:
        payload = parse(RoomMarkReadIn, data)
        session = await self.get_session(sid)
        position = await db(changes.mark_read)(
            user=session["user"], room_id=payload["roomId"], message_id=payload["messageId"]
        )
        return {"roomId": payload["roomId"], "lastReadMessageId": position}

    @chat_event
    async def on_send_message(self, sid: str, data: Any) -> dict[str, Any]:
        payload = parse(SendMessageIn, data)
        session = await self.get_session(sid)
        message, created = await db(messaging_services.send_message)(
            sender=session["user"],
            room_id=payload["roomId"],
            content=payload["content"],
            client_msg_id=payload["clientMsgId"],
        )
        if created:
            await adeliver_message(message)
        return {"message": MessageOut(message).data}

    @chat_event
    async def on_typing(self, sid: str, data: Any) -> dict[str, Any]:
        payload = parse(TypingIn, data)
        session = await self.get_session(sid)
        user: User = session["user"]
        room_id = payload["roomId"]
        # Subscribed connections passed the access check; a removed member's connections are unsubscribed at once.
        if room_channel(room_id) not in self.rooms(sid):
            await db(rooms_services.member_room)(user=user, room_id=room_id)
        timer = self._typing_timers.pop((sid, room_id), None)
        if timer is not None:
            timer.cancel()
        if payload["isTyping"]:
            timeout = settings.CHAT["TYPING_TIMEOUT_MS"] / 1000
            self._typing_timers[(sid, room_id)] = asyncio.get_running_loop().call_later(
                timeout, lambda: self._spawn(self._stop_typing(sid, user.id, room_id))
            )
        await self.emit(
            "typing",
            {"roomId": room_id, "userId": user.id, "isTyping": payload["isTyping"]},
            to=room_channel(room_id),
            skip_sid=sid,
        )
        return {}

    # Presence and typing bookkeeping

    async def _stop_typing(self, sid: str, user_id: int, room_id: int) -> None:
        timer = self._typing_timers.pop((sid, room_id), None)
        if timer is not None:
            timer.cancel()
        await self.emit(
            "typing", {"roomId": room_id, "userId": user_id, "isTyping": False}, to=room_channel(room_id), skip_sid=sid
        )

    async def _announce_status(self, user_id: int, status: str, **extra: Any) -> None:
        co_members = await db(rooms_selectors.co_member_ids)(user_id)
        if co_members:
            event = {"userId": user_id, "status": status, **extra}
            await self.emit("user_status", event, to=[user_channel(member) for member in co_members])

    async def _start_presence(self) -> None:
        """Start the heartbeat and reaper of this process, once (daphne sends no lifespan events)."""
        if self._presence_task is not None:
            return
        await presence.presence_store().heartbeat()  # be known alive before holding any connection
        self._presence_task = asyncio.create_task(self._presence_loop(), name="presence-heartbeat")

    async def _presence_loop(self) -> None:
        interval = settings.CHAT["PRESENCE_HEARTBEAT_MS"] / 1000
        while True:
            await asyncio.sleep(interval)
            try:
                await presence.presence_store().heartbeat()
                for user_id, when in (await presence.reap_dead_processes()).items():
                    last_seen = when.isoformat().replace("+00:00", "Z")
                    await self._announce_status(user_id, "offline", lastSeen=last_seen)
            except Exception:  # Redis or MySQL away: keep beating, the next round retries
                logger.exception("presence heartbeat failed")

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def build_server() -> ChatServer:
    """The process's Socket.IO server, with Redis fan-out when REDIS_URL is set."""
    origins = settings.CORS_ALLOWED_ORIGINS
    manager = None
    if settings.REDIS_URL:
        manager = socketio.AsyncRedisManager(settings.REDIS_URL, channel=settings.CHAT["SOCKETIO_CHANNEL"])
    server = ChatServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins="*" if settings.CORS_ALLOW_ALL_ORIGINS else (list(origins) or None),
        max_http_buffer_size=settings.CHAT["SOCKETIO_MAX_PAYLOAD_BYTES"],
        # One connection's events run in order (a user's messages are stored in the order sent).
        async_handlers=False,
    )
    server.register_namespace(ChatNamespace("/"))
    return server
