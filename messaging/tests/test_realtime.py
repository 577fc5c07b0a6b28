"""Socket.IO events against a real server process, with real python-socketio clients."""

import asyncio
import time
import urllib.request
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import jwt
import pytest
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from messaging.models import Message
from rooms.models import RoomMember
from tests.support import MESSAGE_FIELDS, make_room, make_user, token_for
from tests.support.socketio_client import Peer, connected, http

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


async def close(*peers: Peer) -> None:
    for peer in peers:
        await peer.disconnect()


# Handshake


@pytest.mark.parametrize("how", ["auth", "header", "query"])
def test_connects_with_a_token_from_auth_header_or_query(live_server_url: str, how: str) -> None:
    token = token_for(make_user())

    async def scenario() -> None:
        peer = Peer(live_server_url)
        if how == "auth":
            await peer.connect(token)
        elif how == "header":
            await peer.connect(headers={"Authorization": f"Bearer {token}"})
        else:
            await peer.connect(token, query_token=True)
        assert peer.client.connected
        await close(peer)

    run(scenario)


def test_connects_over_polling_then_upgrades(live_server_url: str) -> None:
    token = token_for(make_user())

    async def scenario() -> None:
        peer = await connected(live_server_url, token, transports=["polling", "websocket"])
        assert peer.client.connected
        await close(peer)

    run(scenario)


def _expired_token(user: User) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    return str(token)


@pytest.mark.parametrize(
    ("token_kind", "code"),
    [
        ("missing", "not_authenticated"),
        ("garbage", "invalid_token"),
        ("forged", "invalid_token"),
        ("expired", "invalid_token"),
        ("refresh", "invalid_token"),
        ("alg_none", "invalid_token"),
        ("deleted_user", "invalid_token"),
    ],
)
def test_bad_tokens_are_refused_with_a_message(live_server_url: str, token_kind: str, code: str) -> None:
    user, deleted = make_user(), make_user()
    tokens = {
        "missing": None,
        "garbage": "not-a-jwt",
        "forged": token_for(user)[:-4] + "AAAA",
        "expired": _expired_token(user),
        "refresh": str(RefreshToken.for_user(user)),
        "deleted_user": token_for(deleted),
        "alg_none": jwt.encode({**AccessToken.for_user(user).payload}, key="", algorithm="none"),
    }
    deleted.delete()

    async def scenario() -> None:
        peer = Peer(live_server_url)
        with pytest.raises(Exception):  # noqa: B017 - the client raises socketio.exceptions.ConnectionError
            await peer.connect(tokens[token_kind])
        assert not peer.client.connected
        # What socket.io-client shows as err.message and err.data.
        assert peer.connect_error["message"]
        assert peer.connect_error["data"]["code"] == code

    run(scenario)


# join_room / leave_room


def test_join_public_room_subscribes_and_makes_member(live_server_url: str) -> None:
    owner, user = make_user(), make_user()
    room = make_room(creator=owner)

    async def scenario() -> None:
        peer = await connected(live_server_url, token_for(user))
        ack = await peer.call("join_room", {"roomId": room.id})
        assert ack["ok"] is True
        assert ack["room"]["id"] == room.id and ack["room"]["isPrivate"] is False
        await close(peer)

    run(scenario)
    assert RoomMember.objects.filter(room=room, user=user).exists()


def test_join_private_room_needs_membership(live_server_url: str) -> None:
    owner, member, outsider = make_user(), make_user(), make_user()
    room = make_room(creator=owner, private=True, members=(member,))

    async def scenario() -> None:
        member_peer = await connected(live_server_url, token_for(member))
        outsider_peer = await connected(live_server_url, token_for(outsider))
        assert (await member_peer.call("join_room", {"roomId": room.id}))["ok"] is True
        refused = await outsider_peer.call("join_room", {"roomId": room.id})
        assert refused == {"ok": False, "error": {"code": "room_not_found", "message": refused["error"]["message"]}}
        # The outsider receives nothing of the room.
        await member_peer.call("send_message", {"roomId": room.id, "content": "secret"})
        await member_peer.call("typing", {"roomId": room.id, "isTyping": True})
        await asyncio.sleep(0.3)
        assert outsider_peer.received("receive_message") == []
        assert outsider_peer.received("typing") == []
        await close(member_peer, outsider_peer)

    run(scenario)
    assert not RoomMember.objects.filter(room=room, user=outsider).exists()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"roomId": 999_999_999}, "room_not_found"),
        ({"roomId": "abc"}, "validation_error"),
        ({"roomId": True}, "validation_error"),
        ({"roomId": -1}, "validation_error"),
        ({}, "validation_error"),
        (None, "validation_error"),
        ("room", "validation_error"),
        ([1, 2], "validation_error"),
    ],
)
def test_join_room_refuses_bad_payloads(live_server_url: str, payload: object, code: str) -> None:
    token = token_for(make_user())

    async def scenario() -> None:
        peer = await connected(live_server_url, token)
        ack = await peer.call("join_room", payload)
        assert ack["ok"] is False
        assert ack["error"]["code"] == code
        assert peer.client.connected
        await close(peer)

    run(scenario)


