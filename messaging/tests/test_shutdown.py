"""Graceful shutdown: on SIGTERM every write in flight is committed and acknowledged before connections close."""

import asyncio
import signal
import time
from typing import Any

import pytest

from conftest import SERVER_ENV
from messaging.models import Message
from tests.support import ServerProcess, make_room, make_user, token_for
from tests.support.socketio_client import Peer, connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]


async def keep_sending(peer: Peer, room_id: int, tag: str, outcomes: list[tuple[str, Any]]) -> None:
    """Send until the server closes the connection; record each send's outcome."""
    n = 0
    while peer.client.connected:
        n += 1
        payload = {"roomId": room_id, "content": f"{tag}-{n}", "clientMsgId": f"{tag}-{n}"}
        try:
            ack = await peer.call("send_message", payload, timeout=10)
        except Exception:  # the connection closed before an ack came
            if peer.client.connected:
                outcomes.append(("no_ack", payload["clientMsgId"]))
            else:
                outcomes.append(("closed", payload["clientMsgId"]))
            return
        if ack["ok"]:
            outcomes.append(("ok", ack["message"]["id"]))
        else:
            outcomes.append((ack["error"]["code"], payload["clientMsgId"]))
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("server_kind", ["daphne", "uvicorn"])
def test_sigterm_drains_acks_and_closes_connections_losing_nothing(test_database_url: str, server_kind: str) -> None:
    env = {**SERVER_ENV, "REDIS_URL": "", "MESSAGE_RATE_LIMIT": "100000"}
    server = ServerProcess(database_url=test_database_url, env=env, server=server_kind).start()
    senders = [make_user() for _ in range(3)]
    watcher = make_user()
    room = make_room(creator=watcher, members=tuple(senders))
    outcomes: list[tuple[str, Any]] = []

    async def scenario() -> None:
        observer = await connected(server.url, token_for(watcher))
        peers = [await connected(server.url, token_for(user)) for user in senders]
        for peer in peers:
            await peer.call("join_room", {"roomId": room.id})
        tasks = [asyncio.create_task(keep_sending(peer, room.id, f"u{i}", outcomes)) for i, peer in enumerate(peers)]
        await asyncio.sleep(1.0)
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(asyncio.gather(*tasks), 20)
        await observer.disconnect()

    try:
        asyncio.run(scenario())
        assert server.process is not None
        started = time.monotonic()
        server.process.wait(20)
        assert time.monotonic() - started < 20
    finally:
        server.kill()

    acked = [value for outcome, value in outcomes if outcome == "ok"]
    assert len(acked) > 20, outcomes[-5:]
    assert [o for o in outcomes if o[0] == "no_ack"] == [], "a send was cut off without an answer"
    assert {outcome for outcome, _ in outcomes} <= {"ok", "unavailable", "closed"}
    stored = list(Message.objects.filter(room=room).values_list("id", flat=True))
    # Every acknowledged message is stored, once; and every stored one was acknowledged before the close.
    assert sorted(stored) == sorted(acked)
    for user in senders:
        user.refresh_from_db()
        assert user.last_seen is not None, "disconnect handlers ran at shutdown"
