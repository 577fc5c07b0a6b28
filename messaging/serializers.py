"""The JSON shapes of messages, shared by the REST API and the Socket.IO events."""

from typing import Any

from rest_framework import serializers

from chatbackend.validation import StrictBooleanField, StrictCharField, StrictIdField
from messaging.models import Message


class MessageOut(serializers.ModelSerializer[Message]):
    roomId = serializers.IntegerField(source="room_id")
    senderId = serializers.IntegerField(source="sender_id")
    createdAt = serializers.DateTimeField(source="created_at")
    editedAt = serializers.DateTimeField(source="edited_at", allow_null=True)
    deletedAt = serializers.DateTimeField(source="deleted_at", allow_null=True)
    reactions = serializers.DictField(
        child=serializers.IntegerField(), help_text="Emoji to the number of users who reacted with it."
    )

    class Meta:
        model = Message
        fields = ["id", "roomId", "senderId", "content", "createdAt", "editedAt", "deletedAt", "reactions"]


class MessageIn(serializers.Serializer[Any]):
    """A send: content (cleaned and length-checked by the service) and an optional client id for retries."""

    content = StrictCharField(max_length=100_000)
    clientMsgId = StrictCharField(max_length=1_000, required=False, allow_null=True, default=None)


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
    content = StrictCharField(max_length=100_000)


class ReactionIn(serializers.Serializer[Any]):
    emoji = StrictCharField(max_length=1_000)


class MarkReadIn(serializers.Serializer[Any]):
    messageId = StrictIdField()


class RoomMarkReadIn(MarkReadIn):
    roomId = StrictIdField()


class LeaveRoomIn(RoomRefIn):
    """`leave_room`: unsubscribe this connection; with `leave: true`, also end the membership."""

    leave = StrictBooleanField(required=False, default=False)
