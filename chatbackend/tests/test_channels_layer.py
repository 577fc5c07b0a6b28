"""The pipelined pub/sub layer on a real Redis: a process's own publications are dropped before decoding, the
others' arrive, in order."""

import asyncio
import os
import uuid

import redis.asyncio
import redis.exceptions

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


def test_publishes_made_together_go_out_in_order_and_survive_a_dropped_connection() -> None:
    async def exchange() -> tuple[list[object], list[object]]:
        name = f"test-{uuid.uuid4().hex[:8]}"
        layer = RedisPubSubLayer(hosts=[{"address": REDIS_URL, "client_name": name}], prefix=f"{name}.")
        admin = redis.asyncio.Redis.from_url(REDIS_URL)
        try:
            channel = await layer.new_channel(prefix="socketio.")
            await layer.group_add("room", channel)
            await asyncio.gather(*(layer.group_send("room", {"n": n}) for n in range(20)))  # batched writes
            together = [(await asyncio.wait_for(layer.receive(channel), 3))["n"] for _ in range(20)]
            # Redis drops the layer's publishing connection (its only one that is not subscribed).
            publishing = [c["id"] for c in await admin.client_list(_type="normal") if c["name"] == name]
            assert len(publishing) == 1
            await admin.client_kill_filter(_id=publishing[0])
            for attempt in (1, 2):  # as the manager does: a write on the dropped connection may fail once
                try:
                    await layer.group_send("room", {"n": "after"})
                    break
                except redis.exceptions.ConnectionError:
                    assert attempt == 1
            after = [(await asyncio.wait_for(layer.receive(channel), 3))["n"]]
            return together, after
        finally:
            await admin.aclose()
            await layer.flush()

    together, after = asyncio.run(exchange())
    assert together == list(range(20))
    assert after == ["after"]
