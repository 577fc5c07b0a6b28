"""The Socket.IO event reference: every event, its payload, its ack and the error codes, served at /api/docs/socketio/.

This catalogue is what the page, docs/socketio.md and the README's tables are written from (messaging/realtime/docs.py;
a test compares them). Payloads are read from the code, not restated (messaging/realtime/shapes.py): a client
event's from the definition its handler parses, a message from `message_json`, a member from `member_event`. A test
also checks that every client event handled by the namespace is listed here.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chatbackend.errors import ChatError
from messaging.realtime.payloads import JoinRoom, LeaveRoom, MarkRead, SendMessage, Typing
from messaging.realtime.shapes import member_shape, message_shape, payload_fields


@dataclass(frozen=True)
class Event:
    name: str
    direction: str  # "client → server" or "server → client"
    # A client event: the definition its handler parses. A server event: text, where "{message}" and "{member}"
    # stand for those shapes.
    payload: Any
    summary: str  # formatted with settings.CHAT
    ack: str = ""  # "{message}" stands for the message shape
    errors: tuple[str, ...] = ()
    example: str = ""
    # Rules of a client event's fields beyond their JSON type, formatted with settings.CHAT.
    notes: Mapping[str, str] = field(default_factory=dict)

    @property
    def from_client(self) -> bool:
        return self.direction.startswith("client")

    def payload_text(self) -> str:
        if isinstance(self.payload, str):
            return self.payload.replace("{message}", message_shape()).replace("{member}", member_shape())
        parts = []
        for item in payload_fields(self.payload):
            note = self.notes.get(item.name, "")
            text = f"{item.name}{'' if item.required else '?'}: {item.type}"
            parts.append(f"{text} ({note.format(**settings.CHAT)})" if note else text)
        return "{" + ", ".join(parts) + "}"

    def ack_text(self) -> str:
        return self.ack.replace("{message}", message_shape())

    def summary_text(self) -> str:
        return self.summary.format(**settings.CHAT)

    def brief(self) -> str:
        """The summary's first sentence."""
        return self.summary_text().split(". ")[0].rstrip(".") + "."


COMMON = ("validation_error", "token_expired", "unavailable", "internal")

EVENTS: tuple[Event, ...] = (
    Event(
        "join_room",
        "client → server",
        JoinRoom,
        "Subscribe this connection to a room. A public room makes the caller a member; a private room needs prior "
        "membership (join it by invite code or invite link over REST first). With `after` (the last message id the "
        "client has), the ack also brings what was missed: up to {HISTORY_MAX_LIMIT} messages oldest first, and a "
        "`nextCursor` for GET /api/rooms/:roomId/messages when there are more (subscribed first, so nothing falls "
        "between; dedupe by id).",
        "{ok: true, room, messages?: [{message}], nextCursor?}",
        ("room_not_found", "not_room_member", "banned", "invalid_token", *COMMON),
        "socket.emit('join_room', {roomId: 1}, (ack) => console.log(ack.room))",
    ),
    Event(
        "leave_room",
        "client → server",
        LeaveRoom,
        "Unsubscribe this connection from a room; the membership stays, unless `leave: true`, which also ends the "
        "membership (like POST /api/rooms/:roomId/leave: every connection of the user leaves, the room gets "
        "member_left, and the last owner hands ownership on). Clears the caller's typing there.",
        "{ok: true, roomId}",
        ("room_not_found", "not_room_member", *COMMON),
        "socket.emit('leave_room', {roomId: 1}, (ack) => {})",
    ),
    Event(
        "send_message",
        "client → server",
        SendMessage,
        "Store a message from a member, then deliver it to the room as receive_message. A retry with the same "
        "clientMsgId returns the first message and stores nothing new. With replyToId, a reply: the room also gets "
        "thread_updated (the thread: GET /api/messages/:messageId/replies). attachmentIds attaches uploads of the "
        "caller (POST /api/uploads) not attached yet, each to one message only; the message then carries them in "
        "`attachments`, each with a `url` that its room's readers GET with their bearer token.",
        "{ok: true, message: {message}}",
        (
            "room_not_found",
            "not_room_member",
            "message_not_found",
            "message_deleted",
            "attachment_not_found",
            "attachment_in_use",
            "rate_limited",
            *COMMON,
        ),
        "socket.emit('send_message', {roomId: 1, content: 'hi'}, (ack) => ack.ok || alert(ack.error.code))",
        notes={
            "content": "1 to {MESSAGE_MAX_LENGTH} characters after trimming; may be empty with attachmentIds",
            "clientMsgId": "at most {CLIENT_MSG_ID_MAX_LENGTH} characters",
            "replyToId": "a message of this room, not deleted: else message_not_found or message_deleted",
            "attachmentIds": "at most {MESSAGE_MAX_ATTACHMENTS} distinct ids of your uploads",
        },
    ),
    Event(
        "typing",
        "client → server",
        Typing,
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
        MarkRead,
        "Mark the room read up to this message (the read position only moves forward); co-members get "
        "read_receipt. REST twin: POST /api/rooms/:roomId/read.",
        "{ok: true, roomId, lastReadMessageId}",
        ("room_not_found", "not_room_member", "message_not_found", *COMMON),
        "socket.emit('mark_read', {roomId: 1, messageId: 42}, (ack) => {})",
    ),
    Event(
        "receive_message",
        "server → client",
        "{message}",
        "A stored message, to every connection subscribed to its room, the sender's included (REST sends too).",
    ),
    Event(
        "thread_updated",
        "server → client",
        "{roomId, messageId, replyCount, lastReplyAt}",
        "To the room's subscribed connections, after a reply's receive_message. Counts only grow: keep the highest.",
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
        "To the other users' connections subscribed to the room, never to any connection of the typer (their other "
        "tabs included).",
    ),
    Event(
        "member_joined",
        "server → client",
        "{member}",
        "To the room's subscribed connections: a user became a member (by a REST join by id, invite code or invite "
        "link, or by a socket join_room of a public room).",
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
        "{member}",
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
        "{message} with editedAt set",
        "To the room's subscribed connections: the sender edited a message.",
    ),
    Event(
        "message_deleted",
        "server → client",
        "{message} with content '' and deletedAt set",
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
    seen: dict[str, dict[str, Any]] = {}
    pending: list[type[ChatError]] = [ChatError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is not ChatError:
            seen.setdefault(cls.code, {"code": cls.code, "status": cls.status, "message": cls.default_message})
    return sorted(seen.values(), key=lambda entry: (entry["status"], entry["code"]))


def client_events() -> list[Event]:
    return [event for event in EVENTS if event.from_client]


def server_events() -> list[Event]:
    return [event for event in EVENTS if not event.from_client]


def _shown(event: Event) -> dict[str, Any]:
    """An event as the page shows it: payload, ack and summary written out."""
    return {
        "name": event.name,
        "payload": event.payload_text(),
        "summary": event.summary_text(),
        "ack": event.ack_text(),
        "errors": event.errors,
        "example": event.example,
    }


def socketio_reference(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "chatbackend/socketio.html",
        {
            "client_events": [_shown(event) for event in client_events()],
            "server_events": [_shown(event) for event in server_events()],
            "error_codes": error_codes(),
            "handshake_errors": HANDSHAKE_ERRORS,
        },
    )
