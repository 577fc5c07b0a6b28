"""Two server processes on one Redis: fan-out, presence and the rate limit hold across them."""

import asyncio
import os
import time

import pytest

from messaging.models import Message
from tests.support import ServerProcess, make_room, make_user, manage, token_for
from tests.support.socketio_client import connected, http

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]


def test_a_client_on_one_process_receives_what_a_client_on_the_other_sends(
    redis_servers: list[ServerProcess],
) -> None:
    one, two = redis_servers
    sender, listener = make_user(), make_user()
    room = make_room(creator=sender, members=(listener,))

    async def scenario() -> None:
        a = await connected(one.url, token_for(sender))
        b = await connected(two.url, token_for(listener))
        for peer in (a, b):
            await peer.call("join_room", {"roomId": room.id})
        ack = await a.call("send_message", {"roomId": room.id, "content": "across processes"})
        assert await b.wait_for("receive_message") == ack["message"]
        await a.call("typing", {"roomId": room.id, "isTyping": True})
        assert (await b.wait_for("typing"))["userId"] == sender.id
        await asyncio.sleep(0.2)
        assert a.received("typing") == []
        await a.disconnect()
        await b.disconnect()

    asyncio.run(scenario())


def test_presence_holds_across_processes(redis_servers: list[ServerProcess]) -> None:
    one, two = redis_servers
    user, friend = make_user(), make_user()
    make_room(creator=friend, members=(user,))

    async def scenario() -> None:
        watcher = await connected(one.url, token_for(friend))
        tab_one = await connected(one.url, token_for(user))
        await watcher.wait_for("user_status", lambda e: e["userId"] == user.id and e["status"] == "online")
        tab_two = await connected(two.url, token_for(user))
        await tab_one.disconnect()
        await asyncio.sleep(0.5)
        assert [e["status"] for e in watcher.received("user_status", lambda e: e["userId"] == user.id)] == ["online"]
        await tab_two.disconnect()
        offline = await watcher.wait_for("user_status", lambda e: e["userId"] == user.id and e["status"] == "offline")
        assert offline["lastSeen"]
        await watcher.disconnect()

    asyncio.run(scenario())


def test_the_rate_limit_holds_across_processes(redis_servers: list[ServerProcess]) -> None:
    one, two = redis_servers
    user = make_user()
    room = make_room(creator=user)
    token = token_for(user)

    async def scenario() -> list[bool]:
        a = await connected(one.url, token)
        b = await connected(two.url, token)
        results = []
        for i in range(6):
            peer = a if i % 2 == 0 else b
            ack = await peer.call("send_message", {"roomId": room.id, "content": f"r{i}"})
            results.append(ack["ok"])
        await a.disconnect()
        await b.disconnect()
        return results

    started = time.monotonic()
    results = asyncio.run(scenario())
    assert time.monotonic() - started < 1.0, "the burst must fit in the test server's 1 s window"
    assert results == [True] * 5 + [False]
    assert Message.objects.filter(room=room).count() == 5


def test_a_killed_process_users_go_offline_within_bounded_time(redis_servers: list[ServerProcess]) -> None:
    one, two = redis_servers
    user, friend = make_user(), make_user()
    make_room(creator=friend, members=(user,))

    async def scenario() -> float:
        watcher = await connected(one.url, token_for(friend))
        victim = await connected(two.url, token_for(user))
        await watcher.wait_for("user_status", lambda e: e["userId"] == user.id and e["status"] == "online")
        two.kill()  # no disconnect handler runs
        killed_at = time.monotonic()
        await watcher.wait_for("user_status", lambda e: e["userId"] == user.id and e["status"] == "offline", timeout=10)
        elapsed = time.monotonic() - killed_at
        await victim.disconnect()
        await watcher.disconnect()
        return elapsed

    elapsed = asyncio.run(scenario())
    # PRESENCE_TTL_MS is 1.5 s and the heartbeat 0.3 s on the test servers.
    assert elapsed < 4, f"offline came {elapsed:.1f}s after the kill"
    user.refresh_from_db()
    assert user.last_seen is not None


def test_a_management_command_delivers_through_redis(redis_servers: list[ServerProcess]) -> None:
    one, two = redis_servers
    sender, listener = make_user(), make_user()
    room = make_room(creator=sender, members=(listener,))

    async def scenario() -> None:
        a = await connected(one.url, token_for(listener))
        b = await connected(two.url, token_for(listener))
        for peer in (a, b):
            await peer.call("join_room", {"roomId": room.id})
        command = ("post_message", "--room", str(room.id), "--user", sender.email, "hi all")
        result = await asyncio.to_thread(manage, *command, env={**os.environ, **one.env})
        assert result.returncode == 0, result.stderr
        for peer in (a, b):
            assert (await peer.wait_for("receive_message"))["content"] == "hi all"
            await peer.disconnect()

    asyncio.run(scenario())


def test_a_member_removed_on_one_process_leaves_the_room_on_the_other(redis_servers: list[ServerProcess]) -> None:
    one, two = redis_servers
    owner, member = make_user(), make_user()
    room = make_room(creator=owner, members=(member,))

    async def scenario() -> None:
        moderator = await connected(one.url, token_for(owner))
        target = await connected(two.url, token_for(member))
        for peer in (moderator, target):
            await peer.call("join_room", {"roomId": room.id})
        url = f"{one.url}/api/rooms/{room.id}/members/{member.id}"
        status, _ = await asyncio.to_thread(http, "DELETE", url, token=token_for(owner))
        assert status == 204
        assert (await target.wait_for("member_left"))["reason"] == "removed"
        await moderator.call("send_message", {"roomId": room.id, "content": "after removal"})
        await moderator.wait_for("receive_message")
        await asyncio.sleep(0.5)
        assert target.received("receive_message") == []
        typing = await target.call("typing", {"roomId": room.id, "isTyping": True})
        assert typing["ok"] is False and typing["error"]["code"] == "not_room_member"
        await moderator.disconnect()
        await target.disconnect()

    asyncio.run(scenario())


def test_a_member_banned_from_a_shell_leaves_the_room_live_and_can_no_longer_send(
    redis_servers: list[ServerProcess],
) -> None:
    one, two = redis_servers
    owner, member = make_user(), make_user()
    room = make_room(creator=owner, members=(member,))
    ban = (
        "from accounts.models import User; from rooms.moderation import ban_member; "
        f"ban_member(actor=User.objects.get(id={owner.id}), room_id={room.id}, user_id={member.id})"
    )

    async def scenario() -> None:
        watcher = await connected(one.url, token_for(owner))
        target = await connected(two.url, token_for(member))
        for peer in (watcher, target):
            await peer.call("join_room", {"roomId": room.id})
        result = await asyncio.to_thread(manage, "shell", "-c", ban, env={**os.environ, **one.env})
        assert result.returncode == 0, result.stderr
        assert (await target.wait_for("member_left"))["reason"] == "banned"
        refused = await target.call("send_message", {"roomId": room.id, "content": "still here?"})
        assert refused["ok"] is False
        await watcher.call("send_message", {"roomId": room.id, "content": "after the ban"})
        await watcher.wait_for("receive_message", lambda m: m["content"] == "after the ban")
        await asyncio.sleep(0.5)
        assert [m["content"] for m in target.received("receive_message")] == []
        await watcher.disconnect()
        await target.disconnect()

    asyncio.run(scenario())
    assert not Message.objects.filter(room=room, content="still here?").exists()
