"""Seed the search corpus once: SEARCH_ROOMS rooms of SEARCH_ROOM_SIZE messages (1M in all) of made-up words drawn
with a Zipf law (a few words in most messages, most words in a few), plus short words ("ok", "hi") and stopwords.

Usage: DATABASE_URL=... python -m bench.seed_search [USER_ID]  -> prints {"rooms": [...], "words": {...}}
USER_ID becomes a member of the first SEARCH_MEMBER_ROOMS rooms (the caller of the search scenario). Works on
MySQL/MariaDB and SQLite; a complete corpus is detected and reused.
"""

import json
import os
import random
import sys
import time
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatbackend.settings")
django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.seed_history import insert_messages  # noqa: E402
from rooms.models import Room, RoomMember  # noqa: E402

SEARCH_ROOMS, SEARCH_ROOM_SIZE, SEARCH_MEMBER_ROOMS = 100, 10_000, 10
ROWS_PER_INSERT = 2_000
SYLLABLES = ["ka", "lo", "mi", "ren", "tu", "sa", "vel", "do", "pri", "nor", "ex", "qua", "zin", "bo", "fe", "lu"]
SHORT_WORDS = {"ok": 0.04, "hi": 0.02, "the": 0.3, "is": 0.2}  # each message holds each with this probability


def vocabulary() -> list[str]:
    """5,000 distinct made-up words of 2 to 4 syllables, in a fixed order (rank 0 the most frequent)."""
    rng = random.Random(15)
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < 5_000:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


WORDS = vocabulary()
# The words the scenario searches for: about 60% of the messages hold COMMON, about 0.03% RARE.
QUERIES = {"common": WORDS[0], "rare": WORDS[3_000], "short": "ok"}


def messages(rng: random.Random, count: int) -> list[str]:
    weights = [1 / (rank + 1) for rank in range(len(WORDS))]
    drawn = iter(rng.choices(WORDS, weights=weights, k=count * 9))
    texts = []
    for _ in range(count):
        words = [next(drawn) for _ in range(9)]
        words += [word for word, share in SHORT_WORDS.items() if rng.random() < share]
        rng.shuffle(words)
        texts.append(" ".join(words))
    return texts


def search_rooms() -> list[int]:
    author, _ = User.objects.get_or_create(email="bench-search@example.com", defaults={"name": "Bench search"})
    rooms = list(Room.objects.filter(name__startswith="bench search ", created_by=author).order_by("id"))
    if len(rooms) == SEARCH_ROOMS and all(room.message_seq == SEARCH_ROOM_SIZE for room in rooms):
        return [room.id for room in rooms]
    for room in rooms:  # an interrupted seed: start again
        room.delete()
    started = time.monotonic()
    rng = random.Random(7)
    rooms = [Room.objects.create(name=f"bench search {n}", created_by=author) for n in range(SEARCH_ROOMS)]
    RoomMember.objects.bulk_create(RoomMember(room=room, user=author, role=RoomMember.Role.OWNER) for room in rooms)
    total = SEARCH_ROOMS * SEARCH_ROOM_SIZE
    first = timezone.now().replace(tzinfo=None, microsecond=0) - timedelta(seconds=total)
    seqs = dict.fromkeys((room.id for room in rooms), 0)
    with connection.cursor() as cursor:
        for start in range(0, total, ROWS_PER_INSERT):
            rows = []
            for offset, content in enumerate(messages(rng, ROWS_PER_INSERT)):
                room_id = rooms[(start + offset) % SEARCH_ROOMS].id  # the rooms' messages interleave in time
                seqs[room_id] += 1
                stamp = (first + timedelta(seconds=start + offset)).strftime("%Y-%m-%d %H:%M:%S")
                rows.append((room_id, author.id, content, stamp, seqs[room_id]))
            with transaction.atomic():
                insert_messages(cursor, rows)
            if start % 100_000 == 0:
                print(f"  {start:,} messages in {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
    for room in rooms:
        last = room.messages.order_by("-id").values_list("id", flat=True).first()
        Room.objects.filter(id=room.id).update(message_seq=SEARCH_ROOM_SIZE, last_message_id=last)
    print(f"seeded {total:,} messages in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return [room.id for room in rooms]


if __name__ == "__main__":
    room_ids = search_rooms()
    if len(sys.argv) > 1:
        for room_id in room_ids[:SEARCH_MEMBER_ROOMS]:
            RoomMember.objects.get_or_create(room_id=room_id, user_id=int(sys.argv[1]))
    print(json.dumps({"rooms": room_ids[:SEARCH_MEMBER_ROOMS], "words": QUERIES}))
