"""Leaving a room, the member list, and the room list's read state (unread counts, last message)."""

import threading

import pytest
from django.db import connection
from pytest_django import DjangoAssertNumQueries

from accounts.models import User
from messaging.models import Message
from messaging.services import send_message
from rooms.models import RoomMember
from tests.support import assert_error, client_for, make_messages, make_room, make_user

pytestmark = pytest.mark.django_db


def role_of(room_id: int, user_id: int) -> str | None:
    membership = RoomMember.objects.filter(room_id=room_id, user_id=user_id).first()
    return membership.role if membership else None


# POST /api/rooms/:roomId/leave


def test_a_member_leaves_and_the_room_leaves_their_list() -> None:
    member = make_user()
    room = make_room(members=(member,))
    client = client_for(member)

    response = client.post(f"/api/rooms/{room.id}/leave")

    assert response.status_code == 200
    assert response.json() == {"roomId": room.id}
    assert role_of(room.id, member.id) is None
    assert client.get("/api/rooms").json() == []


def test_the_last_owner_leaving_hands_ownership_to_the_oldest_admin() -> None:
    owner, member, admin = make_user(), make_user(), make_user()
    room = make_room(creator=owner, members=(member, admin))
    RoomMember.objects.filter(room=room, user=admin).update(role=RoomMember.Role.ADMIN)

    assert client_for(owner).post(f"/api/rooms/{room.id}/leave").status_code == 200

    assert role_of(room.id, admin.id) == "owner"
    assert role_of(room.id, member.id) == "member"


def test_the_last_owner_leaving_without_admins_hands_ownership_to_the_oldest_member() -> None:
    owner, first, second = make_user(), make_user(), make_user()
    room = make_room(creator=owner, members=(first, second))

    client_for(owner).post(f"/api/rooms/{room.id}/leave")

    assert role_of(room.id, first.id) == "owner"
    assert role_of(room.id, second.id) == "member"


def test_the_only_member_leaving_leaves_an_empty_room() -> None:
    owner = make_user()
    room = make_room(creator=owner)

    assert client_for(owner).post(f"/api/rooms/{room.id}/leave").status_code == 200
    assert not RoomMember.objects.filter(room=room).exists()


def test_leaving_a_room_i_am_not_in_is_refused() -> None:
    room = make_room()
    assert_error(client_for(make_user()).post(f"/api/rooms/{room.id}/leave"), 403, "not_room_member")


def test_leaving_an_unknown_room_is_404() -> None:
    assert_error(client_for(make_user()).post("/api/rooms/999999/leave"), 404, "room_not_found")


def test_leaving_needs_a_token() -> None:
    room = make_room()
    assert_error(client_for().post(f"/api/rooms/{room.id}/leave"), 401, "not_authenticated")


def test_a_member_who_left_a_public_room_can_join_again() -> None:
    member = make_user()
    room = make_room(members=(member,))
    client = client_for(member)
    client.post(f"/api/rooms/{room.id}/leave")

    assert client.post(f"/api/rooms/{room.id}/join", {}, format="json").status_code == 200
    assert role_of(room.id, member.id) == "member"


# GET /api/rooms/:roomId/members


def test_members_list_names_roles_presence_and_last_seen() -> None:
    owner, member = make_user(name="Olga"), make_user(name="Max")
    room = make_room(creator=owner, members=(member,), private=True)

    response = client_for(member).get(f"/api/rooms/{room.id}/members")

    assert response.status_code == 200
    body = response.json()
    assert body["nextCursor"] is None
    assert [(m["id"], m["name"], m["role"], m["online"]) for m in body["members"]] == [
        (owner.id, "Olga", "owner", False),
        (member.id, "Max", "member", False),
    ]
    assert set(body["members"][0]) == {"id", "name", "role", "online", "lastSeen", "joinedAt", "lastReadMessageId"}
    assert "email" not in body["members"][0]


def test_members_list_pages_without_gap_or_duplicate() -> None:
    members = tuple(make_user() for _ in range(4))
    room = make_room(members=members)
    client = client_for(members[0])

    first = client.get(f"/api/rooms/{room.id}/members?limit=3").json()
    second = client.get(f"/api/rooms/{room.id}/members?limit=3&cursor={first['nextCursor']}").json()

    assert second["nextCursor"] is None
    ids = [m["id"] for m in first["members"] + second["members"]]
    assert ids == [room.created_by_id, *(m.id for m in members)]


def test_members_of_a_private_room_are_hidden_from_non_members() -> None:
    room = make_room(private=True)
    assert_error(client_for(make_user()).get(f"/api/rooms/{room.id}/members"), 404, "room_not_found")


