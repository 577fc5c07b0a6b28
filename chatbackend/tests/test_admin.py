"""The admin site: a superuser can open the lists and change pages of users, rooms and messages."""

import pytest
from django.test import Client

from accounts.models import User
from tests.support import make_messages, make_room, make_user

ADMIN_PASSWORD = "admin-password-for-tests"


def admin_client() -> Client:
    admin = User.objects.create_superuser(f"admin-{make_user().id}@example.com", ADMIN_PASSWORD)
    client = Client()
    assert client.login(username=admin.email, password=ADMIN_PASSWORD)
    return client


@pytest.mark.django_db
def test_admin_needs_a_staff_login() -> None:
    response = Client().get("/admin/accounts/user/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_superuser_sees_the_admin_index() -> None:
    response = admin_client().get("/admin/")

    assert response.status_code == 200
    for model in (b"Users", b"Rooms", b"Messages"):
        assert model in response.content


@pytest.mark.django_db
def test_superuser_sees_users_in_the_admin() -> None:
    user = make_user(name="Listed Person")
    client = admin_client()

    changelist = client.get("/admin/accounts/user/")
    change = client.get(f"/admin/accounts/user/{user.id}/change/")
    add = client.get("/admin/accounts/user/add/")

    assert changelist.status_code == 200
    assert user.email.encode() in changelist.content
    assert change.status_code == 200
    assert b"Listed Person" in change.content
    assert add.status_code == 200


@pytest.mark.django_db
def test_superuser_adds_a_user_in_the_admin() -> None:
    client = admin_client()
    email = f"added-{make_user().id}@example.com"

    response = client.post(
        "/admin/accounts/user/add/",
        {
            "email": email,
            "name": "Added",
            "password1": "violet-lantern-orbit-42",
            "password2": "violet-lantern-orbit-42",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    user = User.objects.get(email=email)
    assert user.password.startswith("bcrypt_sha256$")
    assert user.check_password("violet-lantern-orbit-42")


@pytest.mark.django_db
def test_superuser_sees_rooms_with_their_members_in_the_admin() -> None:
    member = make_user()
    room = make_room(name="Admin Lobby", members=(member,))
    client = admin_client()

    changelist = client.get("/admin/rooms/room/")
    change = client.get(f"/admin/rooms/room/{room.id}/change/")

    assert changelist.status_code == 200
    assert b"Admin Lobby" in changelist.content
    assert change.status_code == 200
    assert b"memberships-TOTAL_FORMS" in change.content
    assert f'value="{member.id}"'.encode() in change.content


@pytest.mark.django_db
def test_superuser_sees_messages_in_the_admin() -> None:
    sender = make_user()
    room = make_room(creator=sender)
    (message,) = make_messages(room, sender, 1, prefix="admin-visible")
    client = admin_client()

    changelist = client.get("/admin/messaging/message/")
    change = client.get(f"/admin/messaging/message/{message.id}/change/")

    assert changelist.status_code == 200
    assert b"admin-visible 0" in changelist.content
    assert change.status_code == 200
    assert b"admin-visible 0" in change.content


@pytest.mark.django_db
def test_createsuperuser_works_with_the_email_user_without_prompts(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", ADMIN_PASSWORD)
    call_command("createsuperuser", "--noinput", "--email", "Root@Example.com", "--name", "Root", verbosity=0)

    admin = User.objects.get(email__iexact="root@example.com")
    assert admin.is_superuser and admin.is_staff and admin.name == "Root"
    client = Client()
    assert client.login(username="root@example.com", password=ADMIN_PASSWORD)
    assert client.get("/admin/").status_code == 200