def test_leave_room_stops_delivery(live_server_url: str) -> None:
    sender, listener = make_user(), make_user()
    room = make_room(creator=sender, members=(listener,))

    async def scenario() -> None:
        a = await connected(live_server_url, token_for(sender))
        b = await connected(live_server_url, token_for(listener))
        for peer in (a, b):
            await peer.call("join_room", {"roomId": room.id})
        assert await b.call("leave_room", {"roomId": room.id}) == {"ok": True, "roomId": room.id}
        await a.call("send_message", {"roomId": room.id, "content": "after leave"})
        await a.wait_for("receive_message")
        await asyncio.sleep(0.2)
        assert b.received("receive_message") == []
        await close(a, b)

    run(scenario)


# send_message


def test_send_message_is_stored_acked_and_delivered_to_everyone_in_the_room(live_server_url: str) -> None:
    sender, listener, outsider = make_user(), make_user(), make_user()
    room = make_room(creator=sender, members=(listener, outsider))

    async def scenario() -> None:
        a = await connected(live_server_url, token_for(sender))
        b = await connected(live_server_url, token_for(listener))
        c = await connected(live_server_url, token_for(outsider))  # a member, not subscribed
        for peer in (a, b):
            await peer.call("join_room", {"roomId": room.id})
        ack = await a.call("send_message", {"roomId": room.id, "content": "  hello 👋\x00 "})
        assert ack["ok"] is True
        message = ack["message"]
        assert set(message) == MESSAGE_FIELDS
        assert message["content"] == "hello 👋" and message["roomId"] == room.id and message["senderId"] == sender.id
        assert message["createdAt"].endswith("Z")
        assert await a.wait_for("receive_message") == message
        assert await b.wait_for("receive_message") == message
        await asyncio.sleep(0.2)
        assert c.received("receive_message") == []
        await close(a, b, c)

    run(scenario)
    stored = Message.objects.get()
    assert (stored.room_id, stored.sender_id, stored.content) == (room.id, sender.id, "hello 👋")


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"content": ""}, "validation_error"),
        ({"content": " \n\t "}, "validation_error"),
        ({"content": "\x00\x01"}, "validation_error"),
        ({"content": "x" * 4001}, "validation_error"),
        ({"content": 42}, "validation_error"),
        ({"content": None}, "validation_error"),
        ({"content": ["a"]}, "validation_error"),
        ({}, "validation_error"),
        ({"content": "hi", "roomId": "1e3"}, "validation_error"),
        ({"content": "hi", "roomId": 999_999_999}, "room_not_found"),
    ],
)
def test_send_message_refuses_bad_payloads_and_stores_nothing(
    live_server_url: str, payload: dict[str, object], code: str
) -> None:
    user = make_user()
    room = make_room(creator=user)

    async def scenario() -> None:
        peer = await connected(live_server_url, token_for(user))
        await peer.call("join_room", {"roomId": room.id})
        ack = await peer.call("send_message", {"roomId": room.id, **payload})
        assert ack["ok"] is False
        assert ack["error"]["code"] == code and ack["error"]["message"]
        await asyncio.sleep(0.1)
        assert peer.received("receive_message") == []
        await close(peer)

    run(scenario)
    assert Message.objects.count() == 0


