"""Faults with the real services: MySQL or Redis dies mid-traffic and comes back; nothing acknowledged is lost.

These tests run private MariaDB and Redis servers (tests/support/private_servers.py) so they can kill them freely.
"""

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import SERVER_ENV
from messaging.models import Message
from tests.support import BASE_DIR, TEST_PASSWORD, ServerProcess, make_room, make_user, token_for
from tests.support.private_servers import PrivateMariaDB, PrivateRedis
from tests.support.socketio_client import Peer, connected, http

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def private_mariadb() -> Iterator[PrivateMariaDB]:
    database = PrivateMariaDB().install()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=BASE_DIR, env={**os.environ, "DATABASE_URL": database.url}, check=True, timeout=300,
    )  # fmt: skip
    yield database
    database.destroy()


def register(url: str, name: str) -> tuple[str, int]:
    status, body = http(
        "POST", f"{url}/api/auth/register",
        body={"name": name, "email": f"{name}-{uuid.uuid4().hex[:8]}@example.com", "password": TEST_PASSWORD},
    )  # fmt: skip
    assert status == 201, body
    return body["token"], body["user"]["id"]


def create_room(url: str, token: str) -> int:
    status, body = http("POST", f"{url}/api/rooms", token=token, body={"name": "faults"})
    assert status == 201, body
    return int(body["id"])


def history(url: str, token: str, room_id: int) -> list[dict[str, Any]]:
    status, body = http("GET", f"{url}/api/rooms/{room_id}/messages?after=0&limit=100", token=token)
    assert status == 200, body
    return list(body["messages"])


async def send(peer: Peer, room_id: int, content: str) -> dict[str, Any]:
    return dict(await peer.call("send_message", {"roomId": room_id, "content": content, "clientMsgId": content}))


@pytest.mark.mysql
def test_mysql_outage_refuses_sends_with_unavailable_and_recovers_without_restart(
    private_mariadb: PrivateMariaDB,
) -> None:
    env = {**SERVER_ENV, "REDIS_URL": "", "MESSAGE_RATE_LIMIT": "1000"}
    server = ServerProcess(database_url=private_mariadb.url, env=env).start()
    token_a, _ = register(server.url, "alice")
    token_b, _ = register(server.url, "bob")
    room_id = create_room(server.url, token_a)
    acked: list[int] = []

    async def scenario() -> None:
        a = await connected(server.url, token_a)
        b = await connected(server.url, token_b)
        for peer in (a, b):
            assert (await peer.call("join_room", {"roomId": room_id}))["ok"]
        for i in range(3):
            ack = await send(a, room_id, f"before-{i}")
            assert ack["ok"], ack
            acked.append(ack["message"]["id"])

        private_mariadb.kill()
        for i in range(3):
            started = time.monotonic()
            ack = await send(a, room_id, f"during-{i}")
            assert ack == {"ok": False, "error": {"code": "unavailable", "message": ack["error"]["message"]}}
            assert time.monotonic() - started < 5
        status, body = await asyncio.to_thread(http, "GET", f"{server.url}/api/health")
        assert status == 503 and body["database"] == "unavailable"
        status, body = await asyncio.to_thread(http, "GET", f"{server.url}/api/rooms/{room_id}/messages", token=token_a)
        assert status == 503 and body["error"]["code"] == "unavailable"
        newcomer = Peer(server.url)
        with pytest.raises(Exception):  # noqa: B017 - the handshake is refused
            await newcomer.connect(token_b)
        assert newcomer.connect_error["data"]["code"] == "unavailable"
        assert a.client.connected and b.client.connected, "open connections survive the outage"

        await asyncio.to_thread(private_mariadb.start)
        deadline = time.monotonic() + 20
        while True:
            ack = await send(a, room_id, "after")
            if ack["ok"]:
                acked.append(ack["message"]["id"])
                break
            assert ack["error"]["code"] == "unavailable" and time.monotonic() < deadline
            await asyncio.sleep(0.5)
        assert (await b.wait_for("receive_message", lambda m: m["content"] == "after"))["id"] == acked[-1]
        assert (await asyncio.to_thread(http, "GET", f"{server.url}/api/health"))[0] == 200
        await a.disconnect()
        await b.disconnect()

    try:
        asyncio.run(scenario())
        stored = history(server.url, token_a, room_id)
        assert [m["id"] for m in stored] == acked, "exactly the acknowledged messages, in order"
        assert server.process is not None and server.process.poll() is None
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)
def test_redis_outage_refuses_sends_keeps_serving_and_recovers(test_database_url: str) -> None:
    redis_server = PrivateRedis().start()
    env = {**SERVER_ENV, "REDIS_URL": redis_server.url, "SOCKETIO_CHANNEL": f"faults-{uuid.uuid4().hex[:6]}"}
    servers = [ServerProcess(database_url=test_database_url, env=env).start() for _ in range(2)]
    sender, listener = make_user(), make_user()
    room = make_room(creator=sender, members=(listener,))

    async def scenario() -> None:
        a = await connected(servers[0].url, token_for(sender))
        b = await connected(servers[1].url, token_for(listener))
        for peer in (a, b):
            await peer.call("join_room", {"roomId": room.id})
        assert (await send(a, room.id, "before"))["ok"]
        await b.wait_for("receive_message")

        redis_server.kill()
        ack = await send(a, room.id, "during")
        assert ack["ok"] is False and ack["error"]["code"] == "unavailable"
        status, body = await asyncio.to_thread(http, "GET", f"{servers[0].url}/api/health")
        assert status == 503 and body["redis"] == "unavailable" and body["database"] == "ok"
        await asyncio.sleep(1.5)  # a few heartbeats fail meanwhile: the processes log and carry on
        assert all(server.process is not None and server.process.poll() is None for server in servers)

        redis_server.start()
        deadline = time.monotonic() + 30
        n = 0
        while not b.received("receive_message", lambda m: m["content"].startswith("after")):
            assert time.monotonic() < deadline, "delivery across processes did not recover"
            n += 1
            ack = await send(a, room.id, f"after-{n}")
            assert ack["ok"] or ack["error"]["code"] == "unavailable"
            await asyncio.sleep(1)
        assert (await asyncio.to_thread(http, "GET", f"{servers[1].url}/api/health"))[0] == 200
        await a.disconnect()
        await b.disconnect()

    try:
        asyncio.run(scenario())
    finally:
        for server in servers:
            server.stop()
        redis_server.kill()


