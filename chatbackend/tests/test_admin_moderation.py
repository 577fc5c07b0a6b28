"""The admin is a moderator's tool: no page lists a whole table, the app's counters are read-only, lists filter
by room, sender and date, and moderation goes through the same services as the API (tombstones, bans, removal,
deactivation). The live side (events reaching sockets) is proven in the browser: test_admin_browser.py."""

import re

import pytest
from django.contrib import admin
from django.test import Client

from accounts.models import User
from chatbackend.admin_tools import foreign_keys
from chatbackend.errors import DirectRoom, Forbidden
from chatbackend.tests.test_admin import admin_client
from messaging.changes import moderate_delete_message, react
from messaging.models import Message, Reaction
from rooms.direct import open_direct_room
from rooms.models import Room, RoomBan, RoomMember
from rooms.moderation import staff_ban, staff_remove_member
from tests.support import client_for, make_messages, make_room, make_user

pytestmark = pytest.mark.django_db


def action(client: Client, changelist: str, name: str, *ids: int) -> str:
    """Run an admin action on these rows, as the changelist's form does; returns the page it lands on."""
    response = client.post(changelist, {"action": name, "_selected_action": [str(i) for i in ids]}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_every_foreign_key_in_the_admin_is_a_raw_id_box_or_read_only() -> None:
    for model, model_admin in admin.site._registry.items():
        shown = {*model_admin.raw_id_fields, *model_admin.autocomplete_fields, *model_admin.readonly_fields}
        for field in foreign_keys(model):
            assert field in shown, f"{model.__name__}.{field} would render as a <select> of every row"


def test_change_pages_render_no_select_of_rows() -> None:
    owner, other = make_user(), make_user()
    room = make_room(creator=owner, members=(other,))
    (message,) = make_messages(room, owner, 1)
    react(user=other, message_id=message.id, emoji="👍", add=True)
    RoomBan.objects.create(room=make_room(creator=owner), user=other, banned_by=owner)
    room.refresh_from_db()
    client = admin_client()
    pages = {
        f"/admin/rooms/room/{room.id}/change/": ["created_by", "last_message"],
        f"/admin/rooms/roommember/{RoomMember.objects.get(room=room, user=other).id}/change/": ["room", "user"],
        f"/admin/rooms/roomban/{RoomBan.objects.get(user=other).id}/change/": ["room", "user", "banned_by"],
        "/admin/rooms/roomban/add/": ["room", "user"],
        f"/admin/messaging/message/{message.id}/change/": ["room", "sender"],
        f"/admin/messaging/reaction/{Reaction.objects.get().id}/change/": ["message", "user"],
    }
    for url, fields in pages.items():
        html = client.get(url).content.decode()
        for field in fields:
            assert not re.search(rf'<select[^>]*name="{field}"', html), f"{url}: {field} is a <select>"
    assert re.search(
        r'<input[^>]*name="room"[^>]*class="vForeignKeyRawIdAdminField',
        client.get("/admin/rooms/roomban/add/").content.decode(),
    )


def test_counters_the_app_keeps_are_not_editable() -> None:
    owner = make_user()
    room = make_room(creator=owner)
    make_messages(room, owner, 3)
    client = admin_client()
    room_page = client.get(f"/admin/rooms/room/{room.id}/change/").content.decode()
    member_page = client.get(f"/admin/rooms/roommember/{RoomMember.objects.get(room=room).id}/change/").content.decode()
    other = make_user()
    make_room(creator=owner, members=(other,))  # a direct message needs a room in common
    direct_room, _ = open_direct_room(user=owner, other_user_id=other.id)
    direct_page = client.get(f"/admin/rooms/room/{direct_room.id}/change/").content.decode()

    for field in ("message_seq", "last_message", "direct_key", "is_direct", "invite_code"):
        assert f'name="{field}"' not in room_page + direct_page, field
    assert str(direct_room.direct_key) in direct_page  # shown, not editable
    for field in ("last_read_message_id", "read_seq", "role", "room", "user"):
        assert f'name="{field}"' not in member_page, field
    response = client.post(
        f"/admin/rooms/room/{room.id}/change/", {"name": "renamed", "created_by": owner.id, "message_seq": "999"}
    )
    assert response.status_code == 302, response.content[:3000]
    room.refresh_from_db()
    assert room.name == "renamed" and room.message_seq == 3


def test_messages_filter_by_room_sender_and_date_and_search_by_sender_email() -> None:
    alice, bob = make_user(name="Alice"), make_user(name="Bob")
    room, other_room = make_room(creator=alice, members=(bob,)), make_room(creator=alice)
    make_messages(room, alice, 2, prefix="alice-in-room")
    make_messages(room, bob, 2, prefix="bob-in-room")
    make_messages(other_room, alice, 2, prefix="alice-elsewhere")
    client = admin_client()

    def listed(query: str) -> set[str]:
        html = client.get(f"/admin/messaging/message/?{query}").content.decode()
        return set(re.findall(r"(alice-in-room|bob-in-room|alice-elsewhere) \d", html))

    assert listed(f"room_id={room.id}") == {"alice-in-room", "bob-in-room"}
    assert listed(f"room_id={room.id}&sender_id={bob.id}") == {"bob-in-room"}
    assert listed(f"q={alice.email}") == {"alice-in-room", "alice-elsewhere"}
    assert listed("created_at__gte=2000-01-01+00:00:00%2B00:00&created_at__lt=2000-01-02+00:00:00%2B00:00") == set()
    assert listed("room_id=not-a-number") == set()
    page = client.get(f"/admin/messaging/message/?room_id={room.id}").content.decode()
    assert f'value="{room.id}"' in page  # the filter box shows what is filtered


def test_users_are_found_by_email_or_name() -> None:
    make_user(name="Zed Findable")
    make_user(name="Someone Else")
    client = admin_client()

    assert b"Zed Findable" in client.get("/admin/accounts/user/?q=findable").content
    assert b"Someone Else" not in client.get("/admin/accounts/user/?q=findable").content


def test_deleting_a_message_in_the_admin_leaves_a_tombstone_not_a_gap() -> None:
    owner, member = make_user(), make_user()
    room = make_room(creator=owner, members=(member,))
    first, last = make_messages(room, member, 2)
    react(user=owner, message_id=last.id, emoji="🎉", add=True)
    client = admin_client()

    page = action(client, "/admin/messaging/message/", "delete_as_moderator", last.id)

    assert "Messages deleted: 1." in page
    last.refresh_from_db()
    assert last.content == "" and last.deleted_at is not None and last.reactions == {}
    assert not Reaction.objects.filter(message=last).exists()
    history = client_for(member).get(f"/api/rooms/{room.id}/messages").json()["messages"]
    assert [m["id"] for m in history] == [last.id, first.id]
    assert Room.objects.get(id=room.id).last_message_id == last.id
    again = action(client, "/admin/messaging/message/", "delete_as_moderator", last.id)
    assert "message_deleted" in again  # a tombstone is reported, not deleted twice


def test_the_admin_offers_no_hard_delete_of_messages_members_or_users() -> None:
    owner = make_user()
    room = make_room(creator=owner)
    (message,) = make_messages(room, owner, 1)
    client = admin_client()

    for changelist in ("/admin/messaging/message/", "/admin/rooms/roommember/", "/admin/accounts/user/"):
        assert 'value="delete_selected"' not in client.get(changelist).content.decode(), changelist
    assert client.get(f"/admin/messaging/message/{message.id}/delete/").status_code == 403
    assert Message.objects.filter(id=message.id).exists()


def test_removing_a_member_in_the_admin_hands_on_ownership() -> None:
    owner, member = make_user(), make_user()
    room = make_room(creator=owner, members=(member,))
    client = admin_client()
    membership = RoomMember.objects.get(room=room, user=owner)

    page = action(client, "/admin/rooms/roommember/", "remove_from_room", membership.id)

    assert "Members removed: 1." in page
    assert not RoomMember.objects.filter(room=room, user=owner).exists()
    assert RoomMember.objects.get(room=room, user=member).role == RoomMember.Role.OWNER


def test_banning_in_the_admin_removes_the_member_and_keeps_them_out() -> None:
    owner, member = make_user(), make_user()
    room = make_room(creator=owner, members=(member,))
    client = admin_client()

    page = action(client, "/admin/rooms/roommember/", "ban_from_room", RoomMember.objects.get(user=member).id)

    assert "Members banned: 1." in page
    assert not RoomMember.objects.filter(room=room, user=member).exists()
    assert client_for(member).post(f"/api/rooms/{room.id}/join", {}, format="json").json()["error"]["code"] == "banned"


def test_a_ban_added_in_the_admin_form_removes_the_member_first() -> None:
    owner, member = make_user(), make_user()
    room = make_room(creator=owner, members=(member,))
    client = admin_client()

    response = client.post("/admin/rooms/roomban/add/", {"room": room.id, "user": member.id})

    assert response.status_code == 302, response.content[:3000]
    ban = RoomBan.objects.get(room=room, user=member)
    assert ban.banned_by is not None and ban.banned_by.is_staff
    assert not RoomMember.objects.filter(room=room, user=member).exists()


def test_deactivating_in_the_admin_ends_the_users_tokens() -> None:
    user = make_user()
    api = client_for(user)
    assert api.get("/api/users/me").status_code == 200
    client = admin_client()

    page = action(client, "/admin/accounts/user/", "deactivate", user.id)

    assert "Users deactivated: 1." in page
    assert not User.objects.get(id=user.id).is_active
    assert api.get("/api/users/me").json()["error"]["code"] == "invalid_token"
    assert 'name="is_active"' not in client.get(f"/admin/accounts/user/{user.id}/change/").content.decode()


def test_only_staff_moderate_through_the_staff_services() -> None:
    owner, member = make_user(), make_user()
    room = make_room(creator=owner, members=(member,))
    (message,) = make_messages(room, owner, 1)

    with pytest.raises(Forbidden):
        moderate_delete_message(moderator=owner, message_id=message.id)
    with pytest.raises(Forbidden):
        staff_remove_member(moderator=owner, room_id=room.id, user_id=member.id)
    with pytest.raises(Forbidden):
        staff_ban(moderator=owner, room_id=room.id, user_id=member.id)


def test_direct_rooms_are_not_moderated_from_the_admin_either() -> None:
    staff = User.objects.create_superuser(f"staff-{make_user().id}@example.com", "staff-password")
    alice, bob = make_user(), make_user()
    make_room(creator=alice, members=(bob,))  # a direct message needs a room in common
    direct_room, _ = open_direct_room(user=alice, other_user_id=bob.id)

    with pytest.raises(DirectRoom):
        staff_remove_member(moderator=staff, room_id=direct_room.id, user_id=bob.id)
    assert (
        "Direct-message rooms"
        in admin_client().post("/admin/rooms/roomban/add/", {"room": direct_room.id, "user": bob.id}).content.decode()
    )
