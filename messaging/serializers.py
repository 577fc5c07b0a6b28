"""The JSON shapes of messages, shared by the REST API and the Socket.IO events."""

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from rest_framework import serializers

from chatbackend.validation import (
    RAW_IDS_MAX_ITEMS,
    RAW_TEXT_MAX_LENGTH,
    RAW_WORD_MAX_LENGTH,
    StrictBooleanField,
    StrictCharField,
    StrictIdField,
    StrictIdListField,
)
from messaging.models import Attachment, Message


class AttachmentOut(serializers.Serializer[Attachment]):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The uploaded file's name, cleaned (no directories or control characters).")
    size = serializers.IntegerField(help_text="Bytes.")
    contentType = serializers.CharField(help_text="Sniffed from the bytes at upload, not the client's claim.")
    url = serializers.CharField(
        help_text="Where to GET the bytes, with your bearer token: the uploader, or anyone who may read the room."
    )

    def to_representation(self, instance: Attachment) -> dict[str, Any]:
        return attachment_json(instance)


def attachment_json(attachment: Attachment) -> dict[str, Any]:
    """AttachmentOut's output; `url` is the authenticated download view (messaging/uploads_api.py)."""
    return {
        "id": attachment.id,
        "name": attachment.name,
        "size": attachment.size,
        "contentType": attachment.content_type,
        "url": f"/api/uploads/{attachment.id}",
    }


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
    replyToId = serializers.IntegerField(
        source="reply_to_id", allow_null=True, help_text="The message of the room this one replies to; null if none."
    )
    replyCount = serializers.IntegerField(
        source="reply_count", help_text="Direct replies to this message, deleted ones included (see /replies)."
    )
    attachments = AttachmentOut(many=True, source="attachment_list", help_text="Files sent with it; [] once deleted.")


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
        "replyToId": message.reply_to_id,
        "replyCount": message.reply_count,
        "attachments": [attachment_json(attachment) for attachment in message.attachment_list],
    }


def thread_event(*, room_id: int, message_id: int, reply_count: int, last_reply_at: datetime) -> dict[str, Any]:
    """`thread_updated`: a message's reply count and the time of its newest reply, after new replies."""
    return {"roomId": room_id, "messageId": message_id, "replyCount": reply_count, "lastReplyAt": _iso(last_reply_at)}


class MessageIn(serializers.Serializer[Any]):
    """A send: content (cleaned and length-checked by the service), an optional client id for retries, and the
    message it replies to."""

    content = StrictCharField(max_length=RAW_TEXT_MAX_LENGTH, cleaned_max_length=settings.CHAT["MESSAGE_MAX_LENGTH"])
    clientMsgId = StrictCharField(
        max_length=RAW_WORD_MAX_LENGTH,
        cleaned_max_length=settings.CHAT["CLIENT_MSG_ID_MAX_LENGTH"],
        required=False,
        allow_null=True,
        default=None,
        help_text="Your id for this send: a retry with the same id stores nothing new and returns the first message.",
    )
    replyToId = StrictIdField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Reply to this message of the room (not a deleted one): 404 message_not_found if the room has no "
        "such message, 409 message_deleted if it was deleted.",
    )

    attachmentIds = StrictIdListField(
        max_items=RAW_IDS_MAX_ITEMS,
        cleaned_max_items=settings.CHAT["MESSAGE_MAX_ATTACHMENTS"],
        required=False,
        default=tuple,
        help_text="Your uploads (POST /api/uploads) to attach, each once, at most MESSAGE_MAX_ATTACHMENTS; with"
        " some, content may be empty.",
    )


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
    content = StrictCharField(max_length=RAW_TEXT_MAX_LENGTH, cleaned_max_length=settings.CHAT["MESSAGE_MAX_LENGTH"])


class ReactionIn(serializers.Serializer[Any]):
    emoji = StrictCharField(max_length=RAW_WORD_MAX_LENGTH, cleaned_max_length=settings.CHAT["REACTION_MAX_LENGTH"])


class MarkReadIn(serializers.Serializer[Any]):
    messageId = StrictIdField()


class RoomMarkReadIn(MarkReadIn):
    roomId = StrictIdField()


class LeaveRoomIn(RoomRefIn):
    """`leave_room`: unsubscribe this connection; with `leave: true`, also end the membership."""

    leave = StrictBooleanField(required=False, default=False)
