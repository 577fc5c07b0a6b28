"""Roles and moderation over REST: rename, rotate the invite code, roles, remove, ban and unban."""

import pytest

from accounts.models import User
from rooms.models import Room, RoomBan, RoomMember
from tests.support import assert_error, client_for, make_room, make_user

pytestmark = pytest.mark.django_db


def room_with_staff(*, private: bool = False) -> tuple[Room, User, User, User]:
    """A room with its owner, an admin and a plain member."""
    owner, admin, member = make_user(), make_user(), make_user()
    room = make_room(creator=owner, members=(admin, member), private=private)
    RoomMember.objects.filter(room=room, user=admin).update(role=RoomMember.Role.ADMIN)
    return room, owner, admin, member


def is_member(room: Room, user: User) -> bool:
    return RoomMember.objects.filter(room=room, user=user).exists()


# Rename and invite code


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_owners_and_admins_rename_the_room(who: str) -> None:
    room, owner, admin, _ = room_with_staff()
    actor = owner if who == "owner" else admin

    response = client_for(actor).patch(f"/api/rooms/{room.id}", {"name": "  New name "}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "New name"
    room.refresh_from_db()
    assert room.name == "New name"


def test_a_member_cannot_rename_the_room() -> None:
    room, _, _, member = room_with_staff()
    response = client_for(member).patch(f"/api/rooms/{room.id}", {"name": "mine"}, format="json")
    assert_error(response, 403, "insufficient_role")


def test_a_non_member_cannot_rename_the_room() -> None:
    room, *_ = room_with_staff()
    response = client_for(make_user()).patch(f"/api/rooms/{room.id}", {"name": "mine"}, format="json")
    assert_error(response, 403, "not_room_member")


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, 5, None])
def test_renaming_validates_the_name(name: object) -> None:
    room, owner, _, _ = room_with_staff()
    response = client_for(owner).patch(f"/api/rooms/{room.id}", {"name": name}, format="json")
    assert_error(response, 400, "validation_error")


def test_rotating_the_invite_code_retires_the_old_one() -> None:
    room, _, admin, _ = room_with_staff(private=True)
    old_code = room.invite_code

    response = client_for(admin).post(f"/api/rooms/{room.id}/invite-code")

    assert response.status_code == 200
    new_code = response.json()["inviteCode"]
    assert new_code != old_code
    stranger = client_for(make_user())
    assert_error(stranger.post("/api/rooms/join", {"inviteCode": old_code}, format="json"), 403, "invalid_invite_code")
    assert stranger.post("/api/rooms/join", {"inviteCode": new_code}, format="json").status_code == 200


def test_a_member_cannot_rotate_the_invite_code() -> None:
    room, _, _, member = room_with_staff()
    assert_error(client_for(member).post(f"/api/rooms/{room.id}/invite-code"), 403, "insufficient_role")


def test_room_detail_is_readable_as_history_is() -> None:
    room, _, _, member = room_with_staff(private=True)
    assert client_for(member).get(f"/api/rooms/{room.id}").json()["id"] == room.id
    assert_error(client_for(make_user()).get(f"/api/rooms/{room.id}"), 404, "room_not_found")
    assert_error(client_for(member).get("/api/rooms/999999"), 404, "room_not_found")


# Roles


def test_the_owner_makes_a_member_admin_and_back() -> None:
    room, owner, _, member = room_with_staff()
    client = client_for(owner)

    response = client.patch(f"/api/rooms/{room.id}/members/{member.id}", {"role": "admin"}, format="json")
    assert response.status_code == 200
    assert response.json()["role"] == "admin"
    assert response.json()["id"] == member.id

    client.patch(f"/api/rooms/{room.id}/members/{member.id}", {"role": "member"}, format="json")
    assert RoomMember.objects.get(room=room, user=member).role == "member"


def test_an_admin_cannot_change_roles() -> None:
    room, _, admin, member = room_with_staff()
    response = client_for(admin).patch(f"/api/rooms/{room.id}/members/{member.id}", {"role": "admin"}, format="json")
    assert_error(response, 403, "insufficient_role")


@pytest.mark.parametrize("role", ["owner", "king", ""])
def test_roles_are_admin_or_member_only(role: str) -> None:
    room, owner, _, member = room_with_staff()
    response = client_for(owner).patch(f"/api/rooms/{room.id}/members/{member.id}", {"role": role}, format="json")
    assert_error(response, 400, "validation_error")


def test_changing_the_role_of_a_non_member_is_404() -> None:
    room, owner, _, _ = room_with_staff()
    response = client_for(owner).patch(
        f"/api/rooms/{room.id}/members/{make_user().id}", {"role": "admin"}, format="json"
    )
    assert_error(response, 404, "member_not_found")


# Remove


def test_an_admin_removes_a_member() -> None:
    room, _, admin, member = room_with_staff()

    response = client_for(admin).delete(f"/api/rooms/{room.id}/members/{member.id}")

    assert response.status_code == 204
    assert not is_member(room, member)


