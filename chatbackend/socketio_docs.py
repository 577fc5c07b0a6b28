"""The Socket.IO event reference: every event, its payload, its ack and the error codes, served at /api/docs/socketio/.

This catalogue is what the page (and docs/socketio.md, checked against it by a test) is written from; a test also
checks that every client event handled by messaging.realtime is listed here.
"""

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chatbackend.errors import ChatError


@dataclass(frozen=True)
class Event:
    name: str
    direction: str  # "client → server" or "server → client"
    payload: str
    summary: str
    ack: str = ""
    errors: tuple[str, ...] = ()
    example: str = ""


COMMON = ("validation_error", "token_expired", "unavailable", "internal")

EVENTS: tuple[Event, ...] = (
    Event(
        "join_room",
        "client → server",
        "{roomId: int, after?: int}",
        "Subscribe this connection to a room. A public room makes the caller a member; a private room needs prior "
        "membership (join it by invite code over REST first). With `after` (the last message id the client has), "
        "the ack also brings what was missed: up to 100 messages oldest first, and a `nextCursor` for "
        "GET /api/rooms/:roomId/messages when there are more (subscribed first, so nothing falls between; dedupe by "
        "id).",
        "{ok: true, room, messages?, nextCursor?}",
        ("room_not_found", "not_room_member", *COMMON),
        "socket.emit('join_room', {roomId: 1}, (ack) => console.log(ack.room))",
    ),
    Event(
        "leave_room",
        "client → server",
        "{roomId: int, leave?: boolean}",
        "Unsubscribe this connection from a room; the membership stays, unless `leave: true`, which also ends the "
        "membership (like POST /api/rooms/:roomId/leave: every connection of the user leaves, the room gets "
        "member_left, and the last owner hands ownership on). Clears the caller's typing there.",
        "{ok: true, roomId}",
        COMMON,
        "socket.emit('leave_room', {roomId: 1}, (ack) => {})",
    ),
    Event(
        "send_message",
        "client → server",
        "{roomId: int, content: string (1 to 4000 characters after trimming), clientMsgId?: string (≤ 64)}",
        "Store a message from a member, then deliver it to the room as receive_message. A retry with the same "
        "clientMsgId returns the first message and stores nothing new.",
        "{ok: true, message: {id, roomId, senderId, content, createdAt}}",
        ("room_not_found", "not_room_member", "rate_limited", *COMMON),
        "socket.emit('send_message', {roomId: 1, content: 'hi'}, (ack) => ack.ok || alert(ack.error.code))",
    ),
    Event(
        "typing",
        "client → server",
        "{roomId: int, isTyping: boolean}",
        "Tell the room's other users that the caller is (or stopped) typing; cleared automatically after "
        "TYPING_TIMEOUT_MS without a new typing event, on leave and on disconnect. At most TYPING_RATE_PER_SECOND "
        "per connection per second are relayed: the rest are acknowledged and dropped quietly.",
        "{ok: true}",
        ("room_not_found", "not_room_member", *COMMON),
        "socket.emit('typing', {roomId: 1, isTyping: true})",
    ),
    Event(
        "mark_read",
        "client → server",
        "{roomId: int, messageId: int}",
        "Mark the room read up to this message (the read position only moves forward); co-members get "
        "read_receipt. REST twin: POST /api/rooms/:roomId/read.",
        "{ok: true, roomId, lastReadMessageId}",
        ("room_not_found", "not_room_member", "message_not_found", *COMMON),
        "socket.emit('mark_read', {roomId: 1, messageId: 42}, (ack) => {})",
    ),
    Event(
        "receive_message",
        "server → client",
        "{id, roomId, senderId, content, createdAt}",
        "A stored message, to every connection subscribed to its room, the sender's included (REST sends too).",
    ),
    Event(
        "user_status",
        "server → client",
        "{userId, status: 'online'} | {userId, status: 'offline', lastSeen}",
        "To the user's co-members: when the user's first connection opens and after the last one closes.",
    ),
    Event(
        "typing",
        "server → client",
        "{roomId, userId, isTyping}",
        "To the other users' connections subscribed to the room, never to any connection of the typer.",
    ),
    Event(
        "member_joined",
        "server → client",
        "{roomId, userId, name, role}",
        "To the room's subscribed connections: a user became a member.",
    ),
    Event(
        "member_left",
        "server → client",
        "{roomId, userId, reason: 'left' | 'removed' | 'banned'}",
        "To the room's subscribed connections: a membership ended; the user's connections left the room.",
    ),
    Event(
        "member_updated",
        "server → client",
        "{roomId, userId, name, role}",
        "To the room's subscribed connections: a member's role changed (also when ownership is handed on).",
    ),
    Event(
        "read_receipt",
        "server → client",
        "{roomId, userId, messageId}",
        "To the room's subscribed connections: a member read the room up to that message.",
    ),
    Event(
        "message_updated",
        "server → client",
        "message with editedAt",
        "To the room's subscribed connections: the sender edited a message.",
    ),
    Event(
        "message_deleted",
        "server → client",
        "message with content '' and deletedAt",
        "To the room's subscribed connections: a message was deleted (its tombstone stays in history).",
    ),
    Event(
        "reaction_updated",
        "server → client",
        "{roomId, messageId, userId, emoji, added, reactions: {emoji: count}}",
        "To the room's subscribed connections: a reaction was added or removed.",
    ),
    Event(
        "room_updated",
        "server → client",
        "{room}",
        "To the room's subscribed connections: the room was renamed or its invite code rotated.",
    ),
    Event(
        "user_updated",
        "server → client",
        "{userId, name}",
        "To the user's co-members: the user changed their profile name.",
    ),
    Event(
        "error",
        "server → client",
        "{code, message, event}",
        "The failure of a client event that was sent without an acknowledgement callback.",
    ),
)

HANDSHAKE_ERRORS = ("not_authenticated", "invalid_token")


def error_codes() -> list[dict[str, Any]]:
    """Every ChatError code with its HTTP status and default message, from the error classes themselves."""
    seen: dict[tuple[str, int], dict[str, Any]] = {}
    pending: list[type[ChatError]] = [ChatError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is not ChatError:
            seen.setdefault(
                (cls.code, cls.status), {"code": cls.code, "status": cls.status, "message": cls.default_message}
            )
    return sorted(seen.values(), key=lambda entry: (entry["status"], entry["code"]))


def socketio_reference(request: HttpRequest) -> HttpResponse:
    import messaging.socket_protocol  # noqa: F401 - defines TokenExpired and UnknownEvent, codes listed

    return render(
        request,
        "chatbackend/socketio.html",
        {
            "client_events": [event for event in EVENTS if event.direction.startswith("client")],
            "server_events": [event for event in EVENTS if event.direction.startswith("server")],
            "error_codes": error_codes(),
            "handshake_errors": HANDSHAKE_ERRORS,
        },
    )
