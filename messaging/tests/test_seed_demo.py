"""`manage.py seed_demo`: demo data that can be created again without changing anything, and a usable login."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import User
from messaging.management.commands.seed_demo import DEMO_PASSWORD, ROOMS, USERS
from messaging.models import Message
from rooms.models import Room, RoomMember


def row_counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "rooms": Room.objects.count(),
        "members": RoomMember.objects.count(),
        "messages": Message.objects.count(),
    }


@pytest.mark.django_db
def test_seed_demo_twice_creates_the_same_rows() -> None:
    before = row_counts()

    call_command("seed_demo", stdout=io.StringIO())
    after_first = row_counts()
    call_command("seed_demo", stdout=io.StringIO())
    after_second = row_counts()

    assert after_first["users"] == before["users"] + len(USERS)
    assert after_first["rooms"] == before["rooms"] + len(ROOMS)
    assert after_first["messages"] == before["messages"] + 60 * len(ROOMS)
    assert after_second == after_first
    private = Room.objects.get(name="secret-plans")
    assert private.is_private
    assert RoomMember.objects.filter(room=private).count() == 2


@pytest.mark.django_db
def test_demo_user_can_log_in_over_the_api() -> None:
    call_command("seed_demo", "--messages", "3", stdout=io.StringIO())
    email = USERS[0][0]

    response = APIClient().post("/api/auth/login", {"email": email, "password": DEMO_PASSWORD}, format="json")

    assert response.status_code == 200
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert {room["name"] for room in client.get("/api/rooms").json()} == {name for name, _ in ROOMS}
