"""The Socket.IO event catalogue: every event, its payload, its ack and its error codes.

Payloads are read from the definitions the handlers parse (client events) and from the functions that build
what the server sends (`message_json`, `member_event`), so the reference cannot describe a shape the code does
not have. messaging/realtime/docs.py writes the page at /api/docs/socketio/, docs/socketio.md and the README's
tables from it; tests compare all three with the code.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from accounts.models import User
from chatbackend.errors import ChatError
from chatbackend.validation import StrictBooleanField, StrictCharField, StrictIdField
from messaging.models import Message
from messaging.serializers import JoinRoomIn, LeaveRoomIn, RoomMarkReadIn, SendMessageIn, TypingIn, message_json
from rooms.models import RoomMember
from rooms.serializers import member_event

COMMON = ("validation_error", "token_expired", "unavailable", "internal")
HANDSHAKE_ERRORS = ("not_authenticated", "invalid_token")


@dataclass(frozen=True)
class PayloadField:
    name: str
    type: str  # JSON: int, string, boolean
    required: bool


def payload_fields(definition: Any) -> list[PayloadField]:
    """The fields of a client event's payload definition, in order (a room id first).

    The one place that reads payload definitions (DRF serializers with the strict fields of
    chatbackend.validation): another kind of definition needs only this function to change.
    """
    json_types = {StrictIdField: "int", StrictCharField: "string", StrictBooleanField: "boolean"}
    fields = [
        PayloadField(name, json_types.get(type(declared), type(declared).__name__), bool(declared.required))
        for name, declared in definition().fields.items()
    ]
    return sorted(fields, key=lambda payload_field: payload_field.name != "roomId")


def _sample_message() -> Message:
    return Message(id=1, room_id=1, sender_id=1, content="", created_at=datetime(2025, 1, 1, tzinfo=UTC))


def shape(keys: Any) -> str:
    return "{" + ", ".join(keys) + "}"


def message_shape() -> str:
    """The keys of a message as every event and ack carries it (`message_json`)."""
    return shape(message_json(_sample_message()))


def member_shape() -> str:
    """The keys of `member_joined` and `member_updated` (`member_event`)."""
    return shape(member_event(RoomMember(room_id=1, user=User(id=1, name="n"), role=RoomMember.Role.MEMBER)))


@dataclass(frozen=True)
class ClientEvent:
    name: str
    payload: Any  # the definition the handler parses
    brief: str  # one line, for the tables
    summary: str  # the full description, for the page and docs/socketio.md; formatted with settings.CHAT
    ack: str  # "{message}" stands for the message shape
    errors: tuple[str, ...]
    example: str
    # Rules of a field beyond its JSON type, formatted with settings.CHAT.
    notes: Mapping[str, str] = field(default_factory=dict)

    def payload_text(self) -> str:
        parts = []
        for item in payload_fields(self.payload):
            note = self.notes.get(item.name, "")
            text = f"{item.name}{'' if item.required else '?'}: {item.type}"
            parts.append(f"{text} ({note.format(**settings.CHAT)})" if note else text)
        return "{" + ", ".join(parts) + "}"

    def summary_text(self) -> str:
        return self.summary.format(**settings.CHAT)

    def ack_text(self) -> str:
        return self.ack.replace("{message}", message_shape())


@dataclass(frozen=True)
class ServerEvent:
    name: str
    payload: str  # "{message}" and "{member}" stand for those shapes
    to: str  # who receives it, and when

    def payload_text(self) -> str:
        return self.payload.replace("{message}", message_shape()).replace("{member}", member_shape())


CLIENT_EVENTS: tuple[ClientEvent, ...] = (
    ClientEvent(
        "join_room",
        JoinRoomIn,
        "subscribes this connection; a public room makes the caller a member, a private one needs membership",
        "Subscribe this connection to a room. A public room makes the caller a member; a private room needs prior "
        "membership (join it by invite code over REST first: POST /api/rooms/join). With `after` (the last message "
        "id the client has), the ack also brings what was missed: up to {HISTORY_MAX_LIMIT} messages oldest first, "
        "and a `nextCursor` for GET /api/rooms/:roomId/messages when there are more (subscribed first, so nothing "
        "falls between; dedupe by id).",
        "{ok: true, room, messages?: [{message}], nextCursor?}",
        ("room_not_found", "not_room_member", "banned", "invalid_token", *COMMON),
        "socket.emit('join_room', {roomId: 1}, (ack) => console.log(ack.room))",
    ),
    ClientEvent(
        "leave_room",
        LeaveRoomIn,
        "unsubscribes this connection (the membership stays); `leave: true` also ends the membership",
        "Unsubscribe this connection from a room and clear the caller's typing there; the membership stays, unless "
        "`leave: true`, which also ends it as POST /api/rooms/:roomId/leave does: every connection of the user leaves "
        "the room, the room gets member_left, and the last owner hands ownership on.",
        "{ok: true, roomId}",
        ("room_not_found", "not_room_member", *COMMON),
        "socket.emit('leave_room', {roomId: 1}, (ack) => {})",
    ),
    ClientEvent(
        "send_message",
        SendMessageIn,
        "the caller must be a member; stored, then delivered to the room as `receive_message`",
        "Store a message from a member, then deliver it to the room as receive_message. Content is trimmed and "
        "control characters other than newline and tab are removed. A retry with the same clientMsgId returns the "
        "first message and stores and delivers nothing new. Over the rate limit (MESSAGE_RATE_LIMIT per "
        "MESSAGE_RATE_WINDOW_MS, per user and room) the error is rate_limited with retryAfterMs.",
        "{ok: true, message: {message}}",
        ("room_not_found", "not_room_member", "rate_limited", *COMMON),
        "socket.emit('send_message', {roomId: 1, content: 'hi'}, (ack) => ack.ok || alert(ack.error.code))",
        notes={
            "content": "1 to {MESSAGE_MAX_LENGTH} characters after trimming",
            "clientMsgId": "at most {CLIENT_MSG_ID_MAX_LENGTH} characters",
        },
    ),
    ClientEvent(
        "typing",
        TypingIn,
        "the caller must be a member; the other users' connections in the room get `typing`",
        "Tell the room's other users that the caller is (or stopped) typing; cleared automatically after "
        "TYPING_TIMEOUT_MS without a new typing event, on leave and on disconnect. At most TYPING_RATE_PER_SECOND "
        "per connection per second are relayed: the rest are acknowledged and dropped quietly.",
        "{ok: true}",
        ("room_not_found", "not_room_member", *COMMON),
        "socket.emit('typing', {roomId: 1, isTyping: true})",
    ),
    ClientEvent(
        "mark_read",
        RoomMarkReadIn,
        "moves the read position forward, as POST /api/rooms/:roomId/read",
        "Mark the room read up to this message (the read position only moves forward, and `unreadCount` of GET "
        "/api/rooms follows); co-members subscribed to the room get read_receipt.",
        "{ok: true, roomId, lastReadMessageId}",
        ("room_not_found", "not_room_member", "message_not_found", *COMMON),
        "socket.emit('mark_read', {roomId: 1, messageId: 42}, (ack) => {})",
    ),
)

SERVER_EVENTS: tuple[ServerEvent, ...] = (
    ServerEvent(
        "receive_message",
        "{message}",
        "every connection subscribed to the room, the sender's included (REST sends too)",
    ),
    ServerEvent(
        "user_status",
        "{userId, status: 'online'} | {userId, status: 'offline', lastSeen}",
        "the user's co-members, when the user's first connection opens and after the last one closes",
    ),
    ServerEvent(
        "typing",
        "{roomId, userId, isTyping}",
        "the other users' connections subscribed to the room, never any connection of the typer",
    ),
    ServerEvent("member_joined", "{member}", "the room's subscribed connections: a user became a member"),
    ServerEvent(
        "member_left",
        "{roomId, userId, reason: 'left' | 'removed' | 'banned'}",
        "the room's subscribed connections, the leaver's included; then the leaver's connections leave the room",
    ),
    ServerEvent(
        "member_updated", "{member}", "the room's subscribed connections: a role changed (also ownership handed on)"
    ),
    ServerEvent(
        "read_receipt", "{roomId, userId, messageId}", "the room's subscribed connections: a member read up to it"
    ),
    ServerEvent(
        "message_updated", "{message} with editedAt set", "the room's subscribed connections: the sender edited it"
    ),
    ServerEvent(
        "message_deleted",
        "{message} with content '' and deletedAt set",
        "the room's subscribed connections: deleted (the tombstone stays in history)",
    ),
    ServerEvent(
        "reaction_updated",
        "{roomId, messageId, userId, emoji, added, reactions: {emoji: count}}",
        "the room's subscribed connections: a reaction was added or removed",
    ),
    ServerEvent("room_updated", "{room}", "the room's subscribed connections: renamed, or its invite code rotated"),
    ServerEvent("user_updated", "{userId, name}", "the user's co-members: the user changed their profile name"),
    ServerEvent("error", "{code, message, event}", "the connection whose event, sent without an ack callback, failed"),
)


def error_codes() -> list[dict[str, Any]]:
    """Every ChatError code with its HTTP status and default message, from the error classes themselves."""
    seen: dict[str, dict[str, Any]] = {}
    pending: list[type[ChatError]] = [ChatError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is not ChatError:
            seen.setdefault(cls.code, {"code": cls.code, "status": cls.status, "message": cls.default_message})
    return sorted(seen.values(), key=lambda entry: (entry["status"], entry["code"]))
