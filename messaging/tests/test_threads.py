"""Replies over REST and in the send batch: who may reply to what, the counts on the message replied to, and the
thread's pages."""

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from chatbackend.errors import ReplyTargetDeleted, ReplyTargetNotFound
from messaging import changes, services
from messaging.models import Message
from messaging.services import SendDraft, store_messages
from tests.support import assert_error, client_for, make_messages, make_room, make_user

pytestmark = pytest.mark.django_db


def send(client: APIClient, room_id: int, content: str, **extra: Any) -> Any:
    return client.post(f"/api/rooms/{room_id}/messages", {"content": content, **extra}, format="json")


def replies(client: APIClient, message_id: int, **params: Any) -> Any:
    return client.get(f"/api/messages/{message_id}/replies", params)


def test_a_reply_names_its_parent_and_the_parent_counts_it() -> None:
    alice, bob = make_user(), make_user()
    room = make_room(creator=alice, members=(bob,))
    parent = send(client_for(alice), room.id, "lunch?").json()
    assert parent["replyToId"] is None and parent["replyCount"] == 0

    response = send(client_for(bob), room.id, "yes", replyToId=parent["id"])

    assert response.status_code == 201
    reply = response.json()
    assert reply["replyToId"] == parent["id"] and reply["replyCount"] == 0
    stored = Message.objects.get(id=parent["id"])
    assert stored.reply_count == 1 and stored.last_reply_at is not None
    assert stored.last_reply_at.isoformat().replace("+00:00", "Z") == reply["createdAt"]
    history = client_for(bob).get(f"/api/rooms/{room.id}/messages").json()["messages"]
    assert [(m["id"], m["replyToId"], m["replyCount"]) for m in history] == [
        (reply["id"], parent["id"], 0),
        (parent["id"], None, 1),
    ]
    # Everywhere a message is shown: the room list's lastMessage, an edit's answer.
    listed = {r["id"]: r for r in client_for(alice).get("/api/rooms").json()}[room.id]["lastMessage"]
    assert listed["replyToId"] == parent["id"] and listed["replyCount"] == 0
    edited = client_for(alice).patch(f"/api/messages/{parent['id']}", {"content": "lunch at 1?"}, format="json")
    assert edited.json()["replyCount"] == 1 and edited.json()["replyToId"] is None


def test_a_retried_reply_is_stored_and_counted_once() -> None:
    alice = make_user()
    room = make_room(creator=alice)
    [parent] = make_messages(room, alice, 1)
    first = send(client_for(alice), room.id, "once", replyToId=parent.id, clientMsgId="r-1")
    again = send(client_for(alice), room.id, "once", replyToId=parent.id, clientMsgId="r-1")
    assert (first.status_code, again.status_code) == (201, 200) and again.json() == first.json()
    parent.refresh_from_db()
    assert parent.reply_count == 1 == Message.objects.filter(reply_to=parent).count()


@pytest.mark.parametrize("where", ["another room", "nowhere"])
def test_a_reply_to_a_message_not_in_the_room_is_refused_and_nothing_is_stored(where: str) -> None:
    alice = make_user()
    room, elsewhere = make_room(creator=alice), make_room(creator=alice)
    [foreign] = make_messages(elsewhere, alice, 1)
    target = foreign.id if where == "another room" else foreign.id + 1_000_000

    response = send(client_for(alice), room.id, "wrong thread", replyToId=target)

    error = assert_error(response, 404, "message_not_found")
    assert error["details"] == {"replyToId": ["No message of this room has this id."]}
    assert not Message.objects.filter(room=room).exists()
    foreign.refresh_from_db()
    assert foreign.reply_count == 0 and foreign.last_reply_at is None


def test_a_reply_to_a_deleted_message_is_refused_and_nothing_is_stored() -> None:
    alice = make_user()
    room = make_room(creator=alice)
    [parent] = make_messages(room, alice, 1)
    changes.delete_message(deleter=alice, message_id=parent.id)

    response = send(client_for(alice), room.id, "too late", replyToId=parent.id)

    assert_error(response, 409, "message_deleted")
    assert Message.objects.filter(room=room).count() == 1
    parent.refresh_from_db()
    assert parent.reply_count == 0


@pytest.mark.parametrize("bad", ["seven", 1.5, True, 0, -3, [1], {"id": 1}, 2**64])
def test_a_reply_to_id_that_is_no_message_id_is_a_validation_error(bad: Any) -> None:
    alice = make_user()
    room = make_room(creator=alice)
    response = send(client_for(alice), room.id, "hi", replyToId=bad)
    error = assert_error(response, 400, "validation_error")
    assert list(error["details"]) == ["replyToId"]
    assert not Message.objects.filter(room=room).exists()


def test_a_batch_checks_its_replies_in_one_query_and_counts_each_parent_once() -> None:
    alice, bob = make_user(), make_user()
    room, other = make_room(creator=alice, members=(bob,)), make_room(creator=alice)
    first, second = make_messages(room, alice, 2)
    [foreign] = make_messages(other, alice, 1)

    def reply(sender: int, to: int | None, content: str) -> SendDraft:
        return SendDraft(sender_id=sender, room_id=room.id, content=content, client_msg_id=None, reply_to_id=to)

    batch = [reply(alice.id, first.id, "a"), reply(bob.id, first.id, "b"), reply(bob.id, second.id, "c")]
    batch += [reply(alice.id, foreign.id, "d"), reply(alice.id, None, "plain")]
    with CaptureQueriesContext(connection) as queries:
        results = store_messages(batch)

    assert [r.created for r in results] == [True, True, True, False, True]
    assert isinstance(results[3].error, ReplyTargetNotFound)
    lookups = [q["sql"] for q in queries.captured_queries if "deleted_at, reply_count" in q["sql"]]
    updates = [q["sql"] for q in queries.captured_queries if "SET reply_count" in q["sql"]]
    assert len(lookups) == 1 and len(updates) == 2  # parents get 2 and 1 new replies: one UPDATE per increment
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.reply_count, second.reply_count) == (2, 1)
    assert Message.objects.filter(reply_to=first).count() == 2


