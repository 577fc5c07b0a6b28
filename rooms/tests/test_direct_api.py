"""Direct messages: POST /api/dms returns the one private two-member room of two users who share a room."""

import threading

import pytest
from django.db import connection

from accounts.models import User
from rooms.direct import open_direct_room
from rooms.models import Room, RoomMember
from tests.support import assert_error, client_for, make_room, make_user


def co_members(*names: str) -> list[User]:
    """Users who share a room (the rule for opening a direct room between them)."""
    users = [make_user(name=name) for name in names]
    make_room(creator=users[0], members=tuple(users[1:]))
    return users


@pytest.mark.django_db
def test_opening_a_dm_creates_a_private_two_member_room_once() -> None:
    me, friend = co_members("Ann", "Ben")

    first = client_for(me).post("/api/dms", {"userId": friend.id}, format="json")
    again = client_for(me).post("/api/dms", {"userId": friend.id}, format="json")
    theirs = client_for(friend).post("/api/dms", {"userId": me.id}, format="json")

    assert first.status_code == 201
    assert again.status_code == 200 and theirs.status_code == 200
    assert first.json() == again.json() == theirs.json()
    room = Room.objects.get(id=first.json()["id"])
    assert room.is_private and room.is_direct
    assert set(RoomMember.objects.filter(room=room).values_list("user_id", flat=True)) == {me.id, friend.id}
    listed = client_for(friend).get("/api/rooms").json()
    assert [(r["id"], r["isDirect"]) for r in listed if r["isDirect"]] == [(room.id, True)]


@pytest.mark.django_db
def test_a_dm_with_myself_an_unknown_user_or_a_bad_id_is_refused() -> None:
    me = make_user()
    client = client_for(me)
    assert_error(client.post("/api/dms", {"userId": me.id}, format="json"), 400, "validation_error")
    assert_error(client.post("/api/dms", {"userId": 999999}, format="json"), 404, "user_not_found")
    assert_error(client.post("/api/dms", {"userId": "x"}, format="json"), 400, "validation_error")
    assert_error(client.post("/api/dms", {}, format="json"), 400, "validation_error")
    assert_error(client_for().post("/api/dms", {"userId": me.id}, format="json"), 401, "not_authenticated")


@pytest.mark.django_db
def test_nobody_else_joins_or_moderates_a_dm() -> None:
    (me, friend), stranger = co_members("a", "b"), make_user()
    room_id = client_for(me).post("/api/dms", {"userId": friend.id}, format="json").json()["id"]
    room = Room.objects.get(id=room_id)
    outsider = client_for(stranger)

    join = outsider.post(f"/api/rooms/{room_id}/join", {"inviteCode": room.invite_code}, format="json")
    assert_error(join, 404, "room_not_found")
    assert_error(
        outsider.post("/api/rooms/join", {"inviteCode": room.invite_code}, format="json"), 404, "room_not_found"
    )
    assert_error(client_for(me).patch(f"/api/rooms/{room_id}", {"name": "x"}, format="json"), 409, "direct_room")
    assert_error(client_for(me).delete(f"/api/rooms/{room_id}/members/{friend.id}"), 409, "direct_room")
    assert RoomMember.objects.filter(room_id=room_id).count() == 2


@pytest.mark.django_db
def test_dm_members_exchange_messages() -> None:
    me, friend = co_members("a", "b")
    room_id = client_for(me).post("/api/dms", {"userId": friend.id}, format="json").json()["id"]
    sent = client_for(friend).post(f"/api/rooms/{room_id}/messages", {"content": "hi"}, format="json")
    assert sent.status_code == 201
    assert client_for(me).get(f"/api/rooms/{room_id}/messages").json()["messages"][0]["content"] == "hi"
    assert_error(client_for(make_user()).get(f"/api/rooms/{room_id}/messages"), 404, "room_not_found")


@pytest.mark.django_db(transaction=True)
def test_concurrent_dm_creations_from_both_sides_make_one_room() -> None:
    me, friend = co_members("a", "b")
    make_room(creator=me)  # unrelated rooms do not matter
    barrier = threading.Barrier(8)
    results: list[int] = []
    errors: list[BaseException] = []

    def open_dm(user: User, other: User) -> None:
        try:
            barrier.wait()
            room, _ = open_direct_room(user=user, other_user_id=other.id)
            results.append(room.id)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_dm, args=(me, friend) if i % 2 else (friend, me)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(results)) == 1 and len(results) == 8
    assert Room.objects.filter(is_direct=True).count() == 1
    assert RoomMember.objects.filter(room_id=results[0]).count() == 2


@pytest.mark.django_db
def test_a_stranger_cannot_open_a_dm_and_learns_nothing_about_who_exists() -> None:
    """Issue 13 #10: no DM without a room in common; a stranger, a missing and an inactive user answer alike."""
    me, stranger, gone = make_user(), make_user(), make_user()
    User.objects.filter(id=gone.id).update(is_active=False)
    client = client_for(me)

    answers = [
        client.post("/api/dms", {"userId": user_id}, format="json") for user_id in (stranger.id, 999999, gone.id)
    ]

    bodies = [assert_error(answer, 404, "user_not_found") for answer in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert not Room.objects.filter(is_direct=True).exists()
    assert_error(client.get(f"/api/users/{stranger.id}"), 404, "user_not_found")


@pytest.mark.django_db
def test_either_user_leaves_a_dm_and_opening_it_again_comes_back_to_it() -> None:
    me, friend = co_members("a", "b")
    room_id = client_for(me).post("/api/dms", {"userId": friend.id}, format="json").json()["id"]
    client_for(friend).post(f"/api/rooms/{room_id}/messages", {"content": "hi"}, format="json")

    assert client_for(me).post(f"/api/rooms/{room_id}/leave").json() == {"roomId": room_id}
    assert_error(client_for(me).get(f"/api/rooms/{room_id}/messages"), 404, "room_not_found")
    assert list(RoomMember.objects.filter(room_id=room_id).values_list("user_id", flat=True)) == [friend.id]

    again = client_for(me).post("/api/dms", {"userId": friend.id}, format="json")
    assert again.status_code == 200 and again.json()["id"] == room_id
    assert client_for(me).get(f"/api/rooms/{room_id}/messages").json()["messages"][0]["content"] == "hi"
