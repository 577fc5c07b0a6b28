"""Lookups of the send path (messaging/services.py) in hand-written SQL: the stored messages of retry keys, and the
ids of rows a multi-row INSERT just wrote where the database returns none (MySQL 8)."""

from collections.abc import Iterable

from django.db import connection

from chatbackend.db import any_row, values_table
from messaging.models import Message

RetryKey = tuple[int, int, str]  # (room id, sender id, client_msg_id): the unique index of Message


def read_back_ids(messages: list[Message]) -> None:
    """Fill in the ids of just inserted messages by their (room, seq), unique per row: the positions were handed
    out under the rooms' locks, which this transaction still holds."""
    spans: dict[int, tuple[int, int]] = {}
    for message in messages:
        low, high = spans.get(message.room_id, (message.seq, message.seq))
        spans[message.room_id] = (min(low, message.seq), max(high, message.seq))
    wanted, params = values_table(
        ("room_id", "low", "high"), ((room, low, high) for room, (low, high) in spans.items())
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.room_id, m.seq, m.id FROM ({wanted}) AS v JOIN {Message._meta.db_table} AS m "
            "ON m.room_id = v.room_id AND m.seq BETWEEN v.low AND v.high",
            params,
        )
        ids = {(int(room_id), int(seq)): int(message_id) for room_id, seq, message_id in cursor.fetchall()}
    for message in messages:
        message.id = ids[(message.room_id, message.seq)]


def earlier_sends(keys: Iterable[RetryKey | None]) -> dict[RetryKey, Message]:
    """The stored messages of these retry keys, in one query."""
    wanted = {key for key in keys if key is not None}
    if not wanted:
        return {}
    condition, params = any_row(("room_id = %s", "sender_id = %s", "client_msg_id = %s"), wanted)
    found: dict[RetryKey, Message] = {}
    for message in Message.objects.raw(f"SELECT * FROM {Message._meta.db_table} WHERE {condition}", params):
        found[(message.room_id, message.sender_id, message.client_msg_id or "")] = message
    # Keys the column's collation matches but Python does not (case, trailing spaces) are missed here; their
    # insert then hits the unique index and `_store_alone` finds the first message the database's way.
    return found
