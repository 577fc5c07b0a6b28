"""Replies live: two real Socket.IO clients against a server process see a reply as any message, then its parent's
`thread_updated`; refused replies reach nobody; concurrent replies, from sockets and REST, in one process or two,
are each counted once."""

import asyncio
from typing import Any

import pytest

from messaging import changes
from messaging.models import Message
from tests.support import ServerProcess, make_messages, make_room, make_user, token_for
from tests.support.socketio_client import Peer, close, connected, http, run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]


async def post(url: str, token: str, room_id: int, body: dict[str, Any]) -> tuple[int, Any]:
    return await asyncio.to_thread(http, "POST", f"{url}/api/rooms/{room_id}/messages", token=token, body=body)


def test_members_get_a_reply_as_any_message_then_the_thread_update(live_server_url: str) -> None:
    alice, bob = make_user(), make_user()
    room = make_room(creator=alice, members=(bob,))

    async def scenario() -> None:
        a = await connected(live_server_url, token_for(alice))
        b = await connected(live_server_url, token_for(bob))
        for peer in (a, b):
            await peer.call("join_room", {"roomId": room.id})
        parent = (await a.call("send_message", {"roomId": room.id, "content": "lunch?"}))["message"]
        assert parent["replyToId"] is None and parent["replyCount"] == 0

        ack = await a.call("send_message", {"roomId": room.id, "content": "at one", "replyToId": parent["id"]})

        assert ack["ok"] is True
        reply = ack["message"]
        assert reply["replyToId"] == parent["id"] and reply["replyCount"] == 0
        assert await b.wait_for("receive_message", lambda m: m["id"] == reply["id"]) == reply
        update = await b.wait_for("thread_updated")
        assert update == {
            "roomId": room.id,
            "messageId": parent["id"],
            "replyCount": 1,
            "lastReplyAt": reply["createdAt"],
        }
        for peer in (a, b):  # the sender's connections too; the reply itself first
            await peer.wait_for("thread_updated")
            order = [(event, payload.get("id")) for event, payload in peer.arrivals if event != "user_status"]
            assert order.index(("receive_message", reply["id"])) < order.index(("thread_updated", None))

        # A REST reply by the other member: delivered to the sockets the same way.
        status, by_rest = await post(
            live_server_url, token_for(bob), room.id, {"content": "ok", "replyToId": parent["id"]}
        )
        assert status == 201 and by_rest["replyToId"] == parent["id"]
        assert (await a.wait_for("receive_message", lambda m: m["id"] == by_rest["id"]))["replyToId"] == parent["id"]
        second = await a.wait_for("thread_updated", lambda e: e["replyCount"] == 2)
        assert second["messageId"] == parent["id"] and second["lastReplyAt"] == by_rest["createdAt"]

        # Every other view of a message carries the fields: edits, deletions, catch-up after a reconnect.
        status, _ = await asyncio.to_thread(
            http,
            "PATCH",
            f"{live_server_url}/api/messages/{parent['id']}",
            token=token_for(alice),
            body={"content": "lunch!"},
        )
        assert status == 200
        edited = await b.wait_for("message_updated")
        assert edited["id"] == parent["id"] and edited["replyCount"] == 2 and edited["replyToId"] is None
        status, _ = await asyncio.to_thread(
            http, "DELETE", f"{live_server_url}/api/messages/{by_rest['id']}", token=token_for(bob)
        )
        deleted = await a.wait_for("message_deleted")
        assert deleted["id"] == by_rest["id"] and deleted["replyToId"] == parent["id"]
        late = await connected(live_server_url, token_for(bob))
        caught_up = await late.call("join_room", {"roomId": room.id, "after": parent["id"]})
        assert [(m["id"], m["replyToId"]) for m in caught_up["messages"]] == [
            (reply["id"], parent["id"]),
            (by_rest["id"], parent["id"]),
        ]
        status, thread = await asyncio.to_thread(
            http, "GET", f"{live_server_url}/api/messages/{parent['id']}/replies", token=token_for(bob)
        )
        assert status == 200 and [m["id"] for m in thread["messages"]] == [reply["id"], by_rest["id"]]
        await close(a, b, late)

    run(scenario)