def test_an_admin_cannot_remove_another_admin_or_the_owner() -> None:
    room, owner, admin, _ = room_with_staff()
    other_admin = make_user()
    RoomMember.objects.create(room=room, user=other_admin, role=RoomMember.Role.ADMIN)
    client = client_for(admin)

    assert_error(client.delete(f"/api/rooms/{room.id}/members/{other_admin.id}"), 403, "insufficient_role")
    assert_error(client.delete(f"/api/rooms/{room.id}/members/{owner.id}"), 403, "insufficient_role")
    assert is_member(room, owner) and is_member(room, other_admin)


def test_the_owner_removes_an_admin() -> None:
    room, owner, admin, _ = room_with_staff()
    assert client_for(owner).delete(f"/api/rooms/{room.id}/members/{admin.id}").status_code == 204
    assert not is_member(room, admin)


def test_a_member_cannot_remove_anyone() -> None:
    room, _, _, member = room_with_staff()
    other = make_user()
    RoomMember.objects.create(room=room, user=other)
    assert_error(client_for(member).delete(f"/api/rooms/{room.id}/members/{other.id}"), 403, "insufficient_role")


def test_removing_yourself_or_a_non_member_is_refused() -> None:
    room, owner, _, _ = room_with_staff()
    client = client_for(owner)
    assert_error(client.delete(f"/api/rooms/{room.id}/members/{owner.id}"), 400, "validation_error")
    assert_error(client.delete(f"/api/rooms/{room.id}/members/{make_user().id}"), 404, "member_not_found")


def test_a_removed_member_of_a_public_room_may_join_again() -> None:
    room, _, admin, member = room_with_staff()
    client_for(admin).delete(f"/api/rooms/{room.id}/members/{member.id}")
    assert client_for(member).post(f"/api/rooms/{room.id}/join", {}, format="json").status_code == 200


# Ban and unban


def test_a_banned_member_is_removed_and_cannot_rejoin_by_id_or_code() -> None:
    room, _, admin, member = room_with_staff(private=True)

    response = client_for(admin).put(f"/api/rooms/{room.id}/bans/{member.id}")

    assert response.status_code == 200
    assert response.json()["userId"] == member.id
    assert response.json()["bannedById"] == admin.id
    assert not is_member(room, member)
    client = client_for(member)
    join = client.post(f"/api/rooms/{room.id}/join", {"inviteCode": room.invite_code}, format="json")
    assert_error(join, 403, "banned")
    assert_error(client.post("/api/rooms/join", {"inviteCode": room.invite_code}, format="json"), 403, "banned")
    assert not is_member(room, member)


def test_a_user_banned_ahead_cannot_join_a_public_room() -> None:
    room, owner, _, _ = room_with_staff()
    stranger = make_user()
    assert client_for(owner).put(f"/api/rooms/{room.id}/bans/{stranger.id}").status_code == 200
    assert_error(client_for(stranger).post(f"/api/rooms/{room.id}/join", {}, format="json"), 403, "banned")


def test_banning_twice_is_not_an_error() -> None:
    room, owner, _, member = room_with_staff()
    client = client_for(owner)
    client.put(f"/api/rooms/{room.id}/bans/{member.id}")
    assert client.put(f"/api/rooms/{room.id}/bans/{member.id}").status_code == 200
    assert RoomBan.objects.filter(room=room, user=member).count() == 1


def test_unbanning_lets_the_user_join_again_without_restoring_membership() -> None:
    room, owner, admin, member = room_with_staff()
    client_for(owner).put(f"/api/rooms/{room.id}/bans/{member.id}")

    assert [ban["userId"] for ban in client_for(admin).get(f"/api/rooms/{room.id}/bans").json()] == [member.id]
    assert client_for(admin).delete(f"/api/rooms/{room.id}/bans/{member.id}").status_code == 204

    assert not is_member(room, member)
    assert client_for(member).post(f"/api/rooms/{room.id}/join", {}, format="json").status_code == 200
    assert client_for(admin).get(f"/api/rooms/{room.id}/bans").json() == []


def test_members_cannot_ban_unban_or_list_bans() -> None:
    room, owner, _, member = room_with_staff()
    client = client_for(member)
    assert_error(client.put(f"/api/rooms/{room.id}/bans/{make_user().id}"), 403, "insufficient_role")
    assert_error(client.delete(f"/api/rooms/{room.id}/bans/{owner.id}"), 403, "insufficient_role")
    assert_error(client.get(f"/api/rooms/{room.id}/bans"), 403, "insufficient_role")


def test_an_admin_cannot_ban_the_owner_and_nobody_bans_themself() -> None:
    room, owner, admin, _ = room_with_staff()
    assert_error(client_for(admin).put(f"/api/rooms/{room.id}/bans/{owner.id}"), 403, "insufficient_role")
    assert_error(client_for(admin).put(f"/api/rooms/{room.id}/bans/{admin.id}"), 400, "validation_error")
    assert is_member(room, owner)


def test_banning_an_unknown_user_is_404() -> None:
    room, owner, _, _ = room_with_staff()
    assert_error(client_for(owner).put(f"/api/rooms/{room.id}/bans/999999"), 404, "user_not_found")
