"""The JSON shapes of messages, shared by the REST API and the Socket.IO events."""

from datetime import UTC, datetime
from typing import Any

from rest_framework import serializers

from chatbackend.validation import (
    RAW_TEXT_MAX_LENGTH,
    RAW_WORD_MAX_LENGTH,
    StrictBooleanField,
    StrictCharField,
    StrictIdField,
)
from messaging.models import Message


class MessageOut(serializers.Serializer[Message]):
    """A plain Serializer, not a ModelSerializer: it runs for every message sent, and introspecting the model on
    each instantiation cost ~5x more than these explicit fields."""

    id = serializers.IntegerField()
    roomId = serializers.IntegerField(source="room_id")
    senderId = serializers.IntegerField(source="sender_id")
    content = serializers.CharField(help_text="As written (trimmed, control characters removed); '' once deleted.")
    createdAt = serializers.DateTimeField(source="created_at")
    editedAt = serializers.DateTimeField(source="edited_at", allow_null=True)
    deletedAt = serializers.DateTimeField(source="deleted_at", allow_null=True)
    reactions = serializers.DictField(
        child=serializers.IntegerField(), help_text="Emoji to the number of users who reacted with it."
    )


def _iso(when: datetime | None) -> str | None:
    """A time as DRF's DateTimeField writes it (ISO 8601, UTC as Z)."""
    if when is None:
        return None
    text = when.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def message_json(message: Message) -> dict[str, Any]:
    """MessageOut's output, built directly: it runs for every message sent and every history row, where DRF's
    serializer costs ~100 us a message and this ~3. MessageOut stays the documented shape (OpenAPI) and
    messaging/tests/test_serializers.py pins the two to the same output."""
    return {
        "id": message.id,
        "roomId": message.room_id,
        "senderId": message.sender_id,
        "content": message.content,
        "createdAt": _iso(message.created_at),
        "editedAt": _iso(message.edited_at),
        "deletedAt": _iso(message.deleted_at),
        "reactions": {emoji: int(count) for emoji, count in (message.reactions or {}).items()},
    }


class MessageIn(serializers.Serializer[Any]):
    """A send: content (cleaned and length-checked by the service) and an optional client id for retries."""

    content = StrictCharField(max_length=RAW_TEXT_MAX_LENGTH)
    clientMsgId = StrictCharField(max_length=RAW_WORD_MAX_LENGTH, required=False, allow_null=True, default=None)


class SendMessageIn(MessageIn):
    roomId = StrictIdField()


class RoomRefIn(serializers.Serializer[Any]):
    roomId = StrictIdField()


class JoinRoomIn(RoomRefIn):
    """join_room: with `after`, the ack also carries the messages missed since that id."""

    after = StrictIdField(allow_zero=True, required=False, allow_null=True, default=None)


class TypingIn(RoomRefIn):
    isTyping = StrictBooleanField()


class EditMessageIn(serializers.Serializer[Any]):
    content = StrictCharField(max_length=RAW_TEXT_MAX_LENGTH)


class ReactionIn(serializers.Serializer[Any]):
    emoji = StrictCharField(max_length=RAW_WORD_MAX_LENGTH)


class MarkReadIn(serializers.Serializer[Any]):
    messageId = StrictIdField()


class RoomMarkReadIn(MarkReadIn):
    roomId = StrictIdField()


class LeaveRoomIn(RoomRefIn):
    """`leave_room`: unsubscribe this connection; with `leave: true`, also end the membership."""

    leave = StrictBooleanField(required=False, default=False)