def test_a_send_without_reply_costs_no_query_about_threads() -> None:
    alice = make_user()
    room = make_room(creator=alice)
    plain = services.prepare_send(sender=alice, room_id=room.id, content="plain")
    with CaptureQueriesContext(connection) as queries:
        [result] = store_messages([plain])
    assert result.created
    assert not [q for q in queries.captured_queries if "reply_count" in q["sql"] and "INSERT" not in q["sql"]]
    [parent] = make_messages(room, alice, 1)
    reply = services.prepare_send(sender=alice, room_id=room.id, content="a reply", reply_to_id=parent.id)
    with CaptureQueriesContext(connection) as with_reply:
        store_messages([reply])
    assert len(with_reply.captured_queries) == len(queries.captured_queries) + 2


def test_a_batch_refuses_only_the_replies_to_a_deleted_message() -> None:
    alice = make_user()
    room = make_room(creator=alice)
    kept, gone = make_messages(room, alice, 2)
    changes.delete_message(deleter=alice, message_id=gone.id)
    batch = [
        SendDraft(sender_id=alice.id, room_id=room.id, content=text, client_msg_id=None, reply_to_id=parent)
        for text, parent in (("to kept", kept.id), ("to gone", gone.id))
    ]
    results = store_messages(batch)
    assert results[0].created and isinstance(results[1].error, ReplyTargetDeleted)


# The thread's pages


def test_a_thread_pages_its_direct_replies_oldest_first() -> None:
    alice, bob = make_user(), make_user()
    room = make_room(creator=alice, members=(bob,))
    [parent, unrelated] = make_messages(room, alice, 2)
    sent = [send(client_for(bob), room.id, f"reply {i}", replyToId=parent.id).json() for i in range(4)]
    send(client_for(alice), room.id, "a reply to a reply", replyToId=sent[0]["id"])
    send(client_for(alice), room.id, "elsewhere", replyToId=unrelated.id)
    changes.delete_message(deleter=bob, message_id=sent[2]["id"])

    first = replies(client_for(alice), parent.id, limit=3)
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"messages", "nextCursor"}
    assert [m["content"] for m in body["messages"]] == ["reply 0", "reply 1", ""]  # the tombstone stays
    assert all(m["replyToId"] == parent.id for m in body["messages"])
    assert body["messages"][0]["replyCount"] == 1
    rest = replies(client_for(alice), parent.id, limit=3, cursor=body["nextCursor"]).json()
    assert [m["content"] for m in rest["messages"]] == ["reply 3"] and rest["nextCursor"] is None
    parent.refresh_from_db()
    assert parent.reply_count == 4  # the deleted reply still counts: it is in the thread
    nested = replies(client_for(bob), sent[0]["id"]).json()
    assert [m["content"] for m in nested["messages"]] == ["a reply to a reply"]
    assert replies(client_for(alice), parent.id, cursor=f"a{sent[-1]['id']}").json()["messages"] == []


def test_a_thread_is_readable_as_its_room_is() -> None:
    owner, outsider = make_user(), make_user()
    public, private = make_room(creator=owner), make_room(creator=owner, private=True)
    [in_public] = make_messages(public, owner, 1)
    [in_private] = make_messages(private, owner, 1)
    send(client_for(owner), private.id, "secret", replyToId=in_private.id)

    assert replies(client_for(outsider), in_public.id).status_code == 200  # public: any signed-in user
    assert_error(replies(client_for(outsider), in_private.id), 404, "message_not_found")
    assert_error(replies(client_for(outsider), in_private.id + 1_000_000), 404, "message_not_found")
    assert_error(replies(APIClient(), in_public.id), 401, "not_authenticated")
    assert len(replies(client_for(owner), in_private.id).json()["messages"]) == 1


@pytest.mark.parametrize("cursor", ["m5", "a0", "abc", "a12x"])
def test_a_thread_refuses_a_cursor_it_did_not_hand_out(cursor: str) -> None:
    owner = make_user()
    room = make_room(creator=owner)
    [parent] = make_messages(room, owner, 1)
    assert_error(replies(client_for(owner), parent.id, cursor=cursor), 400, "validation_error")


def test_a_thread_page_costs_the_same_queries_however_long_the_thread() -> None:
    owner = make_user()
    room = make_room(creator=owner)
    short, long = make_messages(room, owner, 2)
    services.send_message(sender=owner, room_id=room.id, content="only", reply_to_id=short.id)
    for i in range(4):
        services.send_message(sender=owner, room_id=room.id, content=f"r{i}", reply_to_id=long.id)
    client = client_for(owner)
    counts = []
    for parent, expected in ((short, 1), (long, 4)):
        with CaptureQueriesContext(connection) as queries:
            assert len(replies(client, parent.id).json()["messages"]) == expected
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]


def test_post_message_sends_a_reply_with_reply_to() -> None:
    alice = make_user()
    room = make_room(creator=alice)
    [parent] = make_messages(room, alice, 1)
    command = ["post_message", "--room", str(room.id), "--user", alice.email, "--reply-to"]
    call_command(*command, str(parent.id), "from operations", stdout=io.StringIO())
    parent.refresh_from_db()
    assert parent.reply_count == 1
    with pytest.raises(CommandError, match="message_not_found"):
        call_command(*command, str(parent.id + 1_000_000), "nowhere", stdout=io.StringIO())
