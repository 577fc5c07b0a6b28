"""Soak: thousands of connect/join/send/disconnect cycles leave no presence, memory, file or connection behind.

CI runs a short form; `SOAK_CYCLES=20000 pytest messaging/tests/test_soak.py` runs a long one.
"""

import asyncio
import contextlib
import os
import uuid
from pathlib import Path

import pytest
import redis

from conftest import SERVER_ENV
from messaging.models import Message
from tests.support import ServerProcess, make_room, make_user, token_for
from tests.support.socketio_client import connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]

CYCLES = int(os.environ.get("SOAK_CYCLES", "1500"))
WARMUP = 300
CLIENTS = 20


def _tcp_sockets(pid: int) -> list[tuple[int, int]]:
    """(local port, remote port) of the process's established TCP sockets."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    sockets = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes and fields[3] == "01":  # 01: ESTABLISHED
                sockets.append((int(fields[1].rsplit(":", 1)[1], 16), int(fields[2].rsplit(":", 1)[1], 16)))
    return sockets


def process_figures(pid: int, server_port: int) -> dict[str, int]:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in status)
    sockets = _tcp_sockets(pid)
    return {
        "rss_kb": int(fields["VmRSS"].split()[0]),
        "threads": int(fields["Threads"]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "client_sockets": sum(1 for local, _ in sockets if local == server_port),
        "mysql_sockets": sum(1 for _, remote in sockets if remote == 3306),
        "redis_sockets": sum(1 for _, remote in sockets if remote == 6379),
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
        start = process_figures(server.process.pid, server.port)
        asyncio.run(cycles(CYCLES // 2))
        middle = process_figures(server.process.pid, server.port)
        asyncio.run(cycles(CYCLES - CYCLES // 2))
        end = process_figures(server.process.pid, server.port)
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
        assert end["client_sockets"] == 0, "every client connection is closed"
        # Pools grow lazily to their bounds (DB_THREADS connections, a few Redis ones), then stay there.
        assert end["mysql_sockets"] <= int(env.get("DB_THREADS", "8")) + 1, "no database connection beyond the pool"
        # Bounded pools (REDIS_POOL_SIZE async, DB_THREADS + 4 sync) plus python-socketio's manager: level, not
        # growing with the number of cycles.
        assert end["redis_sockets"] <= middle["redis_sockets"] + 3, "no Redis connection left behind"
        other = {
            name: figures["fds"] - figures["mysql_sockets"] - figures["redis_sockets"]
            for name, figures in (("start", start), ("middle", middle), ("end", end))
        }
        assert other["end"] <= other["middle"] + 3 and other["end"] <= other["start"] + 5, "no file left open"
    finally:
        server.stop()
