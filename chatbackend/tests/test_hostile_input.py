"""Hostile input never reaches a 500 or a traceback, and abuse is capped (issue 13 #3, #9, #11).

REST through DRF's client; Socket.IO against a real server whose log this test reads, with python-socketio clients
and raw engine.io sessions (aiohttp websockets and plain HTTP polling), as an attacker would send them.
"""

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import aiohttp
import pytest
from django.conf import settings

from chatbackend.jsonlimits import nesting_exceeds
from conftest import SERVER_ENV
from tests.support import ServerProcess, assert_error, client_for, make_room, make_user, token_for
from tests.support.socketio_client import connected

DEEP = "[" * 1000 + "]" * 1000


@pytest.fixture(scope="module")
def watched_server(test_database_url: str) -> Iterator[ServerProcess]:
    """A server of its own, so that its log holds only what these tests sent."""
    env = {**SERVER_ENV, "REDIS_URL": "", "SOCKETIO_CONNECT_TIMEOUT_MS": "1000", "TYPING_RATE_PER_SECOND": "5"}
    server = ServerProcess(database_url=test_database_url, env=env).start()
    yield server
    server.stop()


def log_since(server: ServerProcess, mark: int) -> str:
    return server.log_path.read_bytes()[mark:].decode(errors="replace")


@pytest.mark.parametrize(
    ("document", "too_deep"),
    [
        ("[" * 33 + "]" * 33, True),
        ("[" * 32 + "]" * 32, False),
        ('{"a":' * 40 + "1" + "}" * 40, True),
        (json.dumps({"a": "[" * 5000}), False),
        (json.dumps({"a": '\\"[[[[' * 100}), False),
        ('"unterminated \\" [[[[' + "[" * 50, False),
        ("[" + ",".join(["[]"] * 1000) + "]", False),
    ],
)
def test_nesting_is_measured_outside_strings(document: str, too_deep: bool) -> None:
    assert nesting_exceeds(document, 32) is too_deep
    assert nesting_exceeds(document.encode(), 32) is too_deep


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "authenticated"),
    [("/api/auth/register", False), ("/api/auth/login", False), ("/api/auth/refresh", False), ("/api/rooms", True)],
)
def test_deeply_nested_json_is_a_400_before_any_throttle_or_view(path: str, authenticated: bool) -> None:
    client = client_for(make_user() if authenticated else None)
    body = '{"email": "a@example.com", "refreshToken": ' + DEEP + "}"
    response = client.post(path, body, content_type="application/json")
    assert_error(response, 400, "malformed_request")
    # Brackets inside strings are text, not nesting.
    text = json.dumps({"name": "[" * 5000})
    assert client_for(make_user()).post("/api/rooms", text, content_type="application/json").status_code == 400


async def raw_session(url: str) -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
    """An engine.io websocket session that has done the engine.io handshake only (no Socket.IO CONNECT)."""
    http_session = aiohttp.ClientSession()
    ws = await http_session.ws_connect(url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket")
    opened = await ws.receive(timeout=5)
    assert opened.data.startswith("0{")
    return http_session, ws


async def closed_within(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = await ws.receive(timeout=deadline - time.monotonic())
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            return True
    return False


@pytest.mark.django_db(transaction=True)
def test_garbage_from_an_unauthenticated_session_logs_no_traceback(watched_server: ServerProcess) -> None:
    mark = watched_server.log_path.stat().st_size
    garbage = [
        "x",
        "9",
        "",
        "4" + DEEP,
        "4{not json",
        "49999999999999999999999999",
        "45",
        "4x",
        '42["send_message"',
        "4\x00",
    ]

    async def scenario() -> None:
        for packet in garbage:
            http_session, ws = await raw_session(watched_server.url)
            await ws.send_str(packet)
            assert await closed_within(ws, 5), packet
            await http_session.close()

    asyncio.run(scenario())
    time.sleep(0.3)
    log = log_since(watched_server, mark)
    assert "Traceback" not in log and "handler error" not in log, log
    assert log.count("bad packet from engine.io session") >= 5, log


@pytest.mark.django_db(transaction=True)
def test_deeply_nested_json_in_an_event_closes_only_that_connection(watched_server: ServerProcess) -> None:
    user, friend = make_user(), make_user()
    room = make_room(creator=user, members=(friend,))
    mark = watched_server.log_path.stat().st_size

    async def scenario() -> None:
        attacker = await connected(watched_server.url, token_for(user))
        bystander = await connected(watched_server.url, token_for(friend))
        await bystander.call("join_room", {"roomId": room.id})
        await attacker.client.eio.send('42["send_message",' + DEEP + "]")
        deadline = time.monotonic() + 5
        while attacker.client.connected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not attacker.client.connected
        ack = await bystander.call("send_message", {"roomId": room.id, "content": "still fine"})
        assert ack["ok"] is True
        await bystander.disconnect()

    asyncio.run(scenario())
    assert "Traceback" not in log_since(watched_server, mark)


@pytest.mark.django_db(transaction=True)
def test_a_session_that_never_sends_connect_is_closed(watched_server: ServerProcess) -> None:
    async def scenario() -> None:
        sessions = [await raw_session(watched_server.url) for _ in range(20)]
        started = time.monotonic()
        for _, ws in sessions:
            assert await closed_within(ws, 5)
        assert time.monotonic() - started < 5
        for http_session, _ in sessions:
            await http_session.close()

    asyncio.run(scenario())


def _poll_handshake(url: str) -> str:
    with urllib.request.urlopen(f"{url}/socket.io/?EIO=4&transport=polling", timeout=5) as response:
        opened = response.read().decode()
    return str(json.loads(opened[1:])["sid"])


@pytest.mark.django_db(transaction=True)
def test_an_oversized_polling_post_is_answered_with_an_error(watched_server: ServerProcess) -> None:
    sid = _poll_handshake(watched_server.url)
    body = b"4" + b"x" * (settings.CHAT["SOCKETIO_MAX_PAYLOAD_BYTES"] + 10)
    request = urllib.request.Request(
        f"{watched_server.url}/socket.io/?EIO=4&transport=polling&sid={sid}", data=body, method="POST"
    )
    request.add_header("Content-Type", "text/plain;charset=UTF-8")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 413
    assert json.loads(refused.value.read())["error"]["code"] == "payload_too_large"


@pytest.mark.django_db(transaction=True)
def test_typing_floods_are_dropped_quietly_and_never_reach_the_typer_s_other_tabs(
    watched_server: ServerProcess,
) -> None:
    typer, friend = make_user(), make_user()
    room = make_room(creator=typer, members=(friend,))

    async def scenario() -> None:
        tab, other_tab = (
            await connected(watched_server.url, token_for(typer)),
            await connected(watched_server.url, token_for(typer)),
        )
        listener = await connected(watched_server.url, token_for(friend))
        for peer in (tab, other_tab, listener):
            await peer.call("join_room", {"roomId": room.id})
        started = time.monotonic()
        acks = await asyncio.gather(
            *(tab.call("typing", {"roomId": room.id, "isTyping": i % 2 == 0}) for i in range(200))
        )
        elapsed = time.monotonic() - started
        assert all(ack == {"ok": True} for ack in acks)
        await asyncio.sleep(0.5)
        relayed = listener.received("typing")
        assert 1 <= len(relayed) <= 5 * (int(elapsed) + 2), (len(relayed), elapsed)
        assert other_tab.received("typing") == [] and tab.received("typing") == []
        for peer in (tab, other_tab, listener):
            await peer.disconnect()

    asyncio.run(scenario())
