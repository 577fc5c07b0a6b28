"""Open sockets end with the account (issue 13 #1, #2): deactivation and logout close every connection of the user
in every process; a deactivated or deleted user's socket that is still open is refused; the handshake too."""

import asyncio
import os
import time
from typing import Any

import jwt
import pytest
from django.conf import settings

from accounts.authentication import token_pair
from accounts.models import User
from messaging.models import Message
from rooms.models import RoomMember
from tests.support import ServerProcess, make_room, make_user, manage, token_for
from tests.support.socketio_client import Peer, connected, http

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]


async def wait_disconnected(peer: Peer, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while peer.client.connected:
        assert time.monotonic() < deadline, "the connection stayed open"
        await asyncio.sleep(0.05)


def test_deactivation_closes_the_user_s_sockets_in_every_process(redis_servers: list[ServerProcess]) -> None:
    one, two = redis_servers
    user, friend = make_user(), make_user()
    room = make_room(creator=friend, members=(user,))
    token = token_for(user)

    async def scenario() -> None:
        tabs = [await connected(one.url, token), await connected(two.url, token)]
        watcher = await connected(one.url, token_for(friend))
        await watcher.call("join_room", {"roomId": room.id})
        result = await asyncio.to_thread(manage, "deactivate_user", user.email, env={**os.environ, **one.env})
        assert result.returncode == 0, result.stderr
        for tab in tabs:
            await wait_disconnected(tab)
        await watcher.wait_for("user_status", lambda e: e["userId"] == user.id and e["status"] == "offline")
        again = Peer(one.url)
        with pytest.raises(Exception):  # noqa: B017 - the client raises its generic ConnectionError
            await again.connect(token)
        assert again.connect_error["data"]["code"] == "invalid_token"
        await watcher.disconnect()

    asyncio.run(scenario())


def test_logout_closes_the_user_s_open_sockets_and_ends_their_tokens(live_server_url: str) -> None:
    user = make_user()
    tokens = token_pair(user)

    async def scenario() -> None:
        tab = await connected(live_server_url, tokens["token"])
        status, _ = await asyncio.to_thread(
            http, "POST", f"{live_server_url}/api/auth/logout", body={"refreshToken": tokens["refreshToken"]}
        )
        assert status == 204
        await wait_disconnected(tab)
        again = Peer(live_server_url)
        with pytest.raises(Exception):  # noqa: B017
            await again.connect(tokens["token"])
        assert again.connect_error["data"]["code"] == "invalid_token"

    asyncio.run(scenario())


def test_an_open_socket_of_a_user_deactivated_behind_its_back_can_no_longer_send_or_join(
    live_server_url: str,
) -> None:
    """Deactivated without the service (a raw UPDATE): nothing closes the socket, but nothing it does goes through."""
    user, owner = make_user(), make_user()
    room, other = make_room(creator=owner, members=(user,)), make_room(creator=owner)

    async def scenario() -> None:
        peer = await connected(live_server_url, token_for(user))
        await User.objects.filter(id=user.id).aupdate(is_active=False)
        sent = await peer.call("send_message", {"roomId": room.id, "content": "still here?"})
        assert sent["ok"] is False
        joined = await peer.call("join_room", {"roomId": other.id})
        assert joined["ok"] is False and joined["error"]["code"] == "invalid_token"
        await peer.disconnect()

    asyncio.run(scenario())
    assert not Message.objects.filter(sender=user).exists()
    assert not RoomMember.objects.filter(room=other, user=user).exists()


def test_a_deleted_user_s_open_socket_cannot_join_a_public_room(live_server_url: str) -> None:
    user, owner = make_user(), make_user()
    room = make_room(creator=owner)

    async def scenario() -> None:
        peer = await connected(live_server_url, token_for(user))
        await User.objects.filter(id=user.id).adelete()
        joined = await peer.call("join_room", {"roomId": room.id})
        assert joined["ok"] is False and joined["error"]["code"] == "invalid_token"
        await peer.disconnect()

    asyncio.run(scenario())
    assert list(RoomMember.objects.filter(room=room).values_list("user_id", flat=True)) == [owner.id]


@pytest.mark.parametrize("claims", [{"exp": "9999999999"}, {"ver": "1"}, {"user_id": [1]}])
def test_the_handshake_refuses_claims_of_the_wrong_type_as_invalid_token(
    live_server_url: str, claims: dict[str, Any]
) -> None:
    user = make_user()
    now = int(time.time())
    payload = {"token_type": "access", "exp": now + 600, "iat": now, "jti": "j" * 32, "user_id": str(user.id)}
    token = jwt.encode({**payload, **claims}, str(settings.SIMPLE_JWT["SIGNING_KEY"]), algorithm="HS256")

    async def scenario() -> None:
        peer = Peer(live_server_url)
        with pytest.raises(Exception):  # noqa: B017
            await peer.connect(token)
        assert peer.connect_error["data"]["code"] == "invalid_token"

    asyncio.run(scenario())
