"""The INSERT of a batch of new messages, in SQL, with the ids it gave them."""

from typing import Any

from django.db import connection

from messaging.models import Message
from messaging.send_lookups import read_back_ids


def insert_messages(messages: list[Message]) -> None:
    """INSERT the new messages in one statement, in SQL: `bulk_create` compiled it for longer than the database
    took to run it, on every batch. Ids come back with RETURNING (MariaDB, SQLite) or are read back (MySQL 8)."""
    # Every column without a database default (Django keeps defaults in Python), in the order of the params below.
    columns = ["room_id", "sender_id", "content", "created_at", "client_msg_id", "reply_to_id", "seq"]
    columns += ["reactions", "reply_count", "attachment_count"]
    created_at = connection.ops.adapt_datetimefield_value(messages[0].created_at)
    params: list[Any] = []
    for message in messages:
        params += [message.room_id, message.sender_id, message.content, created_at, message.client_msg_id]
        params += [message.reply_to_id, message.seq, "{}", 0, message.attachment_count]
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
        read_back_ids(messages)  # MySQL 8: no RETURNING
    for message in messages:  # as bulk_create leaves them: stored rows
        message._state.adding = False
        message._state.db = connection.alias
