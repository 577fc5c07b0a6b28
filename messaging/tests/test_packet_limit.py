"""Socket.IO packets up to 1 MB (socket.io's own maxHttpBufferSize) are read: oversized content is a validation
error on a connection that stays up; only a packet over the limit closes its connection."""

import asyncio

import pytest

from messaging.models import Message
from tests.support import make_room, make_user, token_for
from tests.support.socketio_client import Peer, connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]


async def until_disconnected(peer: Peer, timeout: float = 10) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while peer.client.connected and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    return not peer.client.connected


def test_a_hundred_thousand_character_message_is_a_validation_error_and_the_connection_stays_up(
    live_server_url: str,
) -> None:
    user = make_user()
    room = make_room(creator=user)

    async def scenario() -> None:
        peer = await connected(live_server_url, token_for(user))
        await peer.call("join_room", {"roomId": room.id})

        too_long = await peer.call("send_message", {"roomId": room.id, "content": "x" * 100_000})
        after = await peer.call("send_message", {"roomId": room.id, "content": "still here"})

        assert too_long["ok"] is False and too_long["error"]["code"] == "validation_error"
        assert "content" in too_long["error"]["message"]
        assert after["ok"] is True and peer.client.connected
        await peer.disconnect()

    asyncio.run(scenario())
    assert list(Message.objects.values_list("content", flat=True)) == ["still here"]


def test_a_packet_over_one_megabyte_closes_only_its_own_connection(live_server_url: str) -> None:
    sender, bystander = make_user(), make_user()
    room = make_room(creator=sender, members=(bystander,))

    async def scenario() -> None:
        peer = await connected(live_server_url, token_for(sender))
        other = await connected(live_server_url, token_for(bystander))
        await other.call("join_room", {"roomId": room.id})
        near_limit = await peer.call("send_message", {"roomId": room.id, "content": "y" * 990_000})
        assert near_limit["ok"] is False and near_limit["error"]["code"] == "validation_error"

        await peer.emit("send_message", {"roomId": room.id, "content": "z" * 1_000_001})

        assert await until_disconnected(peer)
        ack = await other.call("send_message", {"roomId": room.id, "content": "unaffected"})
        assert ack["ok"] is True
        await other.disconnect()

    asyncio.run(scenario())
    assert list(Message.objects.values_list("content", flat=True)) == ["unaffected"]
