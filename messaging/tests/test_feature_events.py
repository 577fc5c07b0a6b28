"""The live side of members, leaving, moderation, read state, edits, reactions and profiles: what a second client
sees, against a real server process."""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from rooms.models import RoomMember
from tests.support import make_messages, make_room, make_user, token_for
from tests.support.socketio_client import Peer, connected, http

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


async def close(*peers: Peer) -> None:
    for peer in peers:
        await peer.disconnect()


async def still_silent(peer: Peer, event: str, where: Callable[[Any], bool] = lambda _: True) -> None:
    """Give the server time to (wrongly) deliver, then check nothing matching arrived."""
    await asyncio.sleep(0.4)
    assert peer.received(event, where) == []


# Members joining and leaving


def test_co_members_see_member_joined_by_rest_and_by_socket(live_server_url: str) -> None:
    owner, by_rest, by_socket = make_user(), make_user(name="Rita"), make_user(name="Sam")
    room = make_room(creator=owner)

    async def scenario() -> None:
        watcher = await connected(live_server_url, token_for(owner))
        await watcher.call("join_room", {"roomId": room.id})
        status, _ = await asyncio.to_thread(
            http, "POST", f"{live_server_url}/api/rooms/{room.id}/join", token=token_for(by_rest), body={}
        )
        assert status == 200
        joined = await watcher.wait_for("member_joined", lambda e: e["userId"] == by_rest.id)
        assert joined == {"roomId": room.id, "userId": by_rest.id, "name": "Rita", "role": "member"}
        socket_user = await connected(live_server_url, token_for(by_socket))
        assert (await socket_user.call("join_room", {"roomId": room.id}))["ok"] is True
        await watcher.wait_for("member_joined", lambda e: e["userId"] == by_socket.id and e["name"] == "Sam")
        await close(watcher, socket_user)

    run(scenario)


def test_leave_room_with_leave_true_ends_membership_and_unsubscribes_every_tab(live_server_url: str) -> None:
    owner, member = make_user(), make_user()
    room = make_room(creator=owner, members=(member,))

    async def scenario() -> None:
        watcher = await connected(live_server_url, token_for(owner))
        tab_one = await connected(live_server_url, token_for(member))
        tab_two = await connected(live_server_url, token_for(member))
        for peer in (watcher, tab_one, tab_two):
            await peer.call("join_room", {"roomId": room.id})

        ack = await tab_one.call("leave_room", {"roomId": room.id, "leave": True})

        assert ack == {"ok": True, "roomId": room.id}
        left = await watcher.wait_for("member_left")
        assert left == {"roomId": room.id, "userId": member.id, "reason": "left"}
        await tab_two.wait_for("member_left")
        await watcher.call("send_message", {"roomId": room.id, "content": "after you left"})
        await watcher.wait_for("receive_message")
        await still_silent(tab_two, "receive_message")
        typing = await tab_two.call("typing", {"roomId": room.id, "isTyping": True})
        assert typing["ok"] is False and typing["error"]["code"] == "not_room_member"
        again = await tab_one.call("leave_room", {"roomId": room.id, "leave": True})
        assert again["ok"] is False and again["error"]["code"] == "not_room_member"
        await close(watcher, tab_one, tab_two)

    run(scenario)
    assert not RoomMember.objects.filter(room=room, user=member).exists()


def test_leave_room_without_leave_keeps_membership_and_bad_leave_is_refused(live_server_url: str) -> None:
    member = make_user()
    room = make_room(members=(member,))

    async def scenario() -> None:
        peer = await connected(live_server_url, token_for(member))
        await peer.call("join_room", {"roomId": room.id})
        assert (await peer.call("leave_room", {"roomId": room.id})) == {"ok": True, "roomId": room.id}
        bad = await peer.call("leave_room", {"roomId": room.id, "leave": "yes"})
        assert bad["ok"] is False and bad["error"]["code"] == "validation_error"
        await close(peer)

    run(scenario)
    assert RoomMember.objects.filter(room=room, user=member).exists()


