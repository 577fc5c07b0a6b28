"""Editing, deleting and reacting to messages over REST."""

import pytest

from accounts.models import User
from messaging.models import Message, Reaction
from rooms.models import Room, RoomMember
from tests.support import assert_error, client_for, make_messages, make_room, make_user

pytestmark = pytest.mark.django_db


def sent_message(*, private: bool = False) -> tuple[Room, User, Message]:
    """A room with one message by a plain member: (room, sender, message)."""
    sender = make_user()
    room = make_room(members=(sender,), private=private)
    [message] = make_messages(room, sender, 1)
    return room, sender, message


# Editing


def test_the_sender_edits_a_message_and_history_shows_it_edited() -> None:
    room, sender, message = sent_message()

    response = client_for(sender).patch(f"/api/messages/{message.id}", {"content": "  fixed "}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["content"] == "fixed"
    assert body["editedAt"] is not None and body["deletedAt"] is None
    newest = client_for(sender).get(f"/api/rooms/{room.id}/messages").json()["messages"][0]
    assert newest["content"] == "fixed" and newest["editedAt"] == body["editedAt"]


def test_nobody_else_edits_a_message_not_even_the_owner() -> None:
    room, _, message = sent_message()
    owner = room.created_by
    assert isinstance(owner, User)
    response = client_for(owner).patch(f"/api/messages/{message.id}", {"content": "mine now"}, format="json")
    assert_error(response, 403, "not_message_sender")
    assert Message.objects.get(id=message.id).content == "message 0"


def test_a_sender_who_left_cannot_edit() -> None:
    room, sender, message = sent_message()
    RoomMember.objects.filter(room=room, user=sender).delete()
    response = client_for(sender).patch(f"/api/messages/{message.id}", {"content": "x"}, format="json")
    assert_error(response, 403, "not_room_member")


@pytest.mark.parametrize("content", ["", "  ", "x" * 4001, 7, None])
def test_edits_are_validated_like_sends(content: object) -> None:
    _, sender, message = sent_message()
    response = client_for(sender).patch(f"/api/messages/{message.id}", {"content": content}, format="json")
    assert_error(response, 400, "validation_error")


def test_editing_an_unknown_or_deleted_message_is_refused() -> None:
    _, sender, message = sent_message()
    client = client_for(sender)
    assert_error(client.patch("/api/messages/999999", {"content": "x"}, format="json"), 404, "message_not_found")
    client.delete(f"/api/messages/{message.id}")
    assert_error(client.patch(f"/api/messages/{message.id}", {"content": "x"}, format="json"), 409, "message_deleted")


# Deleting


def test_the_sender_deletes_a_message_leaving_a_tombstone_in_history() -> None:
    room, sender, message = sent_message()
    client = client_for(sender)
    client.post(f"/api/messages/{message.id}/reactions", {"emoji": "👍"}, format="json")

    response = client.delete(f"/api/messages/{message.id}")

    assert response.status_code == 200
    assert response.json()["content"] == "" and response.json()["deletedAt"] is not None
    assert response.json()["reactions"] == {}
    [tombstone] = client.get(f"/api/rooms/{room.id}/messages").json()["messages"]
    assert tombstone["id"] == message.id and tombstone["content"] == "" and tombstone["deletedAt"]
    stored = Message.objects.get(id=message.id)
    assert stored.content == "" and not Reaction.objects.filter(message=stored).exists()


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_delete_anyone_s_message(role: str) -> None:
    room, _, message = sent_message()
    moderator = make_user()
    RoomMember.objects.create(room=room, user=moderator, role=role)
    assert client_for(moderator).delete(f"/api/messages/{message.id}").status_code == 200
    assert Message.objects.get(id=message.id).deleted_at is not None


def test_a_member_cannot_delete_someone_else_s_message() -> None:
    room, _, message = sent_message()
    other = make_user()
    RoomMember.objects.create(room=room, user=other)
    assert_error(client_for(other).delete(f"/api/messages/{message.id}"), 403, "insufficient_role")
    assert_error(client_for(make_user()).delete(f"/api/messages/{message.id}"), 403, "not_room_member")
    assert Message.objects.get(id=message.id).deleted_at is None


def test_deleting_twice_or_an_unknown_message_is_refused() -> None:
    _, sender, message = sent_message()
    client = client_for(sender)
    client.delete(f"/api/messages/{message.id}")
    assert_error(client.delete(f"/api/messages/{message.id}"), 409, "message_deleted")
    assert_error(client.delete("/api/messages/999999"), 404, "message_not_found")


# Reactions


def test_reactions_are_counted_per_emoji_in_history() -> None:
    room, sender, message = sent_message()
    other = make_user()
    RoomMember.objects.create(room=room, user=other)

    for user, emoji in [(sender, "👍"), (other, "👍"), (other, "😀"), (sender, "👍")]:  # the last is a repeat
        response = client_for(user).post(f"/api/messages/{message.id}/reactions", {"emoji": emoji}, format="json")
        assert response.status_code == 200

    assert response.json()["reactions"] == {"👍": 2, "😀": 1}
    newest = client_for(sender).get(f"/api/rooms/{room.id}/messages").json()["messages"][0]
    assert newest["reactions"] == {"👍": 2, "😀": 1}

    removed = client_for(other).delete(f"/api/messages/{message.id}/reactions/👍")
    assert removed.status_code == 200
    assert removed.json()["reactions"] == {"👍": 1, "😀": 1}
    again = client_for(other).delete(f"/api/messages/{message.id}/reactions/👍")  # removing twice is fine
    assert again.json()["reactions"] == {"👍": 1, "😀": 1}


def test_distinct_emoji_stay_distinct_whatever_the_collation() -> None:
    _, sender, message = sent_message()
    client = client_for(sender)
    for emoji in ["😀", "😁", "🎉", "👍🏽", "👍"]:
        client.post(f"/api/messages/{message.id}/reactions", {"emoji": emoji}, format="json")
    assert Message.objects.get(id=message.id).reactions == {"😀": 1, "😁": 1, "🎉": 1, "👍🏽": 1, "👍": 1}


def test_reacting_is_for_members_on_live_messages_with_a_short_emoji() -> None:
    _, sender, message = sent_message()
    assert_error(
        client_for(make_user()).post(f"/api/messages/{message.id}/reactions", {"emoji": "👍"}, format="json"),
        403,
        "not_room_member",
    )
    client = client_for(sender)
    for bad in ["", "   ", "x" * 33, 1, None]:
        response = client.post(f"/api/messages/{message.id}/reactions", {"emoji": bad}, format="json")
        assert_error(response, 400, "validation_error")
    assert_error(
        client.post("/api/messages/999999/reactions", {"emoji": "👍"}, format="json"), 404, "message_not_found"
    )
    client.delete(f"/api/messages/{message.id}")
    response = client.post(f"/api/messages/{message.id}/reactions", {"emoji": "👍"}, format="json")
    assert_error(response, 409, "message_deleted")
