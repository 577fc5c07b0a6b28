"""Socket.IO: the namespace with every client event of the contract, connection lifecycle, presence and typing.

Each handler reads its payload with the serializers the REST API uses, calls one service on the DB pool, emits,
and returns the ack. Failures are raised; messaging/socket_protocol.py turns them into `{ok: false, error}` (or
the `error` event) in one place.
"""

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

import socketio
from django.conf import settings

from accounts.authentication import user_for_token, validate_access_token
from accounts.models import User
from chatbackend import metrics
from chatbackend.db import db
from chatbackend.errors import NotAuthenticated, as_chat_error
from chatbackend.jsonlimits import GuardedJSON
from chatbackend.logcontext import bind_request_id
from chatbackend.shutdown import GracefulShutdown, ShuttingDown
from chatbackend.validation import parse
from messaging import changes
from messaging import selectors as messaging_selectors
from messaging import services as messaging_services
from messaging.delivery import BoundedRedisManager, adeliver_message, room_channel, room_id_of_channel, user_channel
from messaging.serializers import (
    JoinRoomIn,
    LeaveRoomIn,
    RoomMarkReadIn,
    SendMessageIn,
    TypingIn,
    message_json,
)
from messaging.socket_protocol import ChatServer, chat_event, event_logger, refusal, token_from_handshake
from messaging.writer import MessageWriter
from presence import services as presence
from presence.typing import TypingRate
from rooms import selectors as rooms_selectors
from rooms import services as rooms_services
from rooms.serializers import RoomOut

logger = logging.getLogger(__name__)