def test_four_thousand_characters_and_emoji_round_trip(live_server_url: str) -> None:
    user = make_user()
    room = make_room(creator=user)
    content = ("😀é\n\t" * 1000)[:4000]

    async def scenario() -> None:
        peer = await connected(live_server_url, token_for(user))
        await peer.call("join_room", {"roomId": room.id})
        ack = await peer.call("send_message", {"roomId": room.id, "content": content})
        assert ack["ok"] is True and ack["message"]["content"] == content.strip()
        await close(peer)

    run(scenario)
    assert Message.objects.get().content == content.strip()


def test_non_member_cannot_send_to_a_room(live_server_url: str) -> None:
    owner, outsider = make_user(), make_user()
    public, private = make_room(creator=owner), make_room(creator=owner, private=True)

    async def scenario() -> None:
        peer = await connected(live_server_url, token_for(outsider))
        for room, code in ((public, "not_room_member"), (private, "room_not_found")):
            ack = await peer.call("send_message", {"roomId": room.id, "content": "let me in"})
            assert ack["ok"] is False and ack["error"]["code"] == code
        await close(peer)

    run(scenario)
    assert Message.objects.count() == 0


def test_failed_event_without_ack_gets_an_error_event(live_server_url: str) -> None:
    user = make_user()

    async def scenario() -> None:
        peer = await connected(live_server_url, token_for(user))
        await peer.emit("send_message", {"roomId": 999_999_999, "content": "x"})
        error = await peer.wait_for("error")
        assert error["code"] == "room_not_found" and error["event"] == "send_message" and error["message"]
        await peer.emit("join_room", "nonsense")
        error = await peer.wait_for("error", lambda e: e["event"] == "join_room")
        assert error["code"] == "validation_error"
        await close(peer)

    run(scenario)


def test_socket_sends_appear_in_rest_history_in_order_with_the_same_ids(live_server_url: str) -> None:
    user = make_user()
    room = make_room(creator=user)
    token = token_for(user)

    async def scenario() -> list[dict[str, object]]:
        peer = await connected(live_server_url, token)
        acked = [
            (await peer.call("send_message", {"roomId": room.id, "content": f"m{i}"}))["message"] for i in range(5)
        ]
        await close(peer)
        return acked

    acked = asyncio.run(scenario())
    status, page = http("GET", f"{live_server_url}/api/rooms/{room.id}/messages", token=token)
    assert status == 200
    assert page["messages"] == list(reversed(acked))
    assert [m["content"] for m in reversed(page["messages"])] == [f"m{i}" for i in range(5)]


def test_rest_send_is_delivered_to_the_room_sockets(live_server_url: str) -> None:
    sender, listener = make_user(), make_user()
    room = make_room(creator=sender, members=(listener,))

    async def scenario() -> None:
        peer = await connected(live_server_url, token_for(listener))
        await peer.call("join_room", {"roomId": room.id})
        status, message = await asyncio.to_thread(
            http,
            "POST",
            f"{live_server_url}/api/rooms/{room.id}/messages",
            token=token_for(sender),
            body={"content": "from REST"},
        )
        assert status == 201
        assert await peer.wait_for("receive_message") == message
        await close(peer)

    run(scenario)


# Rate limit (the test server allows 5 messages per 1 s per user per room)


def test_rate_limit_refuses_the_sixth_message_and_recovers_after_the_window(live_server_url: str) -> None:
    user, other = make_user(), make_user()
    room, second_room = make_room(creator=user, members=(other,)), make_room(creator=user)

    async def scenario() -> None:
        a = await connected(live_server_url, token_for(user))
        b = await connected(live_server_url, token_for(other))
        for peer in (a, b):
            await peer.call("join_room", {"roomId": room.id})
        started = time.monotonic()
        acks = [await a.call("send_message", {"roomId": room.id, "content": f"n{i}"}) for i in range(6)]
        assert time.monotonic() - started < 1.0, "the burst must fit in one window for this test to mean anything"
        assert [ack["ok"] for ack in acks] == [True] * 5 + [False]
        refused = acks[5]["error"]
        assert refused["code"] == "rate_limited" and 0 < refused["retryAfterMs"] <= 1000
        # Another room and another user are unaffected.
        assert (await a.call("send_message", {"roomId": second_room.id, "content": "elsewhere"}))["ok"] is True
        assert (await b.call("send_message", {"roomId": room.id, "content": "me too"}))["ok"] is True
        await asyncio.sleep(refused["retryAfterMs"] / 1000 + 0.05)
        assert (await a.call("send_message", {"roomId": room.id, "content": "again"}))["ok"] is True
        await asyncio.sleep(0.2)
        assert "n5" not in [m["content"] for m in b.received("receive_message")]
        await close(a, b)

    run(scenario)
    contents = list(Message.objects.filter(room=room, sender=user).values_list("content", flat=True))
    assert "n5" not in contents and len(contents) == 6


