"""Live figures of the server processes, kept in Redis for `manage.py chat_stats`.

Each process publishes, with its presence heartbeat, its open connections and the chat rooms its connections are
subscribed to (keys that expire after PRESENCE_TTL_MS, so a dead process drops out), and adds the messages it
stored since the last beat to a 10-second bucket; messages per minute is the sum of the last six buckets.
"""

import time
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aioredis

BUCKET_SECONDS = 10
BUCKETS_PER_MINUTE = 6


def _process_key(prefix: str, process_id: str) -> str:
    return f"{prefix}:stats:proc:{process_id}"


def _rooms_key(prefix: str, process_id: str) -> str:
    return f"{prefix}:stats:proc:{process_id}:rooms"


def _bucket_key(prefix: str, bucket: int) -> str:
    return f"{prefix}:stats:messages:{bucket}"


class LiveStatsPublisher:
    """Writes one process's figures; `publish` is called by the presence heartbeat of that process."""

    def __init__(self, *, client: aioredis.Redis, prefix: str, process_id: str, ttl_ms: int) -> None:
        self.client = client
        self.prefix = prefix
        self.process_id = process_id
        self.ttl_ms = ttl_ms
        self._messages_published = 0

    async def publish(self, *, connections: int, room_ids: set[int], messages_stored: int) -> None:
        new_messages = messages_stored - self._messages_published
        process_key = _process_key(self.prefix, self.process_id)
        rooms_key = _rooms_key(self.prefix, self.process_id)
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(process_key, mapping={"connections": connections, "updated": time.time()})
            pipe.pexpire(process_key, self.ttl_ms)
            pipe.delete(rooms_key)
            if room_ids:
                pipe.sadd(rooms_key, *room_ids)
                pipe.pexpire(rooms_key, self.ttl_ms)
            if new_messages > 0:
                bucket = _bucket_key(self.prefix, int(time.time()) // BUCKET_SECONDS)
                pipe.incrby(bucket, new_messages)
                pipe.expire(bucket, 2 * BUCKET_SECONDS * BUCKETS_PER_MINUTE)
            await pipe.execute()
        self._messages_published = messages_stored


@dataclass(frozen=True)
class LiveStats:
    processes: int
    connections: int
    rooms_with_subscribers: int
    messages_last_minute: int

    def as_dict(self) -> dict[str, int]:
        return {
            "processes": self.processes,
            "connections": self.connections,
            "roomsWithSubscribers": self.rooms_with_subscribers,
            "messagesPerMinute": self.messages_last_minute,
        }


def read_live_stats(client: redis.Redis, *, prefix: str) -> LiveStats:
    """The figures of every live process of the deployment that uses `prefix` (SOCKETIO_CHANNEL)."""
    process_keys = [
        key.decode() if isinstance(key, bytes) else str(key)
        for key in client.scan_iter(match=f"{prefix}:stats:proc:*", count=500)
    ]
    process_ids = [key.rsplit(":", 1)[1] for key in process_keys if not key.endswith(":rooms")]
    connections = 0
    for process_id in process_ids:
        value: Any = client.hget(_process_key(prefix, process_id), "connections")
        connections += int(value or 0)
    room_keys = [_rooms_key(prefix, process_id) for process_id in process_ids]
    rooms: set[Any] = client.sunion(room_keys) if room_keys else set()  # type: ignore[assignment]
    now_bucket = int(time.time()) // BUCKET_SECONDS
    buckets = [_bucket_key(prefix, now_bucket - i) for i in range(BUCKETS_PER_MINUTE)]
    counts: list[Any] = client.mget(buckets)  # type: ignore[assignment]
    return LiveStats(
        processes=len(process_ids),
        connections=connections,
        rooms_with_subscribers=len(rooms),
        messages_last_minute=sum(int(count or 0) for count in counts),
    )