async def send_until_acked(
    url_of: dict[str, str], state: dict[str, Any], room_id: int, client_msg_id: str, token: str
) -> int:
    """Send once; if the connection is gone, reconnect to the surviving process, catch up, and retry the same id."""
    while True:
        peer: Peer = state["peer"]
        if peer.client.connected:
            try:
                ack = await peer.call(
                    "send_message", {"roomId": room_id, "content": client_msg_id, "clientMsgId": client_msg_id}, 3
                )
                if ack["ok"]:
                    return int(ack["message"]["id"])
                if ack["error"]["code"] == "rate_limited":
                    await asyncio.sleep(ack["error"]["retryAfterMs"] / 1000)
                    continue
                state["refusals"].append(ack["error"]["code"])
            except Exception:  # cut off with the process: retry below
                pass
        await peer.disconnect()
        state["moves"] += 1
        state["peer"] = await connected(url_of["survivor"], token)
        caught_up = await state["peer"].call("join_room", {"roomId": room_id, "after": state["last_seen"]})
        state["caught_up"] += len(caught_up["messages"])


@pytest.mark.django_db(transaction=True)
def test_a_killed_process_loses_no_acknowledged_message(redis_servers: list[ServerProcess]) -> None:
    survivor, victim = redis_servers
    senders = [make_user() for _ in range(4)]
    listener = make_user()
    room = make_room(creator=listener, members=tuple(senders))
    url_of = {"survivor": survivor.url}
    per_sender = 25
    acked: dict[str, int] = {}
    joined: list[int] = []

    async def sender(index: int) -> dict[str, Any]:
        token = token_for(senders[index])
        state: dict[str, Any] = {
            "peer": await connected(victim.url, token),
            "last_seen": 0,
            "caught_up": 0,
            "refusals": [],
            "moves": 0,
        }
        await state["peer"].call("join_room", {"roomId": room.id})
        joined.append(index)
        for n in range(per_sender):
            client_msg_id = f"s{index}-{n}"
            acked[client_msg_id] = await send_until_acked(url_of, state, room.id, client_msg_id, token)
            state["last_seen"] = acked[client_msg_id]
            await asyncio.sleep(0.02)
        await state["peer"].disconnect()
        return state

    async def scenario() -> list[int]:
        watcher = await connected(survivor.url, token_for(listener))
        await watcher.call("join_room", {"roomId": room.id})
        tasks = [asyncio.create_task(sender(i)) for i in range(len(senders))]
        # Every sender on the victim before it dies, however slow the machine; then sends are in flight.
        while len(joined) < len(senders) and not any(task.done() for task in tasks):
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.4)
        await asyncio.to_thread(victim.kill)
        states = await asyncio.wait_for(asyncio.gather(*tasks), 60)
        assert all(state["peer"].url == survivor.url for state in states), "every sender moved to the survivor"
        assert [state["moves"] for state in states] == [1] * len(states), "each moved once, when its process died"
        assert [code for state in states for code in state["refusals"]] == []
        await asyncio.sleep(0.3)
        live = [m["id"] for m in watcher.received("receive_message")]
        # The watcher catches up too: anything stored but not relayed by the dying process.
        catch_up = await watcher.call("join_room", {"roomId": room.id, "after": 0})
        await watcher.disconnect()
        return sorted(set(live) | {m["id"] for m in catch_up["messages"]})

    seen_by_watcher = asyncio.run(scenario())
    assert len(acked) == len(senders) * per_sender
    stored = list(Message.objects.filter(room=room).values_list("id", "client_msg_id"))
    assert sorted(id_ for id_, _ in stored) == sorted(acked.values()), "every acknowledged message, exactly once"
    assert len({client_msg_id for _, client_msg_id in stored}) == len(stored)
    assert seen_by_watcher == sorted(acked.values())