def test_the_last_owner_leaving_announces_the_new_owner(live_server_url: str) -> None:
    owner, heir = make_user(), make_user()
    room = make_room(creator=owner, members=(heir,))

    async def scenario() -> None:
        leaver = await connected(live_server_url, token_for(owner))
        watcher = await connected(live_server_url, token_for(heir))
        await watcher.call("join_room", {"roomId": room.id})
        assert (await leaver.call("leave_room", {"roomId": room.id, "leave": True}))["ok"] is True
        updated = await watcher.wait_for("member_updated")
        assert updated["userId"] == heir.id and updated["role"] == "owner"
        await close(leaver, watcher)

    run(scenario)


# Moderation


@pytest.mark.parametrize("action", ["remove", "ban"])
def test_a_removed_or_banned_member_s_connections_leave_the_room_at_once(live_server_url: str, action: str) -> None:
    owner, member = make_user(), make_user()
    room = make_room(creator=owner, members=(member,))

    async def scenario() -> None:
        moderator = await connected(live_server_url, token_for(owner))
        target = await connected(live_server_url, token_for(member))
        for peer in (moderator, target):
            await peer.call("join_room", {"roomId": room.id})
        method, path = ("DELETE", "members") if action == "remove" else ("PUT", "bans")
        status, _ = await asyncio.to_thread(
            http, method, f"{live_server_url}/api/rooms/{room.id}/{path}/{member.id}", token=token_for(owner)
        )
        assert status in (200, 204)

        reason = "removed" if action == "remove" else "banned"
        notice = await target.wait_for("member_left")
        assert notice == {"roomId": room.id, "userId": member.id, "reason": reason}
        await moderator.wait_for("member_left")
        await moderator.call("send_message", {"roomId": room.id, "content": "you are out"})
        await still_silent(target, "receive_message")
        rejoin = await target.call("join_room", {"roomId": room.id})
        if action == "ban":
            assert rejoin["ok"] is False and rejoin["error"]["code"] == "banned"
        else:
            assert rejoin["ok"] is True  # a public room: removal is not a ban
        await close(moderator, target)

    run(scenario)


def test_members_see_room_updated_when_renamed_or_the_code_rotates(live_server_url: str) -> None:
    owner, member = make_user(), make_user()
    room = make_room(creator=owner, members=(member,))

    async def scenario() -> None:
        watcher = await connected(live_server_url, token_for(member))
        await watcher.call("join_room", {"roomId": room.id})
        url = f"{live_server_url}/api/rooms/{room.id}"
        status, _ = await asyncio.to_thread(http, "PATCH", url, token=token_for(owner), body={"name": "Renamed"})
        assert status == 200
        assert (await watcher.wait_for("room_updated"))["room"]["name"] == "Renamed"
        status, rotated = await asyncio.to_thread(http, "POST", f"{url}/invite-code", token=token_for(owner))
        assert status == 200
        await watcher.wait_for("room_updated", lambda e: e["room"]["inviteCode"] == rotated["inviteCode"])
        status, _ = await asyncio.to_thread(http, "PATCH", url, token=token_for(member), body={"name": "Mine"})
        assert status == 403
        await close(watcher)

    run(scenario)


# Read state


