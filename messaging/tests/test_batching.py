"""Group commit of sends: many sends stored in one transaction, each answered with its own message or refusal."""

import asyncio
from typing import Any

import pytest
from django.db import OperationalError, connection

from chatbackend.errors import NotRoomMember, RateLimited, RoomNotFound
from chatbackend.exception_handler import as_chat_error
from conftest import SERVER_ENV
from messaging import services
from messaging.models import Message
from messaging.realtime import writer
from messaging.realtime.writer import MessageWriter
from messaging.services import SendDraft, store_messages
from rooms.models import Room, RoomMember
from tests.support import ServerProcess, client_for, make_messages, make_room, make_user, token_for
from tests.support.socketio_client import connected


def draft(sender_id: int, room_id: int, content: str, client_msg_id: str | None = None) -> SendDraft:
    return SendDraft(sender_id=sender_id, room_id=room_id, content=content, client_msg_id=client_msg_id)


def assert_positions_rise_with_ids(room: Room) -> None:
    seqs = list(Message.objects.filter(room=room).order_by("id").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    room.refresh_from_db()
    assert room.message_seq == len(seqs)
    assert room.last_message_id == Message.objects.filter(room=room).latest("id").id


@pytest.mark.django_db
def test_a_batch_stores_every_room_once_with_positions_read_state_and_last_message() -> None:
    alice, bob, reader = make_user(), make_user(), make_user()
    first, second = make_room(creator=alice, members=(bob, reader)), make_room(creator=bob, members=(reader,))
    make_messages(first, reader, 2)  # positions continue after what the room holds
    batch = [draft(alice.id, first.id, "a1"), draft(bob.id, second.id, "b1"), draft(bob.id, first.id, "b2")]
    batch += [draft(alice.id, first.id, "a3"), draft(bob.id, second.id, "b4")]

    results = store_messages(batch)

    assert [result.error for result in results] == [None] * 5 and all(result.created for result in results)
    stored = {message.id: message for message in Message.objects.all()}
    for sent, result in zip(batch, results, strict=True):
        assert result.message is not None
        assert stored[result.message.id].content == sent.content and result.message.seq == stored[result.message.id].seq
    assert [m.content for m in Message.objects.filter(room=first, seq__gt=2).order_by("id")] == ["a1", "b2", "a3"]
    assert_positions_rise_with_ids(first)
    assert_positions_rise_with_ids(second)
    # Senders have read their own messages; the reader has everything unread.
    rooms = {room["id"]: room for room in client_for(reader).get("/api/rooms").json()}
    assert rooms[first.id]["unreadCount"] == 5 and rooms[second.id]["unreadCount"] == 2
    assert client_for(alice).get("/api/rooms").json()[0]["unreadCount"] == 0  # a3 came after bob's b2
    assert {room["id"]: room["unreadCount"] for room in client_for(bob).get("/api/rooms").json()} == {
        first.id: 1,
        second.id: 0,
    }


@pytest.mark.django_db
def test_a_refused_send_in_a_batch_refuses_only_itself() -> None:
    member, stranger = make_user(), make_user()
    room = make_room(creator=member)
    batch = [draft(member.id, room.id, "ok 1"), draft(stranger.id, room.id, "not a member")]
    batch += [draft(member.id, 2_000_000_000, "no such room"), draft(member.id, room.id, "ok 2")]
    batch += [draft(member.id, room.id, f"ok {i}") for i in range(3, 7)]  # "ok 6": the 6th of the window

    results = store_messages(batch)

    assert isinstance(results[1].error, NotRoomMember)
    assert isinstance(results[2].error, RoomNotFound)
    assert isinstance(results[7].error, RateLimited) and results[7].error.retry_after_ms > 0
    accepted = [result.message.content for result in results if result.created and result.message is not None]
    assert accepted == ["ok 1", "ok 2", "ok 3", "ok 4", "ok 5"]
    assert list(Message.objects.filter(room=room).order_by("id").values_list("content", flat=True)) == accepted
    assert_positions_rise_with_ids(room)


@pytest.mark.django_db
def test_repeated_client_msg_ids_in_one_batch_and_retries_of_stored_ones_store_nothing_new() -> None:
    user = make_user()
    room = make_room(creator=user)
    earlier, _ = services.send_message(sender=user, room_id=room.id, content="earlier", client_msg_id="c-0")
    batch = [draft(user.id, room.id, "first", "c-1"), draft(user.id, room.id, "again", "c-1")]
    batch += [draft(user.id, room.id, "retry", "c-0"), draft(user.id, room.id, "other", "c-2")]

    results = store_messages(batch)

    assert [(result.created, result.error) for result in results] == [
        (True, None),
        (False, None),
        (False, None),
        (True, None),
    ]
    assert results[0].message is not None and results[1].message is not None
    assert results[1].message.id == results[0].message.id
    assert results[2].message is not None and results[2].message.id == earlier.id
    assert list(Message.objects.filter(room=room).order_by("id").values_list("content", flat=True)) == [
        "earlier",
        "first",
        "other",
    ]


@pytest.mark.django_db
def test_a_retry_racing_the_batch_fails_alone_and_returns_the_first_message(monkeypatch: pytest.MonkeyPatch) -> None:
    user = make_user()
    room = make_room(creator=user)
    raced, _ = services.send_message(sender=user, room_id=room.id, content="stored meanwhile", client_msg_id="r-1")
    # The batch looked for earlier sends before the racing one was committed: its insert hits the unique index.
    monkeypatch.setattr(services, "earlier_sends", lambda keys: {})

    results = store_messages([draft(user.id, room.id, "a"), draft(user.id, room.id, "retry", "r-1")])

    assert results[0].created and results[0].message is not None and results[0].message.content == "a"
    assert not results[1].created and results[1].message is not None and results[1].message.id == raced.id
    assert Message.objects.filter(room=room).count() == 2
    assert_positions_rise_with_ids(room)


@pytest.mark.django_db
def test_without_returning_ids_are_read_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """MySQL 8 returns no ids from a multi-row INSERT: they are read back by (room, position)."""
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    alice, bob = make_user(), make_user()
    first, second = make_room(creator=alice, members=(bob,)), make_room(creator=bob)
    batch = [draft(alice.id, first.id, "1"), draft(bob.id, second.id, "2"), draft(bob.id, first.id, "3")]

    results = store_messages(batch)

    for sent, result in zip(batch, results, strict=True):
        assert result.message is not None and result.message.id is not None
        assert Message.objects.get(id=result.message.id).content == sent.content
    assert RoomMember.objects.get(room=first, user=bob).last_read_message_id == results[2].message.id  # type: ignore[union-attr]
    assert_positions_rise_with_ids(first)


@pytest.mark.django_db(transaction=True)
async def test_the_writer_stores_what_is_queued_when_closed_and_refuses_later_sends() -> None:
    user = await asyncio.to_thread(make_user)
    room = await asyncio.to_thread(make_room, creator=user)
    message_writer = MessageWriter(max_delay_ms=60_000, max_size=1000)  # nothing would be written before closing
    sends = [asyncio.create_task(message_writer.send(draft(user.id, room.id, f"m{i}"))) for i in range(3)]
    await asyncio.sleep(0.05)
    assert not any(send.done() for send in sends)

    await asyncio.wait_for(message_writer.close(), 10)

    stored = [message for message, created in [send.result() for send in sends] if created]
    assert [message.content for message in stored] == ["m0", "m1", "m2"]
    assert await Message.objects.filter(room=room).acount() == 3
    with pytest.raises(Exception) as refused:
        await message_writer.send(draft(user.id, room.id, "late"))
    assert as_chat_error(refused.value).code == "unavailable"


@pytest.mark.django_db(transaction=True)
async def test_a_database_failure_fails_every_send_of_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(drafts: Any) -> None:
        raise OperationalError(2003, "Can't connect to MySQL server")

    monkeypatch.setattr(writer, "store_messages", fail)
    message_writer = MessageWriter(max_delay_ms=5, max_size=10)
    outcomes = await asyncio.gather(
        *(message_writer.send(draft(1, 1, f"m{i}")) for i in range(4)), return_exceptions=True
    )
    await message_writer.close()
    assert [as_chat_error(outcome).code for outcome in outcomes] == ["unavailable"] * 4  # type: ignore[arg-type]


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_concurrent_socket_sends_are_stored_once_in_order_and_acked_with_their_ids(test_database_url: str) -> None:
    # A long delay makes every round of sends one batch spanning all rooms.
    env = {**SERVER_ENV, "REDIS_URL": "", "MESSAGE_RATE_LIMIT": "1000", "BATCH_MAX_DELAY_MS": "30"}
    server = ServerProcess(database_url=test_database_url, env=env).start()
    reader = make_user()
    rooms = []
    for _ in range(3):
        senders = (make_user(), make_user())
        rooms.append((make_room(creator=senders[0], members=(senders[1], reader)), senders))
    rounds = 8

    async def scenario() -> dict[int, list[dict[str, Any]]]:
        watcher = await connected(server.url, token_for(reader))
        peers = []
        for room, senders in rooms:
            assert (await watcher.call("join_room", {"roomId": room.id}))["ok"]
            for sender in senders:
                peer = await connected(server.url, token_for(sender))
                assert (await peer.call("join_room", {"roomId": room.id}))["ok"]
                peers.append((peer, room.id, sender.id))

        async def send_all(peer: Any, room_id: int, sender_id: int) -> list[dict[str, Any]]:
            acks = []
            for n in range(rounds):
                payload = {"roomId": room_id, "content": f"{sender_id}:{n}", "clientMsgId": f"{sender_id}-{n}"}
                acks.append(await peer.call("send_message", payload, timeout=10))
            retry = await peer.call("send_message", {**payload, "content": "retried"}, timeout=10)
            assert retry == acks[-1], "a retry answers with the first message"
            return acks

        acked = await asyncio.gather(*(send_all(*peer) for peer in peers))
        total = rounds * len(peers)
        await watcher.wait_for("receive_message", lambda _: len(watcher.received("receive_message")) >= total)
        await asyncio.sleep(0.3)  # anything delivered twice would show up by now
        received = watcher.received("receive_message")
        assert len(received) == total
        for peer, _, _ in peers:
            await peer.disconnect()
        await watcher.disconnect()
        return {sender_id: acks for (_, _, sender_id), acks in zip(peers, acked, strict=True)}

    try:
        acked = asyncio.run(scenario())
    finally:
        server.stop()

    for sender_id, acks in acked.items():
        assert all(ack["ok"] for ack in acks), acks
        stored = list(Message.objects.filter(sender_id=sender_id).order_by("id").values_list("id", "content"))
        assert stored == [(ack["message"]["id"], f"{sender_id}:{n}") for n, ack in enumerate(acks)]
    for room, _ in rooms:
        assert_positions_rise_with_ids(room)
    unread = {room["id"]: room["unreadCount"] for room in client_for(reader).get("/api/rooms").json()}
    assert unread == {room.id: rounds * 2 for room, _ in rooms}
