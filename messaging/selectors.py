"""Reads of messages: keyset-paginated history pages."""

import re
from dataclasses import dataclass

from django.db import connection

from accounts.models import User
from chatbackend.errors import MessageNotFound, ValidationFailed
from chatbackend.validation import id_from_text, is_id
from messaging.attachments import prefetch
from messaging.models import Message
from rooms.access import require_readable
from rooms.selectors import get_room


@dataclass(frozen=True)
class HistoryPage:
    messages: list[Message]
    next_cursor: str | None


NEWER, OLDER = "a", "m"
# A cursor is the direction and the id of the last message of the page ("m1042": older than 1042). Clients treat
# it as opaque; the OpenAPI schema states the pattern, so that any string it allows is a cursor the API accepts.
# Ids stay below 10^18 (auto-increment, or time-ordered ids below 2^53), so 18 digits are enough.
CURSOR_PATTERN = r"^[am][1-9][0-9]{0,17}$"
_CURSOR = re.compile(CURSOR_PATTERN.replace("$", r"\Z"))


def encode_cursor(message_id: int, direction: str = OLDER) -> str:
    return f"{direction}{message_id}"


def decode_cursor(cursor: str) -> tuple[str, int]:
    """(direction, message id) of a cursor this API handed out; raises ValidationFailed otherwise."""
    if not _CURSOR.match(cursor):
        raise ValidationFailed("cursor: not a cursor this API returned.", cursor=["Invalid cursor."])
    return cursor[0], int(cursor[1:])


def parse_after(raw: str | None) -> int | None:
    """The `after` message id of a catch-up request: a non-negative integer, or None when absent."""
    if raw is None or raw == "":
        return None
    after = id_from_text(raw, allow_zero=True)
    if after is None:
        raise ValidationFailed("after: must be a message id.", after=["Must be a non-negative integer."])
    return after


def history_page(
    *, user: User, room_id: int, limit: int, cursor: str | None = None, after: int | None = None
) -> HistoryPage:
    """One page of a room's messages.

    By default newest first, older than the cursor. With `after` (or a cursor from such a page): oldest first,
    every message after that id, for a client catching up after a reconnect. Keyset on the primary key: a page
    never shifts when new messages arrive, and costs one index range scan however deep it is.
    """
    room = get_room(room_id)
    require_readable(user, room)
    direction, bound = (NEWER, after) if after is not None else (OLDER, None)
    if cursor:
        direction, bound = decode_cursor(cursor)
    page = _page_of(room.id, direction, bound, limit + 1)
    has_more = len(page) > limit
    page = page[:limit]
    prefetch(page)  # one query for the page's attachments, none for a page of text
    return HistoryPage(messages=page, next_cursor=encode_cursor(page[-1].id, direction) if has_more else None)


def _page_of(room_id: int, direction: str, bound: int | None, limit: int) -> list[Message]:
    """Up to `limit` messages of the room past `bound` in `direction`, by the (room_id, id) index.

    The index is named on MySQL/MariaDB: with the room fixed, their optimizer may walk the primary key from the
    newest row instead, skipping every later row of other rooms, seconds for a quiet room below a busy one (a
    room of 10k under one of 1M: 2 s a page). SQLite's planner takes the index by itself.
    """
    if direction == NEWER:
        condition, order, params = "id > %s", "id", [room_id, bound or 0, limit]
    elif bound is not None:
        condition, order, params = "id < %s", "id DESC", [room_id, bound, limit]
    else:
        condition, order, params = "1 = 1", "id DESC", [room_id, limit]
    hint = " FORCE INDEX (messages_room_id_idx)" if connection.vendor == "mysql" else ""
    table = Message._meta.db_table
    return list(
        Message.objects.raw(
            f"SELECT * FROM {table}{hint} WHERE room_id = %s AND {condition} ORDER BY {order} LIMIT %s", params
        )
    )


def get_message(message_id: int) -> Message:
    """The message with this id (tombstones included); raises MessageNotFound."""
    if not is_id(message_id):
        raise MessageNotFound()
    try:
        return Message.objects.get(id=message_id)
    except Message.DoesNotExist as exc:
        raise MessageNotFound() from exc