def test_members_list_refuses_a_bad_cursor_and_limit() -> None:
    member = make_user()
    room = make_room(members=(member,))
    assert_error(client_for(member).get(f"/api/rooms/{room.id}/members?cursor=abc"), 400, "validation_error")
    assert_error(client_for(member).get(f"/api/rooms/{room.id}/members?limit=0"), 400, "validation_error")


def test_members_of_an_unknown_room_is_404() -> None:
    assert_error(client_for(make_user()).get("/api/rooms/999999/members"), 404, "room_not_found")


# Read state: POST /api/rooms/:roomId/read and the room list


def test_room_list_counts_unread_messages_and_shows_the_last_message() -> None:
    me, other = make_user(), make_user()
    room = make_room(creator=other, members=(me,))
    theirs = make_messages(room, other, 3)
    client = client_for(me)

    [listed] = client.get("/api/rooms").json()
    assert listed["unreadCount"] == 3
    assert listed["lastMessage"]["id"] == theirs[2].id
    assert listed["lastMessage"]["content"] == "message 2"
    assert listed["lastMessage"]["senderId"] == other.id
    assert listed["lastMessage"]["reactions"] == {} and listed["lastMessage"]["deletedAt"] is None

    response = client.post(f"/api/rooms/{room.id}/read", {"messageId": theirs[1].id}, format="json")
    assert response.status_code == 200
    assert response.json() == {"roomId": room.id, "lastReadMessageId": theirs[1].id}

    [listed] = client.get("/api/rooms").json()
    assert listed["unreadCount"] == 1
    assert listed["lastReadMessageId"] == theirs[1].id


def test_my_own_sends_mark_the_room_read_up_to_them() -> None:
    me, other = make_user(), make_user()
    room = make_room(creator=other, members=(me,))
    make_messages(room, other, 2)
    client = client_for(me)
    sent = client.post(f"/api/rooms/{room.id}/messages", {"content": "replying"}, format="json").json()
    make_messages(room, other, 1, prefix="later")

    [listed] = client.get("/api/rooms").json()
    assert listed["unreadCount"] == 1
    assert listed["lastReadMessageId"] == sent["id"]
    assert listed["lastMessage"]["content"] == "later 0"


def test_the_read_position_never_moves_back() -> None:
    me, other = make_user(), make_user()
    room = make_room(creator=other, members=(me,))
    messages = make_messages(room, other, 3)
    client = client_for(me)
    client.post(f"/api/rooms/{room.id}/read", {"messageId": messages[2].id}, format="json")

    response = client.post(f"/api/rooms/{room.id}/read", {"messageId": messages[0].id}, format="json")

    assert response.json()["lastReadMessageId"] == messages[2].id


def test_marking_read_refuses_messages_of_other_rooms_non_members_and_bad_ids() -> None:
    me, other = make_user(), make_user()
    room = make_room(creator=other, members=(me,))
    elsewhere = make_room(creator=other)
    [foreign] = make_messages(elsewhere, other, 1)
    [own] = make_messages(room, other, 1)

    assert_error(
        client_for(me).post(f"/api/rooms/{room.id}/read", {"messageId": foreign.id}, format="json"),
        404,
        "message_not_found",
    )
    assert_error(
        client_for(make_user()).post(f"/api/rooms/{room.id}/read", {"messageId": own.id}, format="json"),
        403,
        "not_room_member",
    )
    assert_error(
        client_for(me).post(f"/api/rooms/{room.id}/read", {"messageId": "x"}, format="json"), 400, "validation_error"
    )
    assert_error(client_for(me).post(f"/api/rooms/{room.id}/read", {}, format="json"), 400, "validation_error")


def test_room_list_with_read_state_costs_two_queries_however_many_rooms(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    me = make_user()
    for _ in range(10):
        room = make_room(members=(me,))
        make_messages(room, room.created_by, 3)
    client = client_for(me)

    with django_assert_num_queries(2):  # the token's user, then the rooms with their counts and last messages
        response = client.get("/api/rooms")

    assert [room["unreadCount"] for room in response.json()] == [3] * 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_take_distinct_positions_and_keep_counts_exact() -> None:
    reader = make_user()
    senders = [make_user() for _ in range(6)]
    room = make_room(members=(reader, *senders))
    barrier = threading.Barrier(len(senders))

    def send(sender: User) -> None:
        try:
            barrier.wait()
            send_message(sender=sender, room_id=room.id, content="at once")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(sender,)) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stored = list(Message.objects.filter(room=room).order_by("id").values_list("seq", flat=True))
    assert stored == [1, 2, 3, 4, 5, 6]
    [listed] = client_for(reader).get("/api/rooms").json()
    assert listed["unreadCount"] == 6
    assert listed["lastMessage"]["id"] == Message.objects.filter(room=room).latest("id").id