class ChatNamespace(socketio.AsyncNamespace):
    """The default namespace: every client event of the contract, plus presence and typing bookkeeping."""

    def __init__(self, namespace: str = "/") -> None:
        super().__init__(namespace)
        # Per-process connection state, owned here: typing timers and the presence heartbeat task.
        self._typing_timers: dict[tuple[str, int], asyncio.TimerHandle] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._presence_task: asyncio.Task[None] | None = None
        self._connections: dict[str, int] = {}  # sid -> user id, of this process
        self._typing_rate = TypingRate(per_second=settings.CHAT["TYPING_RATE_PER_SECOND"])
        self._presence_dirty = False  # the presence store may have missed an update: resync at the next beat
        # Group commit of this process's sends: its task starts with the first send, closed by the drain.
        self._message_writer = MessageWriter(
            max_delay_ms=settings.CHAT["BATCH_MAX_DELAY_MS"], max_size=settings.CHAT["BATCH_MAX_SIZE"]
        )
        self.shutdown = GracefulShutdown(grace_seconds=settings.CHAT["SHUTDOWN_GRACE_MS"] / 1000)

    # Connection lifecycle

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        bind_request_id(sid)  # this connection's task: its log lines carry the sid
        if self.shutdown.draining:
            raise refusal(ShuttingDown())
        user, expires_at = await self._authenticate(environ, auth)
        self._connections[sid] = user.id
        try:
            await self.start_presence()
            came_online = await presence.connection_opened(user_id=user.id, sid=sid)
        except Exception as exc:  # over the connection cap, or Redis unreachable
            self._connections.pop(sid, None)
            raise refusal(exc) from exc
        await self.save_session(sid, {"user": user, "expires_at": expires_at})
        metrics.CONNECTED_SOCKETS.inc()
        event_logger.info("connect user %s", user.id)
        await self.enter_room(sid, user_channel(user.id))
        if came_online:
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
            metrics.record_error(error.code, transport="socket")
            event_logger.info("connect refused %s", error.code)
            raise refusal(error) from exc
        return user, float(token["exp"])

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        bind_request_id(sid)
        session = await self.get_session(sid)
        user: User = session["user"]
        metrics.CONNECTED_SOCKETS.dec()
        event_logger.info("disconnect user %s (%s)", user.id, reason)
        for room_id in [room for (typer, room) in self._typing_timers if typer == sid]:
            await self._stop_typing(sid, user.id, room_id)
        self._connections.pop(sid, None)
        self._typing_rate.forget(sid)
        try:
            last_seen = await presence.connection_closed(user_id=user.id, sid=sid)
        except Exception:  # Redis unreachable: the heartbeat's resync settles it later
            self._presence_dirty = True
            logger.exception("presence of connection %s not recorded as closed", sid)
            return
        if last_seen is not None:
            await self._announce_status(user.id, "offline", lastSeen=presence.isoformat(last_seen))

    # Client events

    @chat_event
    async def on_join_room(self, sid: str, data: Any) -> dict[str, Any]:
        payload = parse(JoinRoomIn, data)
        session = await self.get_session(sid)
        user = session["user"]
        room = await db(rooms_services.subscribe)(user=user, room_id=payload["roomId"])
        await self.enter_room(sid, room_channel(room.id))
        ack: dict[str, Any] = {"room": RoomOut(room).data}
        if payload["after"] is not None:
            # Subscribed first, then read: a message stored meanwhile may come both ways (clients dedupe by
            # id), but none falls between the two.
            page = await db(messaging_selectors.history_page)(
                user=user, room_id=room.id, after=payload["after"], limit=settings.CHAT["HISTORY_MAX_LIMIT"]
            )
            ack["messages"] = [message_json(message) for message in page.messages]
            ack["nextCursor"] = page.next_cursor
        return ack

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
        draft = messaging_services.prepare_send(
            sender=session["user"],
            room_id=payload["roomId"],
            content=payload["content"],
            client_msg_id=payload["clientMsgId"],
        )
        message, created = await self._message_writer.send(draft)  # committed with its batch
        event = message_json(message)  # serialized once, for the room and for the ack
        if created:
            await adeliver_message(message, event=event)
        return {"message": event}

    @chat_event
    async def on_typing(self, sid: str, data: Any) -> dict[str, Any]:
        payload = parse(TypingIn, data)
        if not self._typing_rate.allow(sid):
            return {}  # over TYPING_RATE_PER_SECOND: dropped quietly, nobody needs 500 typing events
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
        await self._relay_typing(user.id, room_id, is_typing=payload["isTyping"])
        return {}

    async def _relay_typing(self, user_id: int, room_id: int, *, is_typing: bool) -> None:
        """To the room's other connections: none of the typer's own, in any process (their other tabs know)."""
        await self.emit(
            "typing",
            {"roomId": room_id, "userId": user_id, "isTyping": is_typing},
            to=room_channel(room_id),
            skip_sid=await presence.connection_sids(user_id=user_id),
        )

    # Presence and typing bookkeeping

    async def _stop_typing(self, sid: str, user_id: int, room_id: int) -> None:
        timer = self._typing_timers.pop((sid, room_id), None)
        if timer is not None:
            timer.cancel()
        await self._relay_typing(user_id, room_id, is_typing=False)

    async def _announce_status(self, user_id: int, status: str, **extra: Any) -> None:
        """Tell the user's co-members; a failure is logged, never fails the connect or disconnect."""
        try:
            co_members = await db(rooms_selectors.co_member_ids)(user_id)
            if co_members:
                event = {"userId": user_id, "status": status, **extra}
                await self.emit("user_status", event, to=[user_channel(member) for member in co_members])
        except Exception:
            logger.exception("user_status %s of user %s not announced", status, user_id)

    async def start_presence(self) -> None:
        """Start the heartbeat and reaper of this process, once: as the server starts (chatbackend/asgi.py), or at
        the first connection at the latest."""
        if self._presence_task is not None:
            return
        self._presence_task = asyncio.create_task(self._presence_loop(), name="presence-heartbeat")
        self.shutdown.install(self._close_all_connections)
        await presence.presence_store().heartbeat()  # be known alive before holding any connection

    async def _close_all_connections(self) -> None:
        """At shutdown, after the drain: store the sends still queued, then close every connection so presence and
        typing are settled properly."""
        await self._message_writer.close()
        for sid in list(self._connections):
            await self.disconnect(sid)
        if self._presence_task is not None:
            self._presence_task.cancel()

    async def _presence_loop(self) -> None:
        interval = settings.CHAT["PRESENCE_HEARTBEAT_MS"] / 1000
        while True:
            try:
                await self._heartbeat()
                for user_id, when in (await presence.reap_dead_processes()).items():
                    await self._announce_status(user_id, "offline", lastSeen=presence.isoformat(when))
                if self._presence_dirty:
                    await self._resync_presence()
            except Exception as exc:  # Redis or MySQL away: keep beating, the next round retries and resyncs
                if not self._presence_dirty:
                    logger.warning("presence heartbeat failed, retrying every beat: %r", exc)
                self._presence_dirty = True
            await asyncio.sleep(interval)

    async def _resync_presence(self) -> None:
        local = {(user_id, sid) for sid, user_id in self._connections.items()}
        offline, online = await presence.resync(local)
        self._presence_dirty = False
        logger.info("presence store reachable again: %d connection(s) resynced", len(local))
        for user_id, when in offline.items():
            await self._announce_status(user_id, "offline", lastSeen=presence.isoformat(when))
        for user_id in online:
            await self._announce_status(user_id, "online")

    async def _heartbeat(self) -> None:
        """Beat the presence heartbeat with this process's live figures (for `manage.py chat_stats`), timed."""
        subscribed = self.server.manager.rooms.get(self.namespace, {})
        channels = [name for name, sids in subscribed.items() if name and sids]
        room_ids = {room_id for name in channels if (room_id := room_id_of_channel(name)) is not None}
        with metrics.REDIS_SECONDS.time():
            await presence.heartbeat(
                connections=int(metrics.sample("chat_connected_sockets")),
                room_ids=room_ids,
                messages_stored=int(metrics.sample("chat_messages_stored_total")),
            )

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def build_server() -> ChatServer:
    """The process's Socket.IO server, with Redis fan-out when REDIS_URL is set."""
    origins = settings.CORS_ALLOWED_ORIGINS
    manager = None
    if settings.REDIS_URL:
        manager = BoundedRedisManager(settings.REDIS_URL, channel=settings.CHAT["SOCKETIO_CHANNEL"])
    server = ChatServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins="*" if settings.CORS_ALLOW_ALL_ORIGINS else (list(origins) or None),
        max_http_buffer_size=settings.CHAT["SOCKETIO_MAX_PAYLOAD_BYTES"],
        json=GuardedJSON,  # nesting checked before packets are decoded
        # One connection's events run in order (a user's messages are stored in the order sent).
        async_handlers=False,
    )
    server.register_namespace(ChatNamespace("/"))
    return server