def test_refused_replies_are_answered_to_the_sender_alone_and_store_nothing(live_server_url: str) -> None:
    alice, bob = make_user(), make_user()
    room, other = make_room(creator=alice, members=(bob,)), make_room(creator=alice)
    [foreign] = make_messages(other, alice, 1)
    [gone] = make_messages(room, alice, 1)
    changes.delete_message(deleter=alice, message_id=gone.id)

    async def scenario() -> None:
        a = await connected(live_server_url, token_for(alice))
        b = await connected(live_server_url, token_for(bob))
        for peer in (a, b):
            await peer.call("join_room", {"roomId": room.id})
        cases: list[tuple[Any, str]] = [(foreign.id, "message_not_found"), (gone.id, "message_deleted")]
        cases += [("seven", "validation_error"), (1.5, "validation_error"), (True, "validation_error")]
        for reply_to, code in cases:
            ack = await a.call("send_message", {"roomId": room.id, "content": "x", "replyToId": reply_to})
            assert ack["ok"] is False and ack["error"]["code"] == code, (reply_to, ack)
            assert list(ack["error"]["details"]) == ["replyToId"]
        # Without an ack callback the failure comes back as the `error` event, to the sender only.
        await a.emit("send_message", {"roomId": room.id, "content": "x", "replyToId": foreign.id})
        error = await a.wait_for("error")
        assert error["code"] == "message_not_found" and error["event"] == "send_message"
        await b.call("send_message", {"roomId": room.id, "content": "fine"})  # b's own message marks the end
        await b.wait_for("receive_message", lambda m: m["content"] == "fine")
        await a.wait_for("receive_message", lambda m: m["content"] == "fine")
        assert [m["content"] for m in a.received("receive_message") + b.received("receive_message")] == ["fine"] * 2
        assert a.received("thread_updated") == b.received("thread_updated") == []
        assert b.received("error") == []
        await close(a, b)

    run(scenario)
    assert list(Message.objects.filter(room=room).values_list("content", flat=True).order_by("id")) == ["", "fine"]
    assert Message.objects.filter(reply_to__isnull=False).count() == 0
    foreign.refresh_from_db()
    assert foreign.reply_count == 0


async def reply_storm(urls: list[str], room_id: int, parent_id: int, senders: list[Any], per_sender: int) -> None:
    """Each sender replies `per_sender` times at once: even senders over Socket.IO, odd ones over REST, spread over
    the servers."""

    async def by_socket(url: str, token: str, index: int) -> None:
        peer = await connected(url, token)
        await peer.call("join_room", {"roomId": room_id})
        acks = await asyncio.gather(
            *(
                peer.call("send_message", {"roomId": room_id, "content": f"s{index}-{n}", "replyToId": parent_id})
                for n in range(per_sender)
            )
        )
        assert all(ack["ok"] for ack in acks), acks
        await peer.disconnect()

    async def by_rest(url: str, token: str, index: int) -> None:
        answers = await asyncio.gather(
            *(
                post(url, token, room_id, {"content": f"r{index}-{n}", "replyToId": parent_id})
                for n in range(per_sender)
            )
        )
        assert [status for status, _ in answers] == [201] * per_sender, answers

    await asyncio.gather(
        *(
            (by_socket if index % 2 == 0 else by_rest)(urls[index % len(urls)], token_for(sender), index)
            for index, sender in enumerate(senders)
        )
    )


async def watch_thread(url: str, token: str, room_id: int) -> Peer:
    watcher = await connected(url, token)
    await watcher.call("join_room", {"roomId": room_id})
    return watcher


def assert_counted_exactly(watchers: list[Peer], parent: Message, expected: int) -> None:
    parent.refresh_from_db()
    assert parent.reply_count == expected == Message.objects.filter(reply_to=parent).count()
    for watcher in watchers:
        counts = [event["replyCount"] for event in watcher.received("thread_updated")]
        # Each committed batch of replies saw the count the one before it left: no two events say the same.
        assert len(counts) == len(set(counts)) and max(counts) == expected
        assert len(watcher.received("receive_message")) == expected


def test_concurrent_replies_from_sockets_and_rest_are_each_counted_once(live_server_url: str) -> None:
    listener, *senders = [make_user() for _ in range(7)]
    room = make_room(creator=listener, members=tuple(senders))
    [parent] = make_messages(room, listener, 1)

    watchers: list[Peer] = []

    async def scenario() -> None:
        watchers.append(await watch_thread(live_server_url, token_for(listener), room.id))
        await reply_storm([live_server_url], room.id, parent.id, senders, per_sender=5)
        await watchers[0].wait_for("thread_updated", lambda e: e["replyCount"] == 30)
        await asyncio.sleep(0.3)  # anything late would show up now
        await close(*watchers)

    run(scenario)
    assert_counted_exactly(watchers, parent, 30)


@pytest.mark.parametrize("redis_env", ["one Redis"], indirect=True)
def test_concurrent_replies_through_two_processes_are_each_counted_once(redis_servers: list[ServerProcess]) -> None:
    listener, *senders = [make_user() for _ in range(9)]
    room = make_room(creator=listener, members=tuple(senders))
    [parent] = make_messages(room, listener, 1)
    urls = [server.url for server in redis_servers]

    watchers: list[Peer] = []

    async def scenario() -> None:
        watchers.extend([await watch_thread(url, token_for(listener), room.id) for url in urls])
        await reply_storm(urls, room.id, parent.id, senders, per_sender=5)
        for watcher in watchers:
            await watcher.wait_for("thread_updated", lambda e: e["replyCount"] == 40, timeout=10)
        await asyncio.sleep(0.3)
        await close(*watchers)

    run(scenario)
    assert_counted_exactly(watchers, parent, 40)
