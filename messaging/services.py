"""Sending messages: the one place where a message is checked, rate limited and stored."""

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import User
from chatbackend.errors import ValidationFailed
from chatbackend.validation import clean_text
from messaging.models import Message
from messaging.ratelimit import rate_limiter
from rooms.selectors import get_room
from rooms.services import advance_read_position, record_last_message, require_member, reserve_message_seqs

CLIENT_MSG_ID_MAX_LENGTH = 64


def send_message(*, sender: User, room_id: int, content: str, client_msg_id: str | None = None) -> tuple[Message, bool]:
    """Store a message from a member; the caller delivers it. Returns (message, created).

    A retry with the same client_msg_id returns the first message, stores nothing and counts no rate. Raises
    ChatError on any refusal, before anything is stored.
    """
    room = get_room(room_id)
    require_member(sender, room)
    content = clean_text(content, field="content", max_length=settings.CHAT["MESSAGE_MAX_LENGTH"])
    if client_msg_id is not None:
        client_msg_id = client_msg_id.strip()
        if not client_msg_id or len(client_msg_id) > CLIENT_MSG_ID_MAX_LENGTH:
            raise ValidationFailed(
                f"clientMsgId must be 1 to {CLIENT_MSG_ID_MAX_LENGTH} characters.",
                clientMsgId=["Invalid length."],
            )
        earlier = _earlier_send(sender_id=sender.id, room_id=room.id, client_msg_id=client_msg_id)
        if earlier is not None:
            return earlier, False
    rate_limiter().hit(sender.id, room.id)
    try:
        with transaction.atomic():
            seq = reserve_message_seqs(room_id=room.id)
            message = Message.objects.create(
                room=room, sender=sender, content=content, client_msg_id=client_msg_id, seq=seq
            )
            record_last_message(room_id=room.id, message_id=message.id)
            # Writing in a room reads it: the sender's own messages are never unread.
            advance_read_position(room_id=room.id, user_id=sender.id, message_id=message.id, seq=seq)
    except IntegrityError:
        earlier = _earlier_send(sender_id=sender.id, room_id=room.id, client_msg_id=client_msg_id)
        if earlier is None:
            raise
        return earlier, False  # a concurrent retry stored it first
    return message, True


def _earlier_send(*, sender_id: int, room_id: int, client_msg_id: str | None) -> Message | None:
    if client_msg_id is None:
        return None
    return Message.objects.filter(room_id=room_id, sender_id=sender_id, client_msg_id=client_msg_id).first()
