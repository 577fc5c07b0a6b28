"""Invite links against real server processes: a link of one use admits exactly one of many concurrent joins sent
to two processes, and a member's socket sees the new member who joined by a link, who then joins and sends."""

import asyncio
import concurrent.futures
from collections.abc import Iterator

import pytest

from conftest import SERVER_ENV
from rooms.models import RoomInvite, RoomMember
from tests.support import ServerProcess, make_room, make_user, token_for
from tests.support.socketio_client import connected, http

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]


@pytest.fixture
def two_servers(test_database_url: str) -> Iterator[list[ServerProcess]]:
    """Two processes on the test database (in-memory mode each): joins race in two interpreters."""
    servers = [ServerProcess(database_url=test_database_url, env={**SERVER_ENV, "REDIS_URL": ""}) for _ in range(2)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


def test_a_link_of_one_use_admits_exactly_one_of_many_concurrent_joins(two_servers: list[ServerProcess]) -> None:
    owner = make_user()
    room = make_room(creator=owner, private=True)
    status, link = http(
        "POST", f"{two_servers[0].url}/api/rooms/{room.id}/invites", token=token_for(owner), body={"maxUses": 1}
    )
    assert status == 201, link
    tokens = [token_for(make_user()) for _ in range(16)]

    def attempt(index: int) -> tuple[int, str]:
        server = two_servers[index % 2]
        body = {"inviteCode": link["code"]}
        status, body = http("POST", f"{server.url}/api/rooms/join", token=tokens[index], body=body)
        return status, "joined" if status == 200 else body["error"]["code"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        answers = list(pool.map(attempt, range(len(tokens))))

    assert answers.count((200, "joined")) == 1, answers
    assert answers.count((410, "invite_expired")) == len(tokens) - 1, answers
    assert RoomInvite.objects.get(code=link["code"]).uses == 1
    assert RoomMember.objects.filter(room=room).count() == 2


def test_a_member_sees_who_joined_by_a_link_and_the_newcomer_joins_and_sends(live_server_url: str) -> None:
    owner, guest = make_user(name="Olga"), make_user(name="Gus")
    room = make_room(creator=owner, private=True)

    async def scenario() -> None:
        watcher = await connected(live_server_url, token_for(owner))
        assert (await watcher.call("join_room", {"roomId": room.id}))["ok"] is True
        status, link = await asyncio.to_thread(
            http, "POST", f"{live_server_url}/api/rooms/{room.id}/invites", token=token_for(owner), body={}
        )
        assert status == 201
        newcomer = await connected(live_server_url, token_for(guest))
        refused = await newcomer.call("join_room", {"roomId": room.id})
        assert refused["ok"] is False and refused["error"]["code"] == "room_not_found"

        status, joined = await asyncio.to_thread(
            http, "POST", f"{live_server_url}/api/rooms/join", token=token_for(guest), body={"inviteCode": link["code"]}
        )

        assert (status, joined["id"]) == (200, room.id)
        event = await watcher.wait_for("member_joined", lambda e: e["userId"] == guest.id)
        assert event == {"roomId": room.id, "userId": guest.id, "name": "Gus", "role": "member"}
        assert (await newcomer.call("join_room", {"roomId": room.id}))["ok"] is True
        sent = await newcomer.call("send_message", {"roomId": room.id, "content": "hello via a link"})
        assert sent["ok"] is True, sent
        message = await watcher.wait_for("receive_message", lambda m: m["content"] == "hello via a link")
        assert message["senderId"] == guest.id
        for peer in (watcher, newcomer):
            await peer.disconnect()

    asyncio.run(scenario())
