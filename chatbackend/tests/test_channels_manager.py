"""The Channels client manager between real processes: a process subscribes only to the rooms it serves, rooms
spread over the shards, and a Redis restart loses no subscription and duplicates no event."""

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import redis
from channels_redis.utils import _consistent_hash  # the layer's own shard choice, to pick rooms on each shard

from chatbackend.channels_relay import group_name
from chatbackend.events import room_channel, user_channel
from conftest import SERVER_ENV
from tests.support import ServerProcess, make_room, make_user, token_for
from tests.support.private_servers import PrivateRedis
from tests.support.socketio_client import Peer, connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]


def pubsub_channel(env: dict[str, str], socketio_room: str) -> str:
    """The Redis pub/sub channel of a Socket.IO room's group, as channels_redis names it."""
    return f"{env['SOCKETIO_CHANNEL']}.__group__{group_name('/', socketio_room)}"


def shard_urls(env: dict[str, str]) -> list[str]:
    return env.get("REDIS_SHARD_URLS", env["REDIS_URL"]).split(",")


def subscribers(env: dict[str, str], socketio_room: str) -> list[int]:
    """How many processes subscribe to the room's channel, on each shard."""
    channel = pubsub_channel(env, socketio_room)
    counts = []
    for url in shard_urls(env):
        with redis.Redis.from_url(url) as client:
            counts.append(int(dict(client.pubsub_numsub(channel))[channel.encode()]))
    return counts


def in_room(room_id: int) -> Callable[[Any], bool]:
    return lambda event: bool(event["roomId"] == room_id)


def with_id(message_id: int) -> Callable[[Any], bool]:
    return lambda message: bool(message["id"] == message_id)


async def eventually(check: object, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


def test_a_process_subscribes_only_to_the_rooms_and_users_it_serves(redis_servers: list[ServerProcess]) -> None:
    one, two = redis_servers
    env = one.env
    alice, bob = make_user(), make_user()
    alice_room, bob_room = make_room(creator=alice), make_room(creator=bob)

    async def scenario() -> None:
        a = await connected(one.url, token_for(alice))
        b = await connected(two.url, token_for(bob))
        await a.call("join_room", {"roomId": alice_room.id})
        await b.call("join_room", {"roomId": bob_room.id})
        # One subscriber each, on the one shard the name hashes to: the other process never hears these rooms.
        for room in (room_channel(alice_room.id), room_channel(bob_room.id), user_channel(alice.id)):
            assert sorted(subscribers(env, room)) == [0] * (len(shard_urls(env)) - 1) + [1], room
        ack = await b.call("send_message", {"roomId": bob_room.id, "content": "only process two hears this"})
        assert (await b.wait_for("receive_message"))["id"] == ack["message"]["id"]
        await b.call("leave_room", {"roomId": bob_room.id})  # the last local connection: the group is left
        assert sum(subscribers(env, room_channel(bob_room.id))) == 0
        await a.disconnect()
        await eventually(lambda: sum(subscribers(env, user_channel(alice.id))) == 0)
        await asyncio.sleep(0.3)
        assert a.received("receive_message") == []
        await b.disconnect()

    asyncio.run(scenario())


@pytest.fixture
def two_shard_env(second_redis_shard: str) -> dict[str, str]:
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    return {
        **SERVER_ENV,
        "REDIS_URL": redis_url,
        "REDIS_SHARD_URLS": f"{redis_url},{second_redis_shard}",
        "SOCKETIO_CHANNEL": f"chat-test-{uuid.uuid4().hex[:8]}",
    }


def test_rooms_on_either_shard_deliver_across_processes(two_shard_env: dict[str, str], test_database_url: str) -> None:
    sender, listener = make_user(), make_user()
    on_shard: dict[int, int] = {}
    while len(on_shard) < 2:  # a room whose group lives on each shard
        room = make_room(creator=sender, members=(listener,))
        on_shard.setdefault(_consistent_hash(pubsub_channel(two_shard_env, room_channel(room.id)), 2), room.id)
    servers = [ServerProcess(database_url=test_database_url, env=two_shard_env).start() for _ in range(2)]

    async def scenario() -> None:
        a = await connected(servers[0].url, token_for(sender))
        b = await connected(servers[1].url, token_for(listener))
        for room_id in on_shard.values():
            for peer in (a, b):
                await peer.call("join_room", {"roomId": room_id})
        for shard, room_id in on_shard.items():
            assert subscribers(two_shard_env, room_channel(room_id))[shard] == 2
            ack = await a.call("send_message", {"roomId": room_id, "content": f"shard {shard}"})
            assert await b.wait_for("receive_message", in_room(room_id)) == ack["message"]
            await b.call("typing", {"roomId": room_id, "isTyping": True})
            typing = await a.wait_for("typing", in_room(room_id))
            assert typing["userId"] == listener.id
        await a.disconnect()
        await b.disconnect()

    try:
        asyncio.run(scenario())
    finally:
        for server in servers:
            server.stop()


def test_a_redis_restart_keeps_every_subscription_and_duplicates_nothing(test_database_url: str) -> None:
    redis_server = PrivateRedis().start()
    env = {**SERVER_ENV, "REDIS_URL": redis_server.url, "SOCKETIO_CHANNEL": f"restart-{uuid.uuid4().hex[:6]}"}
    env["MESSAGE_RATE_LIMIT"] = "1000"
    servers = [ServerProcess(database_url=test_database_url, env=env).start() for _ in range(2)]
    sender, listener = make_user(), make_user()
    room, joined_during_outage = (make_room(creator=sender, members=(listener,)) for _ in range(2))

    async def send_until_delivered(a: Peer, b: Peer, room_id: int) -> None:
        deadline = time.monotonic() + 30
        while True:
            ack = await a.call("send_message", {"roomId": room_id, "content": "probe"})
            if ack["ok"]:
                message_id = ack["message"]["id"]
                with contextlib.suppress(AssertionError):
                    await b.wait_for("receive_message", with_id(message_id), timeout=1)
                    return
            assert time.monotonic() < deadline, "delivery did not recover"
            await asyncio.sleep(0.5)

    async def scenario() -> None:
        a = await connected(servers[0].url, token_for(sender))
        b = await connected(servers[1].url, token_for(listener))
        for room_id in (room.id, joined_during_outage.id):
            await a.call("join_room", {"roomId": room_id})
        await b.call("join_room", {"roomId": room.id})
        redis_server.kill()
        assert (await b.call("join_room", {"roomId": joined_during_outage.id}))["ok"]
        redis_server.start()
        for room_id in (room.id, joined_during_outage.id):
            await send_until_delivered(a, b, room_id)
        acked = []
        for n in range(10):
            ack = await a.call("send_message", {"roomId": (room.id, joined_during_outage.id)[n % 2], "content": f"{n}"})
            assert ack["ok"], ack
            acked.append(ack["message"]["id"])
        await b.wait_for("receive_message", lambda m: m["id"] == acked[-1])
        await asyncio.sleep(0.5)
        received = [m["id"] for m in b.received("receive_message") if m["content"] != "probe"]
        assert received == acked, "each message once, in order"
        await a.disconnect()
        await b.disconnect()

    try:
        asyncio.run(scenario())
    finally:
        for server in servers:
            server.stop()
        redis_server.kill()
