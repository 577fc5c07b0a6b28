"""The admin in a real browser (tests/browser/admin.test.mjs): a moderator's actions reach the room's sockets live,
because they go through the same services as the API and publish after commit."""

import asyncio

import pytest

from accounts.models import User
from messaging.models import Message
from rooms.models import RoomMember
from tests.support import make_messages, make_room, make_user, run_browser_test, token_for
from tests.support.socketio_client import connected

ADMIN_PASSWORD = "admin-password-for-the-browser"


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
async def test_moderator_deletes_removes_and_deactivates_in_the_admin_and_the_room_sees_it_live(
    live_server_url: str,
) -> None:
    admin = await asyncio.to_thread(
        User.objects.create_superuser, f"moderator-{id(object())}@example.com", ADMIN_PASSWORD, name="Mod"
    )
    owner, member = await asyncio.to_thread(make_user), await asyncio.to_thread(make_user)
    room = await asyncio.to_thread(make_room, creator=owner, members=(member,), name="moderated")
    messages = await asyncio.to_thread(make_messages, room, member, 3, prefix="spam")
    target = messages[1]
    member_socket = await connected(live_server_url, token_for(member))
    owner_socket = await connected(live_server_url, token_for(owner))
    for socket in (member_socket, owner_socket):
        assert (await socket.call("join_room", {"roomId": room.id}))["ok"]
    try:
        await asyncio.to_thread(
            run_browser_test,
            "admin.test.mjs",
            server_url=live_server_url,
            env={
                "ADMIN_EMAIL": admin.email,
                "ADMIN_PASSWORD": ADMIN_PASSWORD,
                "ROOM_ID": str(room.id),
                "MESSAGE_COUNT": str(len(messages)),
                "MESSAGE_TEXT": target.content,
                "MEMBER_EMAIL": member.email,
            },
        )

        deleted = await owner_socket.wait_for("message_deleted")
        assert deleted["id"] == target.id and deleted["content"] == "" and deleted["deletedAt"]
        left = await owner_socket.wait_for("member_left")
        assert left == {"roomId": room.id, "userId": member.id, "reason": "removed"}
        await member_socket.wait_for("member_left")  # the removed member is told too
    finally:
        await member_socket.disconnect()
        await owner_socket.disconnect()
    stored = await Message.objects.aget(id=target.id)
    assert stored.deleted_at is not None
    assert not await RoomMember.objects.filter(room=room, user=member).aexists()
    assert not (await User.objects.aget(id=member.id)).is_active
