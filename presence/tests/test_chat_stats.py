"""`manage.py chat_stats` adds up the live figures that every server process publishes to Redis."""

import asyncio
import json
import time
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from tests.support import ServerProcess, make_room, make_user, token_for
from tests.support.socketio_client import Peer, connected


def chat_stats(server: ServerProcess) -> dict[str, Any]:
    chat = {**settings.CHAT, "SOCKETIO_CHANNEL": server.env["SOCKETIO_CHANNEL"]}
    out = StringIO()
    with override_settings(REDIS_URL=server.env["REDIS_URL"], CHAT=chat):
        call_command("chat_stats", "--json", stdout=out)
    return dict(json.loads(out.getvalue()))


def wait_for_stats(server: ServerProcess, expected: dict[str, int], timeout: float = 5) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        stats = chat_stats(server)
        if all(stats[key] == value for key, value in expected.items()) or time.monotonic() > deadline:
            return stats
        time.sleep(0.1)


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_figures_add_up_across_processes(redis_servers: list[ServerProcess]) -> None:
    one, two = redis_servers
    alice, bob, carol = make_user(), make_user(), make_user()
    room = make_room(creator=alice, members=(bob, carol))
    other_room = make_room(creator=carol)

    async def scenario() -> list[Peer]:
        a = await connected(one.url, token_for(alice))
        b = await connected(two.url, token_for(bob))
        c = await connected(two.url, token_for(carol))
        for peer in (a, b, c):
            await peer.call("join_room", {"roomId": room.id})
        await c.call("join_room", {"roomId": other_room.id})
        for i in range(3):
            assert (await a.call("send_message", {"roomId": room.id, "content": f"from one {i}"}))["ok"]
        assert (await b.call("send_message", {"roomId": room.id, "content": "from two"}))["ok"]
        return [a, b, c]

    loop = asyncio.new_event_loop()
    try:
        peers = loop.run_until_complete(scenario())
        expected = {"processes": 2, "connections": 3, "roomsWithSubscribers": 2, "messagesPerMinute": 4}
        assert wait_for_stats(one, expected) == expected
        for peer in peers:
            loop.run_until_complete(peer.disconnect())
    finally:
        loop.close()
    assert wait_for_stats(one, {"connections": 0})["connections"] == 0


def test_without_redis_it_says_where_the_figures_are() -> None:
    with override_settings(REDIS_URL=""), pytest.raises(CommandError, match="REDIS_URL is not set"):
        call_command("chat_stats")
