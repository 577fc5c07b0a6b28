"""Soak: thousands of connect/join/send/disconnect cycles leave no presence, memory, file or connection behind.

CI runs a short form; `SOAK_CYCLES=20000 pytest messaging/tests/test_soak.py` runs a long one.
"""

import asyncio
import os
import uuid
from pathlib import Path

import pytest
import redis

from chatbackend.testclients import connected
from chatbackend.testing import ServerProcess, make_room, make_user, token_for
from conftest import SERVER_ENV
from messaging.models import Message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]

CYCLES = int(os.environ.get("SOAK_CYCLES", "1500"))
WARMUP = 300
CLIENTS = 20


def process_figures(pid: int) -> dict[str, int]:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in status)
    return {
        "rss_kb": int(fields["VmRSS"].split()[0]),
        "threads": int(fields["Threads"]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
    }


def test_connect_join_send_disconnect_cycles_leak_nothing(test_database_url: str) -> None:
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    prefix = f"soak-{uuid.uuid4().hex[:6]}"
    env = {**SERVER_ENV, "REDIS_URL": redis_url, "SOCKETIO_CHANNEL": prefix, "MESSAGE_RATE_LIMIT": "1000000"}
    server = ServerProcess(database_url=test_database_url, env=env).start()
    users = [make_user() for _ in range(CLIENTS)]
    room = make_room(creator=users[0], members=tuple(users[1:]))
    tokens = [token_for(user) for user in users]
    acked = 0

    async def cycles(count: int) -> None:
        nonlocal acked
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(count):
            queue.put_nowait(n)

        async def client(index: int) -> None:
            nonlocal acked
            while not queue.empty():
                n = queue.get_nowait()
                peer = await connected(server.url, tokens[index])
                await peer.call("join_room", {"roomId": room.id})
                ack = await peer.call("send_message", {"roomId": room.id, "content": f"soak {n}"})
                assert ack["ok"], ack
                acked += 1
                await peer.disconnect()

        await asyncio.gather(*(client(i) for i in range(CLIENTS)))
        await asyncio.sleep(1.0)  # disconnect handlers finish on the server

    try:
        # Warm up (every DB thread opens its connection, caches fill), then two equal rounds: a leak grows
        # with the number of cycles, so the second round must add (next to) nothing.
        asyncio.run(cycles(WARMUP))
        assert server.process is not None
        start = process_figures(server.process.pid)
        asyncio.run(cycles(CYCLES // 2))
        middle = process_figures(server.process.pid)
        asyncio.run(cycles(CYCLES - CYCLES // 2))
        end = process_figures(server.process.pid)
        print(f"\nsoak: {WARMUP}+{CYCLES} cycles; start {start}; middle {middle}; end {end}")

        assert acked == WARMUP + CYCLES
        assert Message.objects.filter(room=room).count() == acked
        client = redis.Redis.from_url(redis_url)
        online = [user.id for user in users if client.scard(f"{prefix}:presence:user:{user.id}")]
        assert online == [], "everybody is offline once every client has gone"
        for key in client.scan_iter(f"{prefix}:presence:proc:*"):
            assert client.scard(key) == 0
        assert end["rss_kb"] - middle["rss_kb"] < 10_000, "memory stays level over the second round"
        assert end["rss_kb"] - start["rss_kb"] < 30_000, "memory is back near where it started"
        assert end["threads"] <= start["threads"], "no thread started per connection"
        # Sockets to clients, MySQL and Redis are all file descriptors: none may pile up.
        assert end["fds"] <= middle["fds"] + 3 and end["fds"] <= start["fds"] + 10, "no socket or file left open"
    finally:
        server.stop()
