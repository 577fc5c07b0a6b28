"""Positions in a room's history: each message's `seq`, the room's newest message, and members' read positions.

Unread counts are a subtraction of these positions (Room.message_seq - RoomMember.read_seq), so every path that
stores messages keeps them here, in the same transaction as the messages. The batch statements are SQL: the
ORM takes longer to compile a CASE or an OR per row than the database takes to run them.
"""

from collections.abc import Iterable

from django.db import connection

from chatbackend.db import values_table
from rooms.models import Room, RoomMember


def lock_message_seqs(room_ids: Iterable[int]) -> dict[int, int]:
    """Lock the rooms' rows for the transaction and return {room id: message_seq} of those that exist.

    The caller hands out positions message_seq + 1, + 2, ... and writes
    the new totals with `record_new_messages` in the same transaction. Rows are locked in id order, so two
    batches sharing rooms wait for each other instead of deadlocking.
    """
    rooms = Room.objects.filter(id__in=set(room_ids)).order_by("id").select_for_update()
    return {room_id: int(seq) for room_id, seq in rooms.values_list("id", "message_seq")}


def record_new_messages(*, newest: dict[int, tuple[int, int]]) -> None:
    """For rooms locked by `lock_message_seqs`: {room id: (newest seq, newest message id)}, in one UPDATE."""
    if not newest:
        return
    # SQL, not Case/When: the ORM takes longer to compile a CASE per room than the database takes to run it.
    new, params = values_table(("id", "seq", "message_id"), ((room, seq, mid) for room, (seq, mid) in newest.items()))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Room._meta.db_table} AS r JOIN ({new}) AS v ON r.id = v.id "
            "SET r.message_seq = v.seq, r.last_message_id = v.message_id",
            params,
        )


def advance_read_positions(*, positions: dict[tuple[int, int], tuple[int, int]]) -> None:
    """The batch form of `advance_read_position`: {(room id, user id): (message id, seq)}, in one UPDATE."""
    if not positions:
        return
    new, params = values_table(
        ("room_id", "user_id", "message_id", "seq"), ((r, u, mid, seq) for (r, u), (mid, seq) in positions.items())
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {RoomMember._meta.db_table} AS m JOIN ({new}) AS v "
            "ON m.room_id = v.room_id AND m.user_id = v.user_id "
            "SET m.read_seq = v.seq, m.last_read_message_id = v.message_id WHERE m.read_seq < v.seq",
            params,
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
