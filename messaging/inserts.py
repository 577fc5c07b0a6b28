"""The INSERT of a batch of new messages, in SQL, with the ids it gave them."""

from typing import Any

from django.db import connection

from chatbackend.db import values_table
from messaging.models import Message


def insert_messages(messages: list[Message]) -> None:
    """INSERT the new messages in one statement, in SQL: `bulk_create` compiled it for longer than the database
    took to run it, on every batch. Ids come back with RETURNING (MariaDB, SQLite) or are read back (MySQL 8)."""
    # Every column without a database default (Django keeps defaults in Python), in the order of the params below.
    columns = ["room_id", "sender_id", "content", "created_at", "client_msg_id", "reply_to_id", "seq"]
    columns += ["reactions", "reply_count"]
    created_at = connection.ops.adapt_datetimefield_value(messages[0].created_at)
    params: list[Any] = []
    for message in messages:
        params += [message.room_id, message.sender_id, message.content, created_at, message.client_msg_id]
        params += [message.reply_to_id, message.seq, "{}", 0]
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    returning = connection.features.can_return_rows_from_bulk_insert
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Message._meta.db_table} ({', '.join(columns)}) VALUES {', '.join([row] * len(messages))}"
            + (" RETURNING id" if returning else ""),
            params,
        )
        if returning:
            for message, (message_id,) in zip(messages, cursor.fetchall(), strict=True):
                message.id = int(message_id)
    if not returning:
        _read_back_ids(messages)  # MySQL 8: no RETURNING
    for message in messages:  # as bulk_create leaves them: stored rows
        message._state.adding = False
        message._state.db = connection.alias


def _read_back_ids(messages: list[Message]) -> None:
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