# typing


def test_typing_reaches_the_others_never_the_sender_and_clears_on_disconnect(live_server_url: str) -> None:
    typer, listener = make_user(), make_user()
    room = make_room(creator=typer, members=(listener,))

    async def scenario() -> None:
        a = await connected(live_server_url, token_for(typer))
        a2 = await connected(live_server_url, token_for(typer))  # the typer's second tab does not see it
        b = await connected(live_server_url, token_for(listener))
        for peer in (a, a2, b):
            await peer.call("join_room", {"roomId": room.id})
        assert await a.call("typing", {"roomId": room.id, "isTyping": True}) == {"ok": True}
        expected = {"roomId": room.id, "userId": typer.id, "isTyping": True}
        assert await b.wait_for("typing") == expected
        await a.disconnect()
        cleared = await b.wait_for("typing", lambda e: e["isTyping"] is False, timeout=2)
        assert cleared == {**expected, "isTyping": False}
        assert a.received("typing") == [] and a2.received("typing") == []
        await close(a2, b)

    run(scenario)


def test_typing_clears_itself_when_the_typer_goes_quiet(live_server_url: str) -> None:
    typer, listener = make_user(), make_user()
    room = make_room(creator=typer, members=(listener,))

    async def scenario() -> None:
        a = await connected(live_server_url, token_for(typer))
        b = await connected(live_server_url, token_for(listener))
        for peer in (a, b):
            await peer.call("join_room", {"roomId": room.id})
        await a.call("typing", {"roomId": room.id, "isTyping": True})
        started = time.monotonic()
        await b.wait_for("typing", lambda e: e["isTyping"] is False, timeout=3)
        assert 0.5 < time.monotonic() - started < 2.5  # the test server's TYPING_TIMEOUT_MS is 800
        await close(a, b)

    run(scenario)


@pytest.mark.parametrize("case", ["no_room", "string_flag", "number_flag", "no_flag", "not_an_object"])
def test_typing_refuses_bad_payloads(live_server_url: str, case: str) -> None:
    user = make_user()
    room = make_room(creator=user)
    payloads = {
        "no_room": {"isTyping": True},
        "string_flag": {"roomId": room.id, "isTyping": "yes"},
        "number_flag": {"roomId": room.id, "isTyping": 1},
        "no_flag": {"roomId": room.id},
        "not_an_object": None,
    }

    async def scenario() -> None:
        peer = await connected(live_server_url, token_for(user))
        ack = await peer.call("typing", payloads[case])
        assert ack["ok"] is False and ack["error"]["code"] == "validation_error"
        await close(peer)

    run(scenario)


def test_typing_in_a_private_room_needs_membership(live_server_url: str) -> None:
    owner, outsider = make_user(), make_user()
    room = make_room(creator=owner, private=True)

    async def scenario() -> None:
        peer = await connected(live_server_url, token_for(outsider))
        ack = await peer.call("typing", {"roomId": room.id, "isTyping": True})
        assert ack["ok"] is False and ack["error"]["code"] == "room_not_found"
        await close(peer)

    run(scenario)


# presence


def test_presence_goes_online_once_and_offline_after_the_last_tab(live_server_url: str) -> None:
    user, friend, stranger = make_user(), make_user(), make_user()
    make_room(creator=friend, members=(user,))

    async def scenario() -> None:
        f = await connected(live_server_url, token_for(friend))
        s = await connected(live_server_url, token_for(stranger))
        tab1 = await connected(live_server_url, token_for(user))
        assert await f.wait_for("user_status", lambda e: e["userId"] == user.id) == {
            "userId": user.id,
            "status": "online",
        }
        tab2 = await connected(live_server_url, token_for(user))
        await tab1.disconnect()
        await asyncio.sleep(0.3)
        statuses = f.received("user_status", lambda e: e["userId"] == user.id)
        assert [e["status"] for e in statuses] == ["online"], "a second tab neither re-announces nor goes offline"
        await tab2.disconnect()
        offline = await f.wait_for("user_status", lambda e: e["userId"] == user.id and e["status"] == "offline")
        assert offline["lastSeen"].endswith("Z")
        assert s.received("user_status", lambda e: e["userId"] == user.id) == []
        await close(f, s)

    run(scenario)
    user.refresh_from_db()
    assert user.last_seen is not None


