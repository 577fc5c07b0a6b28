"""Idempotent sends and catch-up after a reconnect: a client that retries or drops misses nothing, doubles nothing."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import close_old_connections

from messaging import services
from messaging.models import Message
from tests.support import client_for, make_messages, make_room, make_user, token_for
from tests.support.socketio_client import connected


@pytest.mark.django_db
def test_rest_retry_with_the_same_client_msg_id_returns_the_first_message() -> None:
    user = make_user()
    room = make_room(creator=user)
    client = client_for(user)
    url = f"/api/rooms/{room.id}/messages"

    first = client.post(url, {"content": "once", "clientMsgId": "c-1"}, format="json")
    retry = client.post(url, {"content": "once", "clientMsgId": "c-1"}, format="json")

    assert first.status_code == 201 and retry.status_code == 200
    assert retry.json() == first.json()
    assert Message.objects.filter(room=room).count() == 1


@pytest.mark.django_db
def test_the_same_client_msg_id_from_another_user_or_room_is_another_message() -> None:
    user, other = make_user(), make_user()
    room, second = make_room(creator=user, members=(other,)), make_room(creator=user)
    for sender, target in ((user, room), (other, room), (user, second)):
        response = client_for(sender).post(
            f"/api/rooms/{target.id}/messages", {"content": "hi", "clientMsgId": "same"}, format="json"
        )
        assert response.status_code == 201
    assert Message.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("client_msg_id", ["", "   ", "x" * 65, 12, True])
def test_bad_client_msg_ids_are_refused(client_msg_id: object) -> None:
    user = make_user()
    room = make_room(creator=user)
    response = client_for(user).post(
        f"/api/rooms/{room.id}/messages", {"content": "hi", "clientMsgId": client_msg_id}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"
    assert Message.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_store_one_message() -> None:
    user = make_user()
    room = make_room(creator=user)

    def send() -> int:
        try:
            message, _ = services.send_message(sender=user, room_id=room.id, content="race", client_msg_id="r-1")
            return message.id
        finally:
            close_old_connections()

    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(lambda _: send(), range(4)))

    assert len(set(ids)) == 1
    assert Message.objects.filter(room=room).count() == 1


@pytest.mark.django_db
def test_after_returns_every_later_message_oldest_first_in_pages() -> None:
    user = make_user()
    room = make_room(creator=user)
    messages = make_messages(room, user, 130)
    since = messages[9].id
    client = client_for(user)

    seen: list[int] = []
    page = client.get(f"/api/rooms/{room.id}/messages", {"after": since, "limit": 50}).json()
    seen += [m["id"] for m in page["messages"]]
    while page["nextCursor"]:
        make_messages(room, user, 3, prefix="new")  # arrivals while catching up are picked up too
        page = client.get(f"/api/rooms/{room.id}/messages", {"cursor": page["nextCursor"], "limit": 50}).json()
        seen += [m["id"] for m in page["messages"]]

    expected = list(Message.objects.filter(room=room, id__gt=since).order_by("id").values_list("id", flat=True))
    assert seen == expected
    assert len(seen) > 120


@pytest.mark.django_db
@pytest.mark.parametrize("after", ["-1", "abc", "1.5", "9" * 30])
def test_after_must_be_a_message_id(after: str) -> None:
    user = make_user()
    room = make_room(creator=user)
    response = client_for(user).get(f"/api/rooms/{room.id}/messages", {"after": after})
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"


@pytest.mark.django_db
def test_after_in_a_private_room_needs_membership() -> None:
    room = make_room(private=True)
    response = client_for(make_user()).get(f"/api/rooms/{room.id}/messages", {"after": 0})
    assert response.status_code == 404 and response.json()["error"]["code"] == "room_not_found"


@pytest.mark.django_db(transaction=True)
@pytest.mark.server
def test_socket_retry_with_the_same_client_msg_id_stores_and_delivers_once(live_server_url: str) -> None:
    user, listener = make_user(), make_user()
    room = make_room(creator=user, members=(listener,))

    async def scenario() -> None:
        a = await connected(live_server_url, token_for(user))
        b = await connected(live_server_url, token_for(listener))
        for peer in (a, b):
            await peer.call("join_room", {"roomId": room.id})
        payload = {"roomId": room.id, "content": "exactly once", "clientMsgId": "retry-1"}
        first, second = await a.call("send_message", payload), await a.call("send_message", payload)
        assert first["ok"] and second == first
        await b.wait_for("receive_message")
        await asyncio.sleep(0.3)
        assert len(b.received("receive_message")) == 1
        await a.disconnect()
        await b.disconnect()

    asyncio.run(scenario())
    assert Message.objects.filter(room=room).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.server
def test_join_room_with_after_brings_a_returning_client_up_to_date(live_server_url: str) -> None:
    user, other = make_user(), make_user()
    room = make_room(creator=user, members=(other,))
    seen_before = make_messages(room, other, 3)[-1]
    missed = make_messages(room, other, 4, prefix="missed")

    async def scenario() -> None:
        peer = await connected(live_server_url, token_for(user))
        ack = await peer.call("join_room", {"roomId": room.id, "after": seen_before.id})
        assert ack["ok"] is True
        assert [m["id"] for m in ack["messages"]] == [m.id for m in missed]
        assert ack["nextCursor"] is None
        plain = await peer.call("join_room", {"roomId": room.id})
        assert "messages" not in plain
        bad = await peer.call("join_room", {"roomId": room.id, "after": "yesterday"})
        assert bad["ok"] is False and bad["error"]["code"] == "validation_error"
        await peer.disconnect()

    asyncio.run(scenario())
