"""The original stack's side of the peer comparison: the shapes both sides are given, its database and its users,
rooms and tokens (seeded with SQL, signed with its own secret)."""

import os
import time
from typing import Any
from urllib.parse import urlparse

import jwt
import MySQLdb

from bench.servers import BASE_DIR

PEER_DATABASE_URL = os.environ.get("BENCH_PEER_DATABASE_URL", "mysql://root@127.0.0.1:3306/chat_bench_peer")
PEER_APP = str(BASE_DIR / "bench" / "peers" / "original.mjs")
PEER_SECRET = "bench-peer-secret-not-for-production"
USERS = 50
SCENARIOS = {  # rooms x clients per room, senders per room
    "fanout": {"rooms": 10, "room_size": 20, "senders": 2},
    "write": {"rooms": 200, "room_size": 2, "senders": 2},
}
# --cost offers nothing, then a fixed rate (sends/s): the server's CPU for all of the second level's work, less
# what it burns idle holding the connections (pings, timers), is the cost of its sends, even when it falls behind.
COST_RATES = {"fanout": [0.0, 100.0], "write": [0.0, 200.0]}


def room_groups(scenario: str) -> list[list[int]]:
    """The user indexes of each room: client i is user i % USERS, in room i // room_size."""
    shape = SCENARIOS[scenario]
    size = shape["room_size"]
    return [[(r * size + j) % USERS for j in range(size)] for r in range(shape["rooms"])]


def _peer_connect(database: str | None = None) -> Any:
    url = urlparse(PEER_DATABASE_URL)
    return MySQLdb.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        database=database if database is not None else url.path.lstrip("/"),
        charset="utf8mb4",
        autocommit=True,
    )


def create_peer_database() -> None:
    connection = _peer_connect(database="")
    try:
        name = urlparse(PEER_DATABASE_URL).path.lstrip("/")
        connection.cursor().execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
    finally:
        connection.close()


def seed_peer() -> tuple[list[str | None], dict[str, list[int]]]:
    """Users and rooms for the original stack (its server created the tables): tokens and room ids."""
    connection = _peer_connect()
    try:
        cursor = connection.cursor()
        stamp = f"{int(time.time())}-{os.getpid()}"
        user_ids = []
        for index in range(USERS):
            cursor.execute(
                "INSERT INTO users (name, email, password) VALUES (%s, %s, 'x')",
                (f"Bench {index}", f"bench-{stamp}-{index}@example.com"),
            )
            user_ids.append(cursor.lastrowid)
        rooms: dict[str, list[int]] = {}
        for scenario in SCENARIOS:
            rooms[scenario] = []
            for number, group in enumerate(room_groups(scenario)):
                cursor.execute(
                    "INSERT INTO rooms (name, created_by) VALUES (%s, %s)", (f"{scenario} {number}", user_ids[group[0]])
                )
                room_id = cursor.lastrowid
                rooms[scenario].append(room_id)
                cursor.executemany(
                    "INSERT INTO room_members (room_id, user_id) VALUES (%s, %s)",
                    [(room_id, user_ids[member]) for member in group],
                )
    finally:
        connection.close()
    tokens: list[str | None] = [
        jwt.encode({"id": user_id, "name": f"Bench {index}"}, PEER_SECRET, algorithm="HS256")
        for index, user_id in enumerate(user_ids)
    ]
    return tokens, rooms
