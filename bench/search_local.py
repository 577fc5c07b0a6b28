"""The search selector timed in-process (no HTTP) on any database, SQLite included: p50/p99 of the scenario-7
searches over the seeded 1M-message corpus (bench/seed_search.py, seeded on first use).

Usage: DATABASE_URL=sqlite:////absolute/path/bench.sqlite3 python -m bench.search_local [REQUESTS]
"""

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatbackend.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

from accounts.models import User  # noqa: E402
from bench import seed_search  # noqa: E402
from messaging import search  # noqa: E402
from rooms.models import RoomMember  # noqa: E402


def main(requests: int) -> None:
    call_command("migrate", verbosity=0)
    rooms = seed_search.search_rooms()[: seed_search.SEARCH_MEMBER_ROOMS]
    caller, _ = User.objects.get_or_create(email="bench-search-caller@example.com", defaults={"name": "Caller"})
    for member_room in rooms:
        RoomMember.objects.get_or_create(room_id=member_room, user=caller)
    where_to: list[int | None] = [None, rooms[0]]
    for kind, word in seed_search.QUERIES.items():
        for room_id in where_to:
            timings = []
            for index in range(requests + 20):
                started = time.perf_counter()
                page = search.search_page(user=caller, q=word, limit=50, room_id=room_id)
                if index >= 20:
                    timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            where = "1 room" if room_id else "all rooms"
            p50, p99 = timings[len(timings) // 2], timings[min(len(timings) - 1, int(0.99 * len(timings)))]
            print(f"{kind} {where}: p50 {p50:.1f} p99 {p99:.1f} ms ({len(page.messages)} found)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
