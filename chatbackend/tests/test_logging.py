"""Log lines carry the id of the request or connection they belong to, in the JSON format too."""

import asyncio
import json
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from conftest import SERVER_ENV
from tests.support import ServerProcess, make_room, make_user, token_for
from tests.support.socketio_client import connected


@pytest.fixture
def json_logging_server(test_database_url: str) -> Iterator[ServerProcess]:
    server = ServerProcess(database_url=test_database_url, env={**SERVER_ENV, "REDIS_URL": "", "LOG_FORMAT": "json"})
    server.start()
    yield server
    server.stop()


def json_lines(server: ServerProcess) -> list[dict[str, Any]]:
    lines = []
    for line in server.log_path.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_json_log_lines_carry_the_request_id_and_the_connection_id(json_logging_server: ServerProcess) -> None:
    user = make_user()
    room = make_room(creator=user)
    request = urllib.request.Request(f"{json_logging_server.url}/api/rooms?token=secret-in-query")
    request.add_header("Authorization", f"Bearer {token_for(user)}")
    request.add_header("X-Request-ID", "req-from-proxy-42")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["X-Request-ID"] == "req-from-proxy-42"

    async def scenario() -> str:
        peer = await connected(json_logging_server.url, token_for(user))
        await peer.call("send_message", {"roomId": room.id, "content": "logged"})
        sid = peer.client.get_sid()
        await peer.disconnect()
        return str(sid)

    sid = asyncio.run(scenario())
    lines = json_lines(json_logging_server)

    access = [line for line in lines if line.get("request_id") == "req-from-proxy-42"]
    assert access, "no JSON line carries the request id"
    assert access[0]["logger"] == "chatbackend.access"
    assert access[0]["path"] == "/api/rooms" and access[0]["status"] == 200
    assert not any("secret-in-query" in json.dumps(line) for line in lines)
    events = [line for line in lines if line.get("request_id") == sid]
    messages = [line["message"] for line in events]
    assert any(message.startswith("connect user") for message in messages)
    assert any(message.startswith("event send_message ok") for message in messages)
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in events)
    for line in lines:  # ISO 8601 in UTC, e.g. 2026-12-01T21:57:52.786123+00:00
        logged_at = datetime.fromisoformat(line["time"])
        assert "T" in line["time"] and logged_at.utcoffset() == timedelta(0), line["time"]


@pytest.mark.django_db
def test_a_response_gets_a_fresh_request_id_when_the_client_sends_none_or_a_bad_one() -> None:
    from tests.support import client_for

    fresh = client_for().get("/api/health")
    unsafe = client_for().get("/api/health", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert len(fresh["X-Request-ID"]) == 32
    assert unsafe["X-Request-ID"] != "bad id\nwith newline"
