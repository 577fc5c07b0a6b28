"""The pipelined pub/sub layer on a real Redis: a process's own publications are dropped before decoding, the
others' arrive, in order."""

import asyncio
import os
import uuid

from chatbackend.channels_layer import RedisPubSubLayer

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_own_publications_are_dropped_and_the_others_arrive_in_order() -> None:
    ours, theirs = uuid.uuid4().hex, uuid.uuid4().hex

    async def exchange() -> list[dict[str, object]]:
        # Pub/sub ignores the database number: a prefix of its own keeps this test apart.
        layer = RedisPubSubLayer(hosts=[{"address": REDIS_URL}], prefix=f"test-{uuid.uuid4().hex[:8]}.")
        layer.drop_own(layer.serialize(ours))
        try:
            channel = await layer.new_channel(prefix="socketio.")
            await layer.group_add("room", channel)
            for n in range(3):
                await layer.group_send("room", {"m": "emit", "h": ours, "n": n})
                await layer.group_send("room", {"m": "emit", "h": theirs, "n": n})
            return [await asyncio.wait_for(layer.receive(channel), 3) for _ in range(3)]
        finally:
            await layer.flush()

    received = asyncio.run(exchange())
    assert received == [{"m": "emit", "h": theirs, "n": n} for n in range(3)]


def test_a_layer_that_drops_nothing_receives_its_own() -> None:
    host = uuid.uuid4().hex

    async def exchange() -> dict[str, object]:
        layer = RedisPubSubLayer(hosts=[{"address": REDIS_URL}], prefix=f"test-{uuid.uuid4().hex[:8]}.")
        try:
            channel = await layer.new_channel(prefix="socketio.")
            await layer.group_add("room", channel)
            await layer.group_send("room", {"m": "emit", "h": host})
            message: dict[str, object] = await asyncio.wait_for(layer.receive(channel), 3)
            return message
        finally:
            await layer.flush()

    assert asyncio.run(exchange()) == {"m": "emit", "h": host}
