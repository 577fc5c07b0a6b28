"""Positions in a room's history: each message's `seq`, the room's newest message, and members' read positions.

Unread counts are a subtraction of these positions (Room.message_seq - RoomMember.read_seq), so every path that
stores messages keeps them here, in the same transaction as the messages. The batch statements are SQL: the
ORM takes longer to compile a CASE or an OR per row than the database takes to run them.
"""

from collections.abc import Iterable

from django.db import connection

from chatbackend.db import locked_rows, update_from_rows, values_table
from rooms.models import Room, RoomMember


def lock_message_seqs(room_ids: Iterable[int]) -> dict[int, int]:
    """Lock the rooms' rows for the transaction and return {room id: message_seq} of those that exist.

    The caller hands out positions message_seq + 1, + 2, ... and writes
    the new totals with `record_new_messages` in the same transaction. Rows are locked in id order, so two
    batches sharing rooms wait for each other instead of deadlocking (`locked_rows`).
    """
    rows = locked_rows(Room._meta.db_table, ("id", "message_seq"), room_ids)
    return {int(room_id): int(seq) for room_id, seq in rows}


def record_new_messages(*, newest: dict[int, tuple[int, int]]) -> None:
    """For rooms locked by `lock_message_seqs`: {room id: (newest seq, newest message id)}, in one UPDATE."""
    update_from_rows(
        Room._meta.db_table,
        columns=("id", "seq", "message_id"),
        rows=((room, seq, mid) for room, (seq, mid) in newest.items()),
        match=("id",),
        assign={"message_seq": "seq", "last_message_id": "message_id"},
    )


def record_sends(*, newest: dict[int, tuple[int, int]], read_to: dict[tuple[int, int], tuple[int, int]]) -> None:
    """`record_new_messages(newest=newest)` and `advance_read_positions(positions=read_to)` together: one
    multi-table UPDATE on MySQL and MariaDB (a round trip less per group-commit batch), the two UPDATEs elsewhere.

    Every room of `read_to` must be in `newest` (the senders' rooms of a batch). A room row is updated once however
    many of its senders join it (MySQL updates each row of a multi-table UPDATE at most once), and all of them
    carry the same newest values; a member already at or past its position is left alone by the LEFT JOIN.
    """
    if connection.vendor != "mysql" or not read_to:
        record_new_messages(newest=newest)
        advance_read_positions(positions=read_to)
        return
    rows_sql, params = values_table(
        ("room_id", "user_id", "seq", "message_id", "read_seq", "read_id"),
        ((room, user, *newest[room], seq, mid) for (room, user), (mid, seq) in read_to.items()),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Room._meta.db_table} AS r JOIN ({rows_sql}) AS v ON r.id = v.room_id "
            f"LEFT JOIN {RoomMember._meta.db_table} AS m "
            "ON m.room_id = v.room_id AND m.user_id = v.user_id AND m.read_seq < v.read_seq "
            "SET r.message_seq = v.seq, r.last_message_id = v.message_id, "
            "m.read_seq = v.read_seq, m.last_read_message_id = v.read_id",
            params,
        )


def advance_read_positions(*, positions: dict[tuple[int, int], tuple[int, int]]) -> None:
    """The batch form of `advance_read_position`: {(room id, user id): (message id, seq)}, in one UPDATE."""
    update_from_rows(
        RoomMember._meta.db_table,
        columns=("room_id", "user_id", "message_id", "seq"),
        rows=((r, u, mid, seq) for (r, u), (mid, seq) in positions.items()),
        match=("room_id", "user_id"),
        assign={"read_seq": "seq", "last_read_message_id": "message_id"},
        where="t.read_seq < v.seq",
    )


def advance_read_position(*, room_id: int, user_id: int, message_id: int, seq: int) -> bool:
    """Move a member's read position forward to this message; False if it already was at or past it."""
    moved = RoomMember.objects.filter(room_id=room_id, user_id=user_id, read_seq__lt=seq).update(
        read_seq=seq, last_read_message_id=message_id
    )
    return bool(moved)


def read_position(*, room_id: int, user_id: int) -> int | None:
    """The id of the newest message the member has read (None: nothing yet)."""
    return RoomMember.objects.values_list("last_read_message_id", flat=True).get(room_id=room_id, user_id=user_id)
