"""Socket.IO: the namespace with every client event of the contract, connection lifecycle, presence and typing.

Each handler checks its payload against its definition in messaging/realtime/payloads.py (plain code: no DRF on
the socket path), calls the same service as its REST twin on the DB pool (which sends the events the service
published once it returns), and returns the ack. Failures are raised; messaging/realtime/protocol.py turns them
into `{ok: false, error}` (or the `error` event) in one place.
"""

import asyncio
import logging
import weakref
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

import socketio
from django.conf import settings

from accounts.authentication import user_for_token, validate_access_token
from accounts.models import User
from chatbackend import metrics
from chatbackend.db import db
from chatbackend.errors import NotAuthenticated, ShuttingDown
from chatbackend.events import room_channel, room_id_of_channel, user_channel
from chatbackend.exception_handler import as_chat_error
from chatbackend.logcontext import bind_request_id
from chatbackend.payloads import parse_payload
from chatbackend.shutdown import GracefulShutdown
from messaging import changes
from messaging import selectors as messaging_selectors
from messaging import services as messaging_services
from messaging.realtime.payloads import JoinRoom, LeaveRoom, MarkRead, SendMessage, Typing
from messaging.realtime.protocol import chat_event, event_logger, refusal, token_from_handshake
from messaging.realtime.writer import MessageWriter
from messaging.serializers import message_json
from presence.heartbeat import ProcessPresence
from presence.services import connection_sids, isoformat
from presence.typing import TypingRate
from rooms import access
from rooms import selectors as rooms_selectors
from rooms import services as rooms_services
from rooms.serializers import RoomOut

logger = logging.getLogger(__name__)


