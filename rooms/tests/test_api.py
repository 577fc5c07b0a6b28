"""The rooms REST API: listing my rooms, creating rooms, and joining by id or by invite code."""

import re
from datetime import datetime
from typing import Any

import pytest
from pytest_django import DjangoAssertNumQueries
from rest_framework.test import APIClient

from rooms.models import Room, RoomMember
from tests.support import assert_error, client_for, make_room, make_user

ROOM_FIELDS = {"id", "name", "isPrivate", "inviteCode", "createdById", "createdAt"}


def room_json(room: Room) -> dict[str, Any]:
    return {
        "id": room.id,
        "name": room.name,
        "isPrivate": room.is_private,
        "inviteCode": room.invite_code,
        "createdById": room.created_by_id,
        "createdAt": room.created_at.isoformat().replace("+00:00", "Z"),
    }


def memberships(room: Room, user_id: int) -> int:
    return RoomMember.objects.filter(room=room, user_id=user_id).count()


# GET /api/rooms


@pytest.mark.django_db
def test_room_list_holds_only_the_rooms_i_am_a_member_of() -> None:
    me = make_user()
    mine = make_room(creator=me)
    joined = make_room(members=(me,), private=True)
    make_room()  # public, but I never joined it
    make_room(private=True)

    response = client_for(me).get("/api/rooms")

    assert response.status_code == 200
    list_extras = {"isDirect": False, "lastReadMessageId": None, "unreadCount": 0, "lastMessage": None}
    assert response.json() == [
        {**room_json(mine), **list_extras, "role": "owner"},
        {**room_json(joined), **list_extras, "role": "member"},
    ]


@pytest.mark.django_db
def test_room_list_is_empty_for_a_user_in_no_room() -> None:
    make_room()
    response = client_for(make_user()).get("/api/rooms")

    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.django_db
def test_room_list_costs_the_same_queries_for_many_rooms(django_assert_num_queries: DjangoAssertNumQueries) -> None:
    me = make_user()
    for _ in range(12):
        make_room(members=(me,), creator=make_user())
    client = client_for(me)

    with django_assert_num_queries(2):  # the token's user, then the rooms
        response = client.get("/api/rooms")

    assert len(response.json()) == 12


@pytest.mark.django_db
def test_room_list_needs_a_token() -> None:
    assert_error(APIClient().get("/api/rooms"), 401, "not_authenticated")


# POST /api/rooms


