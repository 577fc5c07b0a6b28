"""Presence is settled at start-up (issue 13 #8): a process that starts reaps dead processes at once, before and
without any connection of its own."""

import asyncio
import os
import time
import uuid

import pytest

from conftest import SERVER_ENV
from presence.heartbeat import ProcessPresence
from tests.support import ServerProcess, make_room, make_user, token_for
from tests.support.socketio_client import connected, http

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]


def online_of(url: str, token: str, room_id: int) -> dict[int, bool]:
    status, body = http("GET", f"{url}/api/rooms/{room_id}/members", token=token)
    assert status == 200, body
    return {member["id"]: member["online"] for member in body["members"]}


@pytest.mark.parametrize("server", ["daphne", "uvicorn"])  # daphne sends no lifespan events; uvicorn does
def test_a_restarted_process_takes_the_crashed_one_s_users_offline_without_any_connection(
    test_database_url: str, server: str
) -> None:
    env = {
        **SERVER_ENV,
        "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        "SOCKETIO_CHANNEL": f"chat-test-{uuid.uuid4().hex[:8]}",
    }
    user, friend = make_user(), make_user()
    room = make_room(creator=friend, members=(user,))
    first = ServerProcess(database_url=test_database_url, env=env, server=server).start()
    try:

        async def connect_then_crash() -> None:
            await connected(first.url, token_for(user))
            assert online_of(first.url, token_for(friend), room.id)[user.id] is True
            first.kill()  # kill -9: no disconnect handler runs

        asyncio.run(connect_then_crash())
    finally:
        first.kill()
    second = ServerProcess(database_url=test_database_url, env=env, server=server).start()
    try:
        # Nobody connects to the new process: only REST reads. PRESENCE_TTL_MS is 1.5 s on the test servers.
        deadline = time.monotonic() + 5
        while online_of(second.url, token_for(friend), room.id)[user.id]:
            assert time.monotonic() < deadline, "the crashed process's user stayed online"
            time.sleep(0.2)
        user.refresh_from_db()
        assert user.last_seen is not None
    finally:
        second.stop()


def test_connections_arriving_together_start_one_heartbeat() -> None:
    """The first connections of a burst each started a heartbeat loop of their own (20 idle clients: 19 loops)."""

    async def burst() -> None:
        presence = ProcessPresence(announce=_announce_nothing, subscribed_room_ids=set)
        started = await asyncio.gather(*(presence.start() for _ in range(20)))
        try:
            assert started.count(True) == 1
            assert await presence.start() is False
            beating = [task for task in asyncio.all_tasks() if task.get_name() == "presence-heartbeat"]
            assert len(beating) == 1
        finally:
            presence.stop()

    asyncio.run(burst())


async def _announce_nothing(user_id: int, status: str, **extra: object) -> None:
    return None