def test_mark_read_acks_and_co_members_see_a_read_receipt(live_server_url: str) -> None:
    reader, friend, stranger = make_user(), make_user(), make_user()
    room = make_room(creator=friend, members=(reader,))
    messages = make_messages(room, friend, 3)

    async def scenario() -> None:
        me = await connected(live_server_url, token_for(reader))
        them = await connected(live_server_url, token_for(friend))
        outsider = await connected(live_server_url, token_for(stranger))
        for peer in (me, them):
            await peer.call("join_room", {"roomId": room.id})

        ack = await me.call("mark_read", {"roomId": room.id, "messageId": messages[1].id})

        assert ack == {"ok": True, "roomId": room.id, "lastReadMessageId": messages[1].id}
        receipt = await them.wait_for("read_receipt")
        assert receipt == {"roomId": room.id, "userId": reader.id, "messageId": messages[1].id}
        status, body = await asyncio.to_thread(
            http,
            "POST",
            f"{live_server_url}/api/rooms/{room.id}/read",
            token=token_for(reader),
            body={"messageId": messages[2].id},
        )
        assert status == 200 and body["lastReadMessageId"] == messages[2].id
        await them.wait_for("read_receipt", lambda e: e["messageId"] == messages[2].id)
        stale = await me.call("mark_read", {"roomId": room.id, "messageId": messages[0].id})
        assert stale["lastReadMessageId"] == messages[2].id
        await still_silent(them, "read_receipt", lambda e: e["messageId"] == messages[0].id)

        refused = await outsider.call("mark_read", {"roomId": room.id, "messageId": messages[0].id})
        assert refused["ok"] is False and refused["error"]["code"] == "not_room_member"
        unknown = await me.call("mark_read", {"roomId": room.id, "messageId": 999999})
        assert unknown["ok"] is False and unknown["error"]["code"] == "message_not_found"
        invalid = await me.call("mark_read", {"roomId": room.id})
        assert invalid["ok"] is False and invalid["error"]["code"] == "validation_error"
        await close(me, them, outsider)

    run(scenario)


# Edits, deletes, reactions


def test_a_second_client_sees_edits_reactions_and_deletes(live_server_url: str) -> None:
    sender, watcher_user = make_user(), make_user()
    room = make_room(creator=watcher_user, members=(sender,))

    async def scenario() -> None:
        author = await connected(live_server_url, token_for(sender))
        watcher = await connected(live_server_url, token_for(watcher_user))
        for peer in (author, watcher):
            await peer.call("join_room", {"roomId": room.id})
        message = (await author.call("send_message", {"roomId": room.id, "content": "draft"}))["message"]
        assert message["editedAt"] is None and message["reactions"] == {}
        base = f"{live_server_url}/api/messages/{message['id']}"
        token = token_for(sender)

        status, _ = await asyncio.to_thread(http, "PATCH", base, token=token, body={"content": "final"})
        assert status == 200
        updated = await watcher.wait_for("message_updated")
        assert updated["id"] == message["id"] and updated["content"] == "final" and updated["editedAt"]

        status, _ = await asyncio.to_thread(
            http, "POST", f"{base}/reactions", token=token_for(watcher_user), body={"emoji": "🎉"}
        )
        assert status == 200
        reaction = await author.wait_for("reaction_updated")
        assert reaction == {
            "roomId": room.id,
            "messageId": message["id"],
            "userId": watcher_user.id,
            "emoji": "🎉",
            "added": True,
            "reactions": {"🎉": 1},
        }

        status, _ = await asyncio.to_thread(http, "DELETE", base, token=token)
        assert status == 200
        deleted = await watcher.wait_for("message_deleted")
        assert deleted["id"] == message["id"] and deleted["content"] == "" and deleted["deletedAt"]
        status, body = await asyncio.to_thread(http, "PATCH", base, token=token, body={"content": "again"})
        assert status == 409 and body["error"]["code"] == "message_deleted"
        await still_silent(watcher, "message_updated", lambda e: e["content"] == "again")
        await close(author, watcher)

    run(scenario)


# Profiles


def test_co_members_see_user_updated_when_i_rename_myself(live_server_url: str) -> None:
    me, friend, stranger = make_user(), make_user(), make_user()
    make_room(creator=friend, members=(me,))

    async def scenario() -> None:
        watcher = await connected(live_server_url, token_for(friend))
        outsider = await connected(live_server_url, token_for(stranger))
        status, _ = await asyncio.to_thread(
            http, "PATCH", f"{live_server_url}/api/users/me", token=token_for(me), body={"name": "Neo"}
        )
        assert status == 200
        assert await watcher.wait_for("user_updated") == {"userId": me.id, "name": "Neo"}
        await still_silent(outsider, "user_updated")
        await close(watcher, outsider)

    run(scenario)
