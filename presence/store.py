"""Who is online: the open connections of each user, in memory (one process) or in Redis (many processes).

A user is online while at least one connection is open. In Redis each process also keeps the set of its own
connections and a heartbeat; when a process dies without closing its connections (a crash, or daphne's SIGTERM,
which runs no disconnect handler), the survivors reap its connections once its heartbeat is older than the TTL.
"""

import uuid
from typing import Protocol

import redis
import redis.asyncio as aioredis


class PresenceStore(Protocol):
    async def add_connection(self, user_id: int, sid: str, limit: int) -> int:
        """Record an open connection unless the user already holds `limit`: the user's connection count with
        this one (1: the user came online), or 0 if it was refused."""

    async def remove_connection(self, user_id: int, sid: str) -> bool:
        """Forget a connection; True if it was the user's last (the user went offline)."""

    async def process_connections(self) -> set[tuple[int, str]]:
        """The (user id, sid) pairs recorded for this process."""

    async def connection_sids(self, user_id: int) -> list[str]:
        """The sids of the user's open connections, across processes."""

    def connection_sids_sync(self, user_id: int) -> list[str]:
        """`connection_sids`, for sync code running outside the event loop."""

    def online_user_ids_sync(self, user_ids: list[int]) -> set[int]:
        """Which of these users are online; for sync code (REST views) running outside the event loop."""

    async def heartbeat(self) -> None:
        """Tell the other processes that this one is alive."""

    async def reap_dead_processes(self) -> list[int]:
        """Drop the connections of processes whose heartbeat stopped; the users that went offline by it."""

    async def close(self) -> None:
        """Release connections to the back end."""


class MemoryPresenceStore:
    def __init__(self) -> None:
        self._connections: dict[int, set[str]] = {}

    async def add_connection(self, user_id: int, sid: str, limit: int) -> int:
        sids = self._connections.setdefault(user_id, set())
        if len(sids) >= limit:
            return 0
        sids.add(sid)
        return len(sids)

    async def remove_connection(self, user_id: int, sid: str) -> bool:
        sids = self._connections.get(user_id)
        if not sids or sid not in sids:
            return False
        sids.discard(sid)
        if not sids:
            del self._connections[user_id]
            return True
        return False

    async def process_connections(self) -> set[tuple[int, str]]:
        return {(user_id, sid) for user_id, sids in self._connections.items() for sid in sids}

    async def connection_sids(self, user_id: int) -> list[str]:
        return list(self._connections.get(user_id, ()))

    def connection_sids_sync(self, user_id: int) -> list[str]:
        return list(self._connections.get(user_id, ()))

    def online_user_ids_sync(self, user_ids: list[int]) -> set[int]:
        # Read from a request thread: single dict lookups, atomic under the GIL.
        return {user_id for user_id in user_ids if self._connections.get(user_id)}

    async def heartbeat(self) -> None:
        return None

    async def reap_dead_processes(self) -> list[int]:
        return []

    async def close(self) -> None:
        return None


_ADD = """
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return redis.call('SCARD', KEYS[1])
"""

_REMOVE = """
local removed = redis.call('SREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[2])
if removed == 1 and redis.call('SCARD', KEYS[1]) == 0 then return 1 end
return 0
"""

_HEARTBEAT = """
local clock = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000), ARGV[1])
return 1
"""

# Keys of dead processes are derived inside the script, so this store expects one Redis server, not a cluster.
_REAP = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local prefix = ARGV[1]
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
local offline = {}
for _, proc in ipairs(dead) do
  local proc_key = prefix .. ':presence:proc:' .. proc
  for _, entry in ipairs(redis.call('SMEMBERS', proc_key)) do
    local sep = string.find(entry, '|', 1, true)
    local user_id = string.sub(entry, 1, sep - 1)
    local sid = string.sub(entry, sep + 1)
    local user_key = prefix .. ':presence:user:' .. user_id
    if redis.call('SREM', user_key, proc .. '|' .. sid) == 1 and redis.call('SCARD', user_key) == 0 then
      table.insert(offline, tonumber(user_id))
    end
  end
  redis.call('DEL', proc_key)
  redis.call('ZREM', KEYS[1], proc)
end
return offline
"""


class RedisPresenceStore:
    def __init__(self, *, client: aioredis.Redis, sync_client: redis.Redis, prefix: str, ttl_ms: int) -> None:
        self.client = client
        self.sync_client = sync_client  # for REST views, which run in threads
        self.prefix = prefix
        self.ttl_ms = ttl_ms
        self.process_id = uuid.uuid4().hex
        self._add = self.client.register_script(_ADD)
        self._remove = self.client.register_script(_REMOVE)
        self._heartbeat = self.client.register_script(_HEARTBEAT)
        self._reap = self.client.register_script(_REAP)

    def _user_key(self, user_id: int) -> str:
        return f"{self.prefix}:presence:user:{user_id}"

    @property
    def _process_key(self) -> str:
        return f"{self.prefix}:presence:proc:{self.process_id}"

    @property
    def _processes_key(self) -> str:
        return f"{self.prefix}:presence:procs"

    async def add_connection(self, user_id: int, sid: str, limit: int) -> int:
        keys = [self._user_key(user_id), self._process_key]
        return int(await self._add(keys=keys, args=[f"{self.process_id}|{sid}", f"{user_id}|{sid}", limit]))

    async def remove_connection(self, user_id: int, sid: str) -> bool:
        keys = [self._user_key(user_id), self._process_key]
        return bool(await self._remove(keys=keys, args=[f"{self.process_id}|{sid}", f"{user_id}|{sid}"]))

    async def process_connections(self) -> set[tuple[int, str]]:
        entries = await self.client.smembers(self._process_key)
        pairs = ((entry.decode() if isinstance(entry, bytes) else entry).split("|", 1) for entry in entries)
        return {(int(user_id), sid) for user_id, sid in pairs}

    async def connection_sids(self, user_id: int) -> list[str]:
        return _sids(await self.client.smembers(self._user_key(user_id)))

    def connection_sids_sync(self, user_id: int) -> list[str]:
        return _sids(self.sync_client.smembers(self._user_key(user_id)))

    def online_user_ids_sync(self, user_ids: list[int]) -> set[int]:
        if not user_ids:
            return set()
        with self.sync_client.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.scard(self._user_key(user_id))
            counts = pipe.execute()
        return {user_id for user_id, count in zip(user_ids, counts, strict=True) if count}

    async def heartbeat(self) -> None:
        await self._heartbeat(keys=[self._processes_key], args=[self.process_id])

    async def reap_dead_processes(self) -> list[int]:
        offline = await self._reap(keys=[self._processes_key], args=[self.prefix, self.ttl_ms])
        return [int(user_id) for user_id in offline]

    async def close(self) -> None:
        await self.client.aclose()
        self.sync_client.close()


def _sids(entries: object) -> list[str]:
    """The sids of a user's presence entries ("<process>|<sid>")."""
    return [(entry.decode() if isinstance(entry, bytes) else str(entry)).partition("|")[2] for entry in entries]  # type: ignore[attr-defined]
