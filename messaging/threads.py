"""Replies (threads): the one check of the message a send replies to, the counts kept as replies are stored, and a
thread's pages.

A send with `replyToId` is a reply to that message, which must be a message of the same room (else
`message_not_found`, 404, whether or not another room has it: no oracle) that is not deleted (`message_deleted`,
409). REST and socket sends alike reach this check through `store_messages`, which asks here only about the sends
of a batch that are replies: a batch without any costs no query more. Any message may be replied to, a reply too;
a message counts its direct replies (`replyCount`), tombstones included, as its thread lists them.

The messages replied to are locked for the transaction, after the rooms' rows (the lock order of every send), so a
concurrent delete waits and the counts published are exact: each reply counts once, whichever process stores it.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection

from accounts.models import User
from chatbackend.db import locked_rows
from chatbackend.errors import (
    MessageNotFound,
    ReplyTargetDeleted,
    ReplyTargetNotFound,
    RoomNotFound,
    ValidationFailed,
)
from chatbackend.events import publish_on_commit, room_channel
from chatbackend.validation import is_id
from messaging.models import Message
from messaging.selectors import NEWER, HistoryPage, decode_cursor, encode_cursor, get_message
from messaging.serializers import thread_event
from rooms.access import require_readable
from rooms.selectors import get_room

# A thread is read oldest first: its cursors only go forward ("a1042": the replies after 1042).
CURSOR_PATTERN = r"^a[1-9][0-9]{0,17}$"


@dataclass(frozen=True)
class Parent:
    """A message replied to, as locked for the transaction."""

    room_id: int
    deleted: bool
    reply_count: int


def check_reply_to_id(reply_to_id: object) -> int | None:
    """The id a send replies to (None: not a reply); raises ValidationFailed for anything that is no message id."""
    if reply_to_id is None or is_id(reply_to_id):
        return reply_to_id
    raise ValidationFailed("replyToId: must be a message id.", replyToId=["Must be a positive integer id."])


def check_replies(sends: Sequence[tuple[int, int | None]]) -> tuple[dict[int, Parent], list[Exception | None]]:
    """For sends given as (room id, id replied to or None): the messages they reply to, locked, and each send's
    refusal (None: fine). One query if any send is a reply, none otherwise."""
    parents = _lock_parents(reply_to for _, reply_to in sends if reply_to is not None)
    refusals: list[Exception | None] = []
    for room_id, reply_to in sends:
        parent = parents.get(reply_to) if reply_to is not None else None
        if reply_to is None:
            refusals.append(None)
        elif parent is None or parent.room_id != room_id:
            refusals.append(ReplyTargetNotFound(replyToId=["No message of this room has this id."]))
        else:
            refusals.append(ReplyTargetDeleted(replyToId=["The message was deleted."]) if parent.deleted else None)
    return parents, refusals


def _lock_parents(message_ids: Iterable[int]) -> dict[int, Parent]:
    rows = locked_rows(Message._meta.db_table, ("id", "room_id", "deleted_at", "reply_count"), message_ids)
    return {int(row[0]): Parent(int(row[1]), row[2] is not None, int(row[3])) for row in rows}


def count_replies(messages: Sequence[Message], parents: dict[int, Parent]) -> None:
    """Count the just inserted replies among `messages` on the messages they answer (locked by `check_replies`),
    and once committed tell each room `thread_updated`, after the replies' own `receive_message`.

    One UPDATE per distinct number of new replies a parent gets in the batch (one, nearly always); nothing
    without replies.
    """
    added = Counter(message.reply_to_id for message in messages if message.reply_to_id is not None)
    if not added:
        return
    replied_at = messages[0].created_at  # a batch's messages share their time
    by_increment: defaultdict[int, list[int]] = defaultdict(list)
    for parent_id, count in added.items():
        by_increment[count].append(parent_id)
    stored_at = connection.ops.adapt_datetimefield_value(replied_at)
    with connection.cursor() as cursor:
        for count, parent_ids in by_increment.items():
            cursor.execute(
                f"UPDATE {Message._meta.db_table} SET reply_count = reply_count + %s, last_reply_at = %s "
                f"WHERE id IN ({', '.join(['%s'] * len(parent_ids))})",
                [count, stored_at, *parent_ids],
            )
    for parent_id, count in added.items():
        parent = parents[parent_id]
        event = thread_event(
            room_id=parent.room_id,
            message_id=parent_id,
            reply_count=parent.reply_count + count,
            last_reply_at=replied_at,
        )
        publish_on_commit("thread_updated", event, to=room_channel(parent.room_id))


def thread_page(*, user: User, message_id: int, limit: int, cursor: str | None = None) -> HistoryPage:
    """One page of a message's direct replies, oldest first, after the cursor's reply.

    Readable by whoever may read the message's room (as history); a message of a private room of others is not
    found, as a missing one is. A deleted message keeps its thread. Keyset on (reply_to, id): one index range scan.
    """
    message = get_message(message_id)
    try:
        require_readable(user, get_room(message.room_id))
    except RoomNotFound as exc:
        raise MessageNotFound() from exc
    after = 0
    if cursor:
        direction, after = decode_cursor(cursor)
        if direction != NEWER:
            raise ValidationFailed("cursor: not a cursor of a thread.", cursor=["Invalid cursor."])
    page = list(Message.objects.filter(reply_to_id=message.id, id__gt=after).order_by("id")[: limit + 1])
    has_more = len(page) > limit
    page = page[:limit]
    return HistoryPage(messages=page, next_cursor=encode_cursor(page[-1].id, NEWER) if has_more else None)
