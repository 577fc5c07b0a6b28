"""Changing messages after they were sent: editing, soft deleting, reactions, and members' read state.

Each function checks access with rooms.access, stores, and publishes its event on commit, so the
REST views and the Socket.IO handlers that call it emit the same thing.
"""

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Min
from django.utils import timezone

from accounts.models import User
from chatbackend.errors import MessageDeleted, MessageNotFound, RoomNotFound, TooManyReactions
from chatbackend.events import publish_on_commit, room_channel
from chatbackend.validation import clean_text
from messaging import attachments
from messaging.models import Message, Reaction
from messaging.positions import advance_read_position, read_position
from messaging.selectors import get_message
from messaging.serializers import message_json
from rooms import access


def _check_reaction_caps(message: Message, user: User, emoji: str, emoji_key: str) -> None:
    """A new emoji on a message stays within REACTIONS_PER_MESSAGE_MAX distinct emoji, and a user's within
    REACTIONS_PER_USER_MAX: otherwise one member could hang hundreds on one message (a 15 KB history row)."""
    per_message = settings.CHAT["REACTIONS_PER_MESSAGE_MAX"]
    if emoji not in message.reactions and len(message.reactions) >= per_message:
        raise TooManyReactions(f"A message carries at most {per_message} different reactions.")
    per_user = settings.CHAT["REACTIONS_PER_USER_MAX"]
    keys = set(Reaction.objects.filter(message=message, user=user).values_list("emoji_key", flat=True))
    if emoji_key not in keys and len(keys) >= per_user:
        raise TooManyReactions(f"You can put at most {per_user} different reactions on one message.")


def _member_message(user: User, message_id: int, *, lock: bool = False) -> Message:
    """The message, if the user is a member of its room; locked for the transaction when asked. A message of a
    private room the user is not in is not found, as a missing one is."""
    message = get_message(message_id)
    try:
        access.member_room(user=user, room_id=message.room_id)
    except RoomNotFound as exc:
        raise MessageNotFound() from exc
    if lock:
        message = Message.objects.select_for_update().get(id=message.id)
    return message


def edit_message(*, editor: User, message_id: int, content: str) -> Message:
    """The sender rewrites a message (not a deleted one); `editedAt` is set and the room sees `message_updated`."""
    content = clean_text(content, field="content", max_length=settings.CHAT["MESSAGE_MAX_LENGTH"])
    with transaction.atomic():
        message = _member_message(editor, message_id, lock=True)
        access.require_sender(editor, sender_id=message.sender_id)
        if message.deleted_at is not None:
            raise MessageDeleted()
        message.content = content
        message.edited_at = timezone.now()
        message.save(update_fields=["content", "edited_at"])
        publish_on_commit("message_updated", message_json(message), to=room_channel(message.room_id))
    return message


def delete_message(*, deleter: User, message_id: int) -> Message:
    """Soft delete: the content and reactions go, the tombstone stays in history; the room sees `message_deleted`.

    The sender deletes their own messages; the room's owners and admins delete anyone's.
    """
    with transaction.atomic():
        message = _member_message(deleter, message_id, lock=True)
        if message.deleted_at is not None:
            raise MessageDeleted()
        access.require_may_delete(deleter, message.room, sender_id=message.sender_id)
        _tombstone(message)
    return message


def moderate_delete_message(*, moderator: User, message_id: int) -> Message:
    """Site staff (the Django admin) delete any message, in any room, as a tombstone with `message_deleted`.

    Raises Forbidden for a user who is not staff, MessageNotFound, MessageDeleted for a tombstone.
    """
    access.require_staff(moderator)
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(id=message_id).first()
        if message is None:
            raise MessageNotFound()
        _tombstone(message)
    return message


def _tombstone(message: Message) -> None:
    """Empty a locked message and drop its reactions; the tombstone keeps its id and position, so history pages,
    `lastMessage` and members' read positions still point at a row."""
    if message.deleted_at is not None:
        raise MessageDeleted()
    message.content = ""
    message.deleted_at = timezone.now()
    message.reactions = {}
    attachments.delete_for_message(message)  # the files go once this commits
    message.save(update_fields=["content", "deleted_at", "reactions", "attachment_count"])
    Reaction.objects.filter(message=message).delete()
    publish_on_commit("message_deleted", message_json(message), to=room_channel(message.room_id))


def react(*, user: User, message_id: int, emoji: str, add: bool) -> Message:
    """Add or remove the user's emoji on a message (both idempotent); the room sees `reaction_updated`."""
    emoji = clean_text(emoji, field="emoji", max_length=settings.CHAT["REACTION_MAX_LENGTH"])
    emoji_key = emoji.encode().hex()
    with transaction.atomic():
        # The row lock serialises reactions on one message, so the counts rewritten below are never stale.
        message = _member_message(user, message_id, lock=True)
        if message.deleted_at is not None:
            raise MessageDeleted()
        if add:
            _check_reaction_caps(message, user, emoji, emoji_key)
            try:
                with transaction.atomic():
                    Reaction.objects.create(message=message, user=user, emoji=emoji, emoji_key=emoji_key)
                changed = True
            except IntegrityError:
                changed = False
        else:
            changed = bool(Reaction.objects.filter(message=message, user=user, emoji_key=emoji_key).delete()[0])
        if changed:
            message.reactions = _reaction_counts(message.id)
            message.save(update_fields=["reactions"])
            event: dict[str, Any] = {
                "roomId": message.room_id,
                "messageId": message.id,
                "userId": user.id,
                "emoji": emoji,
                "added": add,
                "reactions": message.reactions,
            }
            publish_on_commit("reaction_updated", event, to=room_channel(message.room_id))
    return message


def _reaction_counts(message_id: int) -> dict[str, int]:
    """{emoji: count}, in the order each emoji was first used (grouped by the binary key, see Reaction)."""
    rows = (
        Reaction.objects.filter(message_id=message_id)
        .values("emoji_key")
        .annotate(count=Count("id"), first=Min("id"))
        .order_by("first")
    )
    first_ids = [row["first"] for row in rows]
    emoji_of = dict(Reaction.objects.filter(id__in=first_ids).values_list("id", "emoji"))
    return {emoji_of[row["first"]]: row["count"] for row in rows}


def mark_read(*, user: User, room_id: int, message_id: int) -> int:
    """Move the member's read position forward to this message of the room; returns the position.

    A position never moves back (a late or duplicate mark is harmless). When it moves, co-members subscribed to
    the room see `read_receipt`.
    """
    room = access.member_room(user=user, room_id=room_id)
    message = Message.objects.filter(id=message_id, room_id=room.id).only("id", "seq").first()
    if message is None:
        raise MessageNotFound()
    with transaction.atomic():
        if not advance_read_position(room_id=room.id, user_id=user.id, message_id=message.id, seq=message.seq):
            return int(read_position(room_id=room.id, user_id=user.id) or message.id)
        event = {"roomId": room.id, "userId": user.id, "messageId": message.id}
        publish_on_commit("read_receipt", event, to=room_channel(room.id))
    return message.id
