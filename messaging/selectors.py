"""Reads of messages: keyset-paginated history pages."""

import base64
import binascii
from dataclasses import dataclass

from django.conf import settings

from accounts.models import User
from chatbackend.errors import MessageNotFound, ValidationFailed
from messaging.models import Message
from rooms.selectors import get_room
from rooms.services import require_readable


@dataclass(frozen=True)
class HistoryPage:
    messages: list[Message]
    next_cursor: str | None


def encode_cursor(message_id: int) -> str:
    return base64.urlsafe_b64encode(f"m:{message_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        message_id = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValidationFailed("cursor: not a cursor this API returned.", cursor=["Invalid cursor."]) from exc
    if prefix != "m" or not 0 < message_id < 2**63:
        raise ValidationFailed("cursor: not a cursor this API returned.", cursor=["Invalid cursor."])
    return message_id


def history_limit(raw: str | None) -> int:
    """The page size asked for: the default when absent, capped at the maximum, a 400 when not a positive integer."""
    chat = settings.CHAT
    if raw is None or raw == "":
        return int(chat["HISTORY_DEFAULT_LIMIT"])
    maximum = int(chat["HISTORY_MAX_LIMIT"])
    digits = raw.lstrip("0")  # "0000000" is zero however long; a huge number is not parsed, only capped
    if not (raw.isascii() and raw.isdigit()) or not digits:
        raise ValidationFailed("limit: must be a positive integer.", limit=["Must be a positive integer."])
    return min(int(digits), maximum) if len(digits) <= 6 else maximum


def history_page(*, user: User, room_id: int, cursor: str | None = None, limit: int) -> HistoryPage:
    """One page of a room's messages, newest first, older than the cursor.

    Keyset on the primary key: a page never shifts when new messages arrive, and costs one index range scan
    however deep the page is.
    """
    room = get_room(room_id)
    require_readable(user, room)
    messages = Message.objects.filter(room_id=room.id)
    if cursor:
        messages = messages.filter(id__lt=decode_cursor(cursor))
    page = list(messages.order_by("-id")[: limit + 1])
    has_more = len(page) > limit
    page = page[:limit]
    return HistoryPage(messages=page, next_cursor=encode_cursor(page[-1].id) if has_more else None)


def get_message(message_id: int) -> Message:
    """The message with this id (tombstones included); raises MessageNotFound."""
    if not 0 < message_id < 2**63:
        raise MessageNotFound()
    try:
        return Message.objects.get(id=message_id)
    except Message.DoesNotExist as exc:
        raise MessageNotFound() from exc