@pytest.mark.django_db
@pytest.mark.parametrize("is_private", [False, True])
def test_create_room_returns_it_with_an_invite_code_and_makes_me_owner(is_private: bool) -> None:
    me = make_user()
    response = client_for(me).post("/api/rooms", {"name": "  Lobby 🎉 ", "isPrivate": is_private}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == ROOM_FIELDS
    assert isinstance(body["id"], int)
    assert body["name"] == "Lobby 🎉"
    assert body["isPrivate"] is is_private
    assert body["createdById"] == me.id
    assert body["createdAt"].endswith("Z")
    datetime.fromisoformat(body["createdAt"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", body["inviteCode"])
    room = Room.objects.get(id=body["id"])
    assert room.is_private is is_private
    assert room.invite_code == body["inviteCode"]
    assert list(RoomMember.objects.filter(room=room).values_list("user_id", "role")) == [(me.id, "owner")]


@pytest.mark.django_db
def test_create_room_is_public_when_is_private_is_left_out() -> None:
    response = client_for(make_user()).post("/api/rooms", {"name": "open"}, format="json")

    assert response.status_code == 201
    assert response.json()["isPrivate"] is False


@pytest.mark.django_db
def test_every_room_gets_its_own_invite_code() -> None:
    client = client_for(make_user())
    codes = {client.post("/api/rooms", {"name": f"r{i}"}, format="json").json()["inviteCode"] for i in range(20)}

    assert len(codes) == 20


@pytest.mark.django_db
@pytest.mark.parametrize("is_private", ["yes", 1, 0, "true", None, [], {}])
def test_create_room_refuses_is_private_that_is_not_a_boolean(is_private: Any) -> None:
    me = make_user()
    response = client_for(me).post("/api/rooms", {"name": "typed", "isPrivate": is_private}, format="json")

    error = assert_error(response, 400, "validation_error")
    assert "isPrivate" in error["details"]
    assert not Room.objects.filter(created_by=me).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["", "   ", "\t\n", "\x00\x1b", "n" * 101])
def test_create_room_refuses_an_empty_or_too_long_name(name: str) -> None:
    me = make_user()
    error = assert_error(client_for(me).post("/api/rooms", {"name": name}, format="json"), 400, "validation_error")

    assert "name" in error["details"]
    assert not Room.objects.filter(created_by=me).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [{}, {"name": 5}, {"name": None}, {"name": ["a"]}])
def test_create_room_refuses_a_missing_or_mistyped_name(payload: dict[str, Any]) -> None:
    error = assert_error(client_for(make_user()).post("/api/rooms", payload, format="json"), 400, "validation_error")

    assert "name" in error["details"]


@pytest.mark.django_db
def test_create_room_accepts_a_name_of_exactly_100_characters() -> None:
    response = client_for(make_user()).post("/api/rooms", {"name": "n" * 100}, format="json")

    assert response.status_code == 201
    assert response.json()["name"] == "n" * 100


@pytest.mark.django_db
def test_create_room_refuses_a_body_that_is_not_an_object() -> None:
    response = client_for(make_user()).post("/api/rooms", "[]", content_type="application/json")

    assert_error(response, 400, "validation_error")


@pytest.mark.django_db
def test_create_room_needs_a_token() -> None:
    assert_error(APIClient().post("/api/rooms", {"name": "x"}, format="json"), 401, "not_authenticated")


# POST /api/rooms/:roomId/join


@pytest.mark.django_db
def test_join_public_room_by_id() -> None:
    me = make_user()
    room = make_room()

    response = client_for(me).post(f"/api/rooms/{room.id}/join", {}, format="json")

    assert response.status_code == 200
    assert response.json() == room_json(room)
    assert memberships(room, me.id) == 1
    assert RoomMember.objects.get(room=room, user=me).role == "member"


@pytest.mark.django_db
def test_join_public_room_without_a_body() -> None:
    me = make_user()
    room = make_room()

    response = client_for(me).post(f"/api/rooms/{room.id}/join")

    assert response.status_code == 200
    assert memberships(room, me.id) == 1


@pytest.mark.django_db
def test_joining_again_is_not_an_error_and_keeps_one_membership() -> None:
    me = make_user()
    room = make_room()
    client = client_for(me)

    first = client.post(f"/api/rooms/{room.id}/join", {}, format="json")
    second = client.post(f"/api/rooms/{room.id}/join", {}, format="json")

    assert first.status_code == second.status_code == 200
    assert second.json() == room_json(room)
    assert memberships(room, me.id) == 1


@pytest.mark.django_db
def test_owner_joining_own_room_stays_owner() -> None:
    me = make_user()
    room = make_room(creator=me)

    assert client_for(me).post(f"/api/rooms/{room.id}/join", {}, format="json").status_code == 200
    assert list(RoomMember.objects.filter(room=room).values_list("user_id", "role")) == [(me.id, "owner")]


@pytest.mark.django_db
def test_joined_room_shows_in_my_room_list() -> None:
    me = make_user()
    room = make_room()
    client = client_for(me)
    client.post(f"/api/rooms/{room.id}/join", {}, format="json")

    assert [listed["id"] for listed in client.get("/api/rooms").json()] == [room.id]


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [{}, {"inviteCode": None}])
def test_join_private_room_without_a_code_is_refused(payload: dict[str, Any]) -> None:
    me = make_user()
    room = make_room(private=True)

    assert_error(client_for(me).post(f"/api/rooms/{room.id}/join", payload, format="json"), 403, "invite_code_required")
    assert memberships(room, me.id) == 0


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["wrong-code", "", "x" * 500])
def test_join_private_room_with_a_wrong_code_is_refused(code: str) -> None:
    me = make_user()
    room = make_room(private=True)

    response = client_for(me).post(f"/api/rooms/{room.id}/join", {"inviteCode": code}, format="json")

    assert_error(response, 403, "invalid_invite_code")
    assert memberships(room, me.id) == 0


@pytest.mark.django_db
def test_join_private_room_with_the_code_of_another_room_is_refused() -> None:
    me = make_user()
    room = make_room(private=True)
    other = make_room(private=True)

    response = client_for(me).post(f"/api/rooms/{room.id}/join", {"inviteCode": other.invite_code}, format="json")

    assert_error(response, 403, "invalid_invite_code")
    assert memberships(room, me.id) == 0


@pytest.mark.django_db
def test_join_private_room_with_its_code() -> None:
    me = make_user()
    room = make_room(private=True)

    response = client_for(me).post(f"/api/rooms/{room.id}/join", {"inviteCode": room.invite_code}, format="json")

    assert response.status_code == 200
    assert response.json() == room_json(room)
    assert memberships(room, me.id) == 1


@pytest.mark.django_db
def test_member_rejoins_private_room_without_a_code() -> None:
    me = make_user()
    room = make_room(private=True, members=(me,))

    response = client_for(me).post(f"/api/rooms/{room.id}/join", {}, format="json")

    assert response.status_code == 200
    assert memberships(room, me.id) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("code", [123, True, ["code"], {"code": 1}])
