"""Profiles: PATCH /api/users/me renames; GET /api/users/:id shows co-members' public profiles."""

import pytest

from accounts.models import User
from tests.support import assert_error, client_for, make_room, make_user

pytestmark = pytest.mark.django_db


def test_i_rename_myself() -> None:
    me = make_user(name="Old")

    response = client_for(me).patch("/api/users/me", {"name": "  New Name "}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "New Name"
    assert response.json()["email"] == me.email
    assert User.objects.get(id=me.id).name == "New Name"
    assert client_for(me).get("/api/users/me").json()["name"] == "New Name"


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, 3, None])
def test_renaming_validates_the_name(name: object) -> None:
    me = make_user(name="Old")
    assert_error(client_for(me).patch("/api/users/me", {"name": name}, format="json"), 400, "validation_error")
    assert User.objects.get(id=me.id).name == "Old"


def test_renaming_needs_a_token() -> None:
    assert_error(client_for().patch("/api/users/me", {"name": "x"}, format="json"), 401, "not_authenticated")


def test_a_co_member_sees_my_public_profile_without_email() -> None:
    me, friend = make_user(name="Me"), make_user()
    make_room(creator=friend, members=(me,))

    response = client_for(friend).get(f"/api/users/{me.id}")

    assert response.status_code == 200
    assert response.json() == {
        "id": me.id,
        "name": "Me",
        "lastSeen": None,
        "createdAt": me.created_at.isoformat().replace("+00:00", "Z"),
    }


def test_strangers_and_unknown_ids_get_the_same_404() -> None:
    me, stranger = make_user(), make_user()
    make_room(creator=me)
    assert_error(client_for(stranger).get(f"/api/users/{me.id}"), 404, "user_not_found")
    assert_error(client_for(stranger).get("/api/users/999999"), 404, "user_not_found")
    assert client_for(me).get(f"/api/users/{me.id}").status_code == 200
