"""What the scenarios stand on: the benchmark database, the servers' environment, and users and rooms made over REST."""

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import aiohttp
import MySQLdb

from bench.servers import BASE_DIR

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "mysql://root@127.0.0.1:3306/chat_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
PASSWORD = "bench-password-123"
REST_CONCURRENCY = 16


def server_env(*, redis: bool = False, channel: str = "") -> dict[str, str]:
    """The real server's environment for a run: the bench database, limits raised so that load is not refused.

    BCRYPT_ROUNDS=4 makes registering hundreds of bench users quick; registration is not what is measured.
    """
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        DATABASE_URL=DATABASE_URL,
        JWT_SECRET="bench-jwt-secret-not-for-production",
        DEBUG="false",
        BCRYPT_ROUNDS="4",
        MESSAGE_RATE_LIMIT="100000000",
        MESSAGE_RATE_WINDOW_MS="1000",
        MAX_CONNECTIONS_PER_USER="100000",
        THROTTLE_LOGIN_IP="100000000/minute",
        THROTTLE_LOGIN_ACCOUNT="100000000/minute",
        THROTTLE_REGISTER_IP="100000000/hour",
        THROTTLE_REGISTER_ACCOUNT="100000000/hour",
        THROTTLE_INVITE_CODE_FAILURES="100000000/hour",
        SHUTDOWN_GRACE_MS="2000",
        SOCKETIO_CHANNEL=channel or f"bench-{os.getpid()}",
    )
    if redis:
        env["REDIS_URL"] = REDIS_URL
    return env


def db_connect(database: str | None = None) -> Any:
    url = urlparse(DATABASE_URL)
    return MySQLdb.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        database=database if database is not None else url.path.lstrip("/"),
        charset="utf8mb4",
        autocommit=True,
    )


def prepare_database() -> None:
    """Create the benchmark database if it is missing and apply the migrations."""
    name = urlparse(DATABASE_URL).path.lstrip("/")
    connection = db_connect(database="")
    try:
        connection.cursor().execute(
            f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    finally:
        connection.close()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=BASE_DIR, env=server_env(), check=True
    )


def seed_history(sizes: list[int]) -> dict[int, int]:
    """Rooms holding `size` messages each (seeded once and reused across runs): {size: room id}."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.seed_history", *map(str, sizes)],
        cwd=BASE_DIR,
        env=server_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return {int(size): room_id for size, room_id in json.loads(result.stdout.strip().splitlines()[-1]).items()}


def settling_note() -> str:
    """A note for a latency row when InnoDB is still writing a fresh seed back, else "".

    A bulk seed leaves most of the buffer pool dirty (the FULLTEXT index's pages above all), and MariaDB writes it
    back slowly (`innodb_max_dirty_pages_pct` 90 by default): pages read meanwhile wait for dirty ones to be
    flushed first. History pages measured right after the 1M seed had twice the p99 of the same pages minutes later.
    """
    status = query_rows("SHOW GLOBAL STATUS LIKE %s", "Innodb_buffer_pool_pages_%")  # MariaDB and MySQL 8 alike
    pages = {name.lower(): int(value) for name, value in status if value.isdigit()}
    total = pages.get("innodb_buffer_pool_pages_total", 0)
    dirty = pages.get("innodb_buffer_pool_pages_dirty", 0) / total if total else 0.0
    if dirty < 0.25:
        return ""
    return f" [InnoDB pool {dirty:.0%} dirty: a fresh seed is still being written back; rerun for the settled figure]"


def query_rows(sql: str, *args: Any) -> list[tuple[Any, ...]]:
    connection = db_connect()
    try:
        cursor = connection.cursor()
        cursor.execute(sql, args)
        return list(cursor.fetchall())
    finally:
        connection.close()


def query_one(sql: str, *args: Any) -> Any:
    return query_rows(sql, *args)[0][0]


@dataclass
class Population:
    """Users with their tokens, and rooms whose members they are, made through the REST API."""

    tokens: list[str] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    rooms: dict[str, list[int]] = field(default_factory=dict)  # a group's room ids, by name


async def _bounded(calls: list[Any], limit: int) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def run(call: Any) -> Any:
        async with semaphore:
            return await call

    return list(await asyncio.gather(*(run(call) for call in calls)))


async def _post(session: aiohttp.ClientSession, url: str, body: dict[str, Any], token: str = "") -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # A transient refusal (a connect burst, or 503 when the shared database is out of connections) is retried a
    # few times, never looped on.
    for attempt in range(5):
        try:
            async with session.post(url, json=body, headers=headers) as response:
                payload: dict[str, Any] = await response.json()
                if response.status == 503 and attempt < 4:
                    await asyncio.sleep(1 + attempt)
                    continue
                if response.status >= 300:
                    raise RuntimeError(f"POST {url} -> {response.status}: {payload}")
                return payload
        except aiohttp.ClientConnectionError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


async def register_users(base_url: str, count: int) -> Population:
    """Register `count` users over REST, REST_CONCURRENCY requests at a time."""
    stamp = f"{int(time.time())}-{os.getpid()}"
    async with aiohttp.ClientSession() as session:
        bodies = [
            {"name": f"Bench {i}", "email": f"bench-{stamp}-{i}@example.com", "password": PASSWORD}
            for i in range(count)
        ]
        answers = await _bounded([_post(session, f"{base_url}/api/auth/register", b) for b in bodies], REST_CONCURRENCY)
    return Population(tokens=[a["token"] for a in answers], user_ids=[a["user"]["id"] for a in answers])


async def make_rooms(base_url: str, population: Population, name: str, groups: list[list[int]]) -> list[int]:
    """One public room per group of user indexes: the first creates it, the others join it, all over REST."""
    async with aiohttp.ClientSession() as session:
        creations = [
            _post(session, f"{base_url}/api/rooms", {"name": f"{name} {n}"}, population.tokens[group[0]])
            for n, group in enumerate(groups)
        ]
        room_ids = [room["id"] for room in await _bounded(creations, REST_CONCURRENCY)]
        joins = [
            _post(session, f"{base_url}/api/rooms/{room_id}/join", {}, population.tokens[member])
            for room_id, group in zip(room_ids, groups, strict=True)
            for member in group[1:]
        ]
        await _bounded(joins, REST_CONCURRENCY)
    population.rooms[name] = room_ids
    return room_ids
