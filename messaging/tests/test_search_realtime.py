"""Search against a real server process: what one client sends over Socket.IO, another member finds at once."""

import asyncio
from urllib.parse import urlencode

import pytest

from tests.support import make_room, make_user, token_for
from tests.support.socketio_client import connected, http

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]


def search(base: str, token: str, q: str, **params: object) -> list[str]:
    status, body = http("GET", f"{base}/api/search?{urlencode({'q': q, **params})}", token=token)
    assert status == 200, body
    return [message["content"] for message in body["messages"]]


def test_a_member_finds_what_another_sent_by_socket_and_a_stranger_does_not(live_server_url: str) -> None:
    sender_user, reader_user, stranger_user = make_user(), make_user(), make_user()
    room = make_room(creator=sender_user, members=(reader_user,))  # public: the stranger could read its history
    reader_token, stranger_token = token_for(reader_user), token_for(stranger_user)

    async def scenario() -> None:
        sender = await connected(live_server_url, token_for(sender_user))
        reader = await connected(live_server_url, reader_token)
        for peer in (sender, reader):
            await peer.call("join_room", {"roomId": room.id})
        ack = await sender.call("send_message", {"roomId": room.id, "content": "Meet at the lighthouse, ok?"})
        message = ack["message"]

        assert await asyncio.to_thread(search, live_server_url, reader_token, "lighthouse") == [message["content"]]
        assert await asyncio.to_thread(search, live_server_url, reader_token, "ok", roomId=room.id) == [
            message["content"]
        ]
        assert await asyncio.to_thread(search, live_server_url, stranger_token, "lighthouse") == []
        status, body = await asyncio.to_thread(
            http, "GET", f"{live_server_url}/api/search?q=lighthouse&roomId={room.id}", token=stranger_token
        )
        assert status == 403 and body["error"]["code"] == "not_room_member"

        base = f"{live_server_url}/api/messages/{message['id']}"
        status, _ = await asyncio.to_thread(
            http, "PATCH", base, token=token_for(sender_user), body={"content": "Meet at the harbour"}
        )
        assert status == 200
        assert (await reader.wait_for("message_updated"))["content"] == "Meet at the harbour"
        assert await asyncio.to_thread(search, live_server_url, reader_token, "lighthouse") == []
        assert await asyncio.to_thread(search, live_server_url, reader_token, "harbour") == ["Meet at the harbour"]

        status, _ = await asyncio.to_thread(http, "DELETE", base, token=token_for(sender_user))
        assert status == 200
        await reader.wait_for("message_deleted")
        assert await asyncio.to_thread(search, live_server_url, reader_token, "harbour") == []
        for peer in (sender, reader):
            await peer.disconnect()

    asyncio.run(scenario())