# isolation


def test_a_bad_client_does_not_disturb_the_others(live_server_url: str) -> None:
    bad, good, listener = make_user(), make_user(), make_user()
    room = make_room(creator=good, members=(bad, listener))

    async def scenario() -> None:
        attacker = await connected(live_server_url, token_for(bad))
        a = await connected(live_server_url, token_for(good))
        b = await connected(live_server_url, token_for(listener))
        for peer in (a, b):
            await peer.call("join_room", {"roomId": room.id})
        junk: list[object] = [None, 1, "x", [], {"roomId": {}}, {"roomId": room.id, "content": {"$gt": ""}}]
        for event in ("join_room", "send_message", "typing", "leave_room", "no_such_event"):
            for payload in junk:
                await attacker.emit(event, payload)
        # Past the packet size limit: the server drops that connection only.
        await attacker.emit("send_message", {"roomId": room.id, "content": "x" * 1_100_000})
        for i in range(3):
            ack = await a.call("send_message", {"roomId": room.id, "content": f"still fine {i}"})
            assert ack["ok"] is True
        assert len(await _wait_count(b, "receive_message", 3)) == 3
        await asyncio.sleep(0.5)
        assert not attacker.client.connected
        await close(attacker, a, b)

    run(scenario)


async def _wait_count(peer: Peer, event: str, count: int, timeout: float = 5) -> list[object]:
    deadline = time.monotonic() + timeout
    while len(peer.received(event)) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return peer.received(event)


def test_uvicorn_serves_rest_admin_and_socketio_on_one_port(uvicorn_server_url: str) -> None:
    sender, listener = make_user(), make_user()
    room = make_room(creator=sender, members=(listener,))

    async def scenario() -> None:
        a = await connected(uvicorn_server_url, token_for(sender))
        b = await connected(uvicorn_server_url, token_for(listener), transports=["polling", "websocket"])
        for peer in (a, b):
            await peer.call("join_room", {"roomId": room.id})
        ack = await a.call("send_message", {"roomId": room.id, "content": "via uvicorn"})
        assert await b.wait_for("receive_message") == ack["message"]
        await close(a, b)

    run(scenario)
    assert http("GET", f"{uvicorn_server_url}/api/health")[0] == 200
    with urllib.request.urlopen(f"{uvicorn_server_url}/admin/login/", timeout=5) as response:
        assert response.status == 200 and b"Django" in response.read()


def test_events_after_the_token_expires_are_refused_with_token_expired(live_server_url: str) -> None:
    user = make_user()
    room = make_room(creator=user)
    short_lived = AccessToken.for_user(user)
    short_lived.set_exp(lifetime=timedelta(seconds=2))

    async def scenario() -> None:
        peer = await connected(live_server_url, str(short_lived))
        assert (await peer.call("join_room", {"roomId": room.id}))["ok"] is True
        await asyncio.sleep(2.2)
        ack = await peer.call("send_message", {"roomId": room.id, "content": "too late"})
        assert ack["ok"] is False and ack["error"]["code"] == "token_expired"
        await close(peer)

    run(scenario)
    assert Message.objects.count() == 0


def test_connections_per_user_are_capped(live_server_url: str) -> None:
    user = make_user()
    token = token_for(user)  # the test server allows 5 connections per user

    async def scenario() -> None:
        tabs = [await connected(live_server_url, token) for _ in range(5)]
        extra = Peer(live_server_url)
        with pytest.raises(Exception):  # noqa: B017 - socketio.exceptions.ConnectionError
            await extra.connect(token)
        assert extra.connect_error["data"]["code"] == "too_many_connections"
        await tabs[0].disconnect()
        await asyncio.sleep(0.2)
        again = await connected(live_server_url, token)  # a closed tab frees its place
        await close(again, *tabs)

    run(scenario)
