"""Presence is settled at start-up (issue 13 #8): a process that starts reaps dead processes at once, before and
without any connection of its own."""

import asyncio
import os
import time
import uuid

import pytest

from conftest import SERVER_ENV
from tests.support import ServerProcess, make_room, make_user, token_for
from tests.support.socketio_client import connected, http

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]


def online_of(url: str, token: str, room_id: int) -> dict[int, bool]:
    status, body = http("GET", f"{url}/api/rooms/{room_id}/members", token=token)
    assert status == 200, body
    return {member["id"]: member["online"] for member in body["members"]}


def test_a_restarted_process_takes_the_crashed_one_s_users_offline_without_any_connection(
    test_database_url: str,
) -> None:
    env = {
        **SERVER_ENV,
        "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        "SOCKETIO_CHANNEL": f"chat-test-{uuid.uuid4().hex[:8]}",
    }
    user, friend = make_user(), make_user()
    room = make_room(creator=friend, members=(user,))
    first = ServerProcess(database_url=test_database_url, env=env).start()
    try:

        async def connect_then_crash() -> None:
            await connected(first.url, token_for(user))
            assert online_of(first.url, token_for(friend), room.id)[user.id] is True
            first.kill()  # kill -9: no disconnect handler runs

        asyncio.run(connect_then_crash())
    finally:
        first.kill()
    second = ServerProcess(database_url=test_database_url, env=env).start()
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