class ChatNamespace(socketio.AsyncNamespace):
    """The default namespace: every client event of the contract, plus presence and typing bookkeeping."""

    def __init__(self, namespace: str = "/") -> None:
        super().__init__(namespace)
        # Per-process connection state, owned here: typing timers, and the connections' presence with its heartbeat.
        self._typing_timers: dict[tuple[str, int], asyncio.TimerHandle] = {}
        self._background: set[asyncio.Task[None]] = set()
        self.presence = ProcessPresence(announce=self._announce_status, subscribed_room_ids=self._subscribed_room_ids)
        # One User instance per user for all its connections (a frontend opens several), not one per session.
        self._users: weakref.WeakValueDictionary[int, User] = weakref.WeakValueDictionary()
        self._typing_rate = TypingRate(per_second=settings.CHAT["TYPING_RATE_PER_SECOND"])
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
        user = self._share(user)
        try:
            await self.start_presence()
            came_online = await self.presence.opened(user_id=user.id, sid=sid)
        except Exception as exc:  # over the connection cap, or Redis unreachable
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
        self._typing_rate.forget(sid)
        last_seen: datetime | None = await self.presence.closed(user_id=user.id, sid=sid)
        if last_seen is not None:
            await self._announce_status(user.id, "offline", lastSeen=isoformat(last_seen))

    # Client events

    @chat_event
    async def on_join_room(self, sid: str, data: Any) -> dict[str, Any]:
        payload = parse_payload(JoinRoom, data)
        session = await self.get_session(sid)
        user = session["user"]
        room = await db(rooms_services.subscribe)(user=user, room_id=payload.roomId)
        await self.enter_room(sid, room_channel(room.id))
        ack: dict[str, Any] = {"room": RoomOut(room).data}
        if payload.after is not None:
            # Subscribed first, then read: a message stored meanwhile may come both ways (clients dedupe by
            # id), but none falls between the two.
            page = await db(messaging_selectors.history_page)(
                user=user, room_id=room.id, after=payload.after, limit=settings.CHAT["HISTORY_MAX_LIMIT"]
            )
            ack["messages"] = [message_json(message) for message in page.messages]
            ack["nextCursor"] = page.next_cursor
        return ack

    @chat_event
    async def on_leave_room(self, sid: str, data: Any) -> dict[str, Any]:
        payload = parse_payload(LeaveRoom, data)
        session = await self.get_session(sid)
        room_id = payload.roomId
        if payload.leave:  # ends the membership; the service unsubscribes every connection of the user
            await db(rooms_services.leave_room)(user=session["user"], room_id=room_id)
        if (sid, room_id) in self._typing_timers:
            await self._stop_typing(sid, session["user"].id, room_id)
        await self.leave_room(sid, room_channel(room_id))
        return {"roomId": room_id}

    @chat_event
    async def on_mark_read(self, sid: str, data: Any) -> dict[str, Any]:
        payload = parse_payload(MarkRead, data)
        session = await self.get_session(sid)
        position = await db(changes.mark_read)(
            user=session["user"], room_id=payload.roomId, message_id=payload.messageId
        )
        return {"roomId": payload.roomId, "lastReadMessageId": position}

    @chat_event
    async def on_send_message(self, sid: str, data: Any) -> dict[str, Any]:
        payload = parse_payload(SendMessage, data)
        session = await self.get_session(sid)
        draft = messaging_services.prepare_send(
            sender=session["user"],
            room_id=payload.roomId,
            content=payload.content,
            client_msg_id=payload.clientMsgId,
            reply_to_id=payload.replyToId,
            attachment_ids=payload.attachmentIds,
            # Membership is decided once per subscription: join_room checked it, and every way a membership ends
            # takes the user's connections out of the room as it commits (rooms.services.end_membership). A
            # connection not subscribed to the room has it checked in the database with the batch.
            member=self._subscribed(sid, payload.roomId),
        )
        result = await self._message_writer.store(draft)  # committed and delivered with its batch
        return {"message": result.message_json()}  # the JSON its room was sent, not built again

    @chat_event
    async def on_typing(self, sid: str, data: Any) -> dict[str, Any]:
        payload = parse_payload(Typing, data)
        if not self._typing_rate.allow(sid):
            return {}  # over TYPING_RATE_PER_SECOND: dropped quietly, nobody needs 500 typing events
        session = await self.get_session(sid)
        user: User = session["user"]
        room_id = payload.roomId
        await access.arequire_member(user=user, room_id=room_id, subscribed=self._subscribed(sid, room_id))
        timer = self._typing_timers.pop((sid, room_id), None)
        if timer is not None:
            timer.cancel()
        if payload.isTyping:
            timeout = settings.CHAT["TYPING_TIMEOUT_MS"] / 1000
            self._typing_timers[(sid, room_id)] = asyncio.get_running_loop().call_later(
                timeout, lambda: self._spawn(self._stop_typing(sid, user.id, room_id))
            )
        await self._relay_typing(user.id, room_id, is_typing=payload.isTyping)
        return {}

    async def _relay_typing(self, user_id: int, room_id: int, *, is_typing: bool) -> None:
        """To the room's other connections: none of the typer's own, in any process (their other tabs know)."""
        await self.emit(
            "typing",
            {"roomId": room_id, "userId": user_id, "isTyping": is_typing},
            to=room_channel(room_id),
            skip_sid=await connection_sids(user_id=user_id),
        )

    def _share(self, fresh: User) -> User:
        """The user's instance held by this process's sessions, refreshed with what the handshake just read."""
        held = self._users.get(fresh.id)
        if held is None:
            self._users[fresh.id] = fresh
            return fresh
        held.__dict__.update(fresh.__dict__)  # every connection of the user sees the newest profile
        return held

    def _subscribed(self, sid: str, room_id: int) -> bool:
        """Whether this connection is in the room's live events (one lookup; `rooms(sid)` scans every room)."""
        return sid in self.server.manager.rooms.get(self.namespace, {}).get(room_channel(room_id), ())

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
        """Start this process's presence heartbeat and reaper, once: as the server starts (chatbackend/asgi.py),
        or at the first connection at the latest."""
        if await self.presence.start():
            self.shutdown.install(self._close_all_connections)

    async def _close_all_connections(self) -> None:
        """At shutdown, after the drain: store the sends still queued, then close every connection so presence and
        typing are settled properly."""
        await self._message_writer.close()
        for sid in self.presence.sids:
            await self.disconnect(sid)
        self.presence.stop()

    def _subscribed_room_ids(self) -> set[int]:
        """The chat rooms that connections of this process are subscribed to (for `manage.py chat_stats`)."""
        subscribed = self.server.manager.rooms.get(self.namespace, {})
        channels = [name for name, sids in subscribed.items() if name and sids]
        return {room_id for name in channels if (room_id := room_id_of_channel(name)) is not None}

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