def test_join_refuses_an_invite_code_that_is_not_a_string(code: Any) -> None:
    room = make_room(private=True)

    response = client_for(make_user()).post(f"/api/rooms/{room.id}/join", {"inviteCode": code}, format="json")

    error = assert_error(response, 400, "validation_error")
    assert "inviteCode" in error["details"]


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["[]", '"code"', "7"])
def test_join_refuses_a_body_that_is_not_an_object(body: str) -> None:
    me = make_user()
    room = make_room()

    response = client_for(me).post(f"/api/rooms/{room.id}/join", body, content_type="application/json")

    assert_error(response, 400, "validation_error")
    assert memberships(room, me.id) == 0


@pytest.mark.django_db
def test_join_unknown_room_is_not_found() -> None:
    missing_id = make_room().id + 1_000_000
    response = client_for(make_user()).post(f"/api/rooms/{missing_id}/join", {}, format="json")

    assert_error(response, 404, "room_not_found")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "room_id", ["0", "99999999999999999999", "9223372036854775807", "9223372036854775808", "9" * 200]
)
def test_join_a_room_id_no_room_can_have_is_not_found(room_id: str) -> None:
    response = client_for(make_user()).post(f"/api/rooms/{room_id}/join", {}, format="json")

    assert_error(response, 404, "room_not_found")


@pytest.mark.django_db
@pytest.mark.parametrize("room_id", ["abc", "-1", "1.5"])
def test_join_a_room_path_that_is_not_an_id_is_not_found(room_id: str) -> None:
    assert_error(client_for(make_user()).post(f"/api/rooms/{room_id}/join", {}, format="json"), 404, "not_found")


@pytest.mark.django_db
def test_join_needs_a_token() -> None:
    room = make_room()
    assert_error(APIClient().post(f"/api/rooms/{room.id}/join", {}, format="json"), 401, "not_authenticated")


# POST /api/rooms/join


@pytest.mark.django_db
@pytest.mark.parametrize("private", [False, True])
def test_join_by_invite_code(private: bool) -> None:
    me = make_user()
    room = make_room(private=private)

    response = client_for(me).post("/api/rooms/join", {"inviteCode": room.invite_code}, format="json")

    assert response.status_code == 200
    assert response.json() == room_json(room)
    assert memberships(room, me.id) == 1


@pytest.mark.django_db
def test_join_by_invite_code_twice_keeps_one_membership() -> None:
    me = make_user()
    room = make_room(private=True)
    client = client_for(me)

    for _ in range(2):
        assert client.post("/api/rooms/join", {"inviteCode": room.invite_code}, format="json").status_code == 200
    assert memberships(room, me.id) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["no-such-code", "x" * 32])
def test_join_by_an_unknown_invite_code_is_refused(code: str) -> None:
    me = make_user()
    make_room(private=True)

    response = client_for(me).post("/api/rooms/join", {"inviteCode": code}, format="json")

    assert_error(response, 403, "invalid_invite_code")
    assert not RoomMember.objects.filter(user=me).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [{}, {"inviteCode": None}, {"inviteCode": 42}, {"inviteCode": ""}, {"inviteCode": "   "}, {"inviteCode": "x" * 33}],
)
def test_join_by_invite_code_needs_a_code(payload: dict[str, Any]) -> None:
    error = assert_error(
        client_for(make_user()).post("/api/rooms/join", payload, format="json"), 400, "validation_error"
    )

    assert "inviteCode" in error["details"]


@pytest.mark.django_db
def test_join_by_invite_code_needs_a_token() -> None:
    room = make_room()
    assert_error(
        APIClient().post("/api/rooms/join", {"inviteCode": room.invite_code}, format="json"), 401, "not_authenticated"
    )


# Paths


@pytest.mark.django_db
def test_room_paths_answer_with_a_trailing_slash_too() -> None:
    me = make_user()
    client = client_for(me)
    public = make_room()
    private = make_room(private=True)

    created = client.post("/api/rooms/", {"name": "slashed"}, format="json")
    joined = client.post(f"/api/rooms/{public.id}/join/", {}, format="json")
    joined_by_code = client.post("/api/rooms/join/", {"inviteCode": private.invite_code}, format="json")
    listed = client.get("/api/rooms/")

    assert created.status_code == 201
    assert joined.status_code == joined_by_code.status_code == 200
    assert [room["id"] for room in listed.json()] == [public.id, private.id, created.json()["id"]]


@pytest.mark.django_db
def test_an_unsupported_method_on_rooms_is_refused_with_405() -> None:
    assert_error(client_for(make_user()).delete("/api/rooms"), 405, "method_not_allowed")
