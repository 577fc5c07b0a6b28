"""Seed rooms of N messages for the history scenario with raw multi-row INSERTs, once: a complete room is reused.

Usage: DATABASE_URL=... python -m bench.seed_history 10000 1000000  -> prints {"10000": room_id, ...}
"""

import json
import os
import sys
import time
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatbackend.settings")
django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from rooms.models import Room, RoomMember  # noqa: E402

ROWS_PER_INSERT = 5_000
ROWS_PER_COMMIT = 50_000


def insert_messages(cursor: Any, rows: list[tuple[Any, ...]], created_at: str = "%s") -> None:
    """One multi-row INSERT of seeded messages: (room_id, sender_id, content, created_at, seq) each, every other
    column as a new message has it. `created_at` is the SQL of the time's placeholder (e.g. FROM_UNIXTIME(%s))."""
    placeholders = f"(%s,%s,%s,{created_at},%s,'{{}}',0,0)"
    cursor.execute(
        "INSERT INTO messages (room_id, sender_id, content, created_at, seq, reactions, reply_count, attachment_count)"
        " VALUES " + ",".join([placeholders] * len(rows)),
        [value for row in rows for value in row],
    )


def history_room(size: int) -> int:
    """The id of a public room holding exactly `size` seeded messages, seeding it if it is not there yet."""
    author, _ = User.objects.get_or_create(email="bench-history@example.com", defaults={"name": "Bench history"})
    name = f"bench history {size}"
    room = Room.objects.filter(name=name, created_by=author).first()
    if room is not None and room.message_seq == size:
        return room.id
    if room is not None:  # an interrupted seed: start that room again
        room.delete()
    room = Room.objects.create(name=name, created_by=author)
    RoomMember.objects.create(room=room, user=author, role=RoomMember.Role.OWNER)
    started = time.monotonic()
    # Spread the messages over the last `size` seconds, oldest first, as a real room's history would be.
    now = timezone.now().replace(tzinfo=None, microsecond=0)
    base = now.timestamp() - size
    with connection.cursor() as cursor:
        for start in range(0, size, ROWS_PER_COMMIT):
            with transaction.atomic():
                for chunk in range(start, min(start + ROWS_PER_COMMIT, size), ROWS_PER_INSERT):
                    stop = min(chunk + ROWS_PER_INSERT, start + ROWS_PER_COMMIT, size)
                    rows = [
                        (room.id, author.id, f"seeded message {seq} of the history benchmark", base + seq, seq + 1)
                        for seq in range(chunk, stop)
                    ]
                    insert_messages(cursor, rows, created_at="FROM_UNIXTIME(%s)")
        cursor.execute("SELECT MAX(id) FROM messages WHERE room_id = %s", [room.id])
        last_id = cursor.fetchone()[0]
    Room.objects.filter(id=room.id).update(message_seq=size, last_message_id=last_id)
    print(f"seeded {size} messages in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return room.id


if __name__ == "__main__":
    print(json.dumps({size: history_room(int(size)) for size in sys.argv[1:]}))
