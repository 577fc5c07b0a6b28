"""`manage.py runserver` stays on daphne through Channels (`make run` uses uvicorn): REST and Socket.IO both work."""

import asyncio

import pytest

from conftest import SERVER_ENV
from tests.support import ServerProcess, make_room, make_user, token_for
from tests.support.socketio_client import connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]


def test_runserver_serves_the_api_and_socket_io_with_daphne(test_database_url: str) -> None:
    user = make_user()
    room = make_room(creator=user)
    server = ServerProcess(database_url=test_database_url, env={**SERVER_ENV, "REDIS_URL": ""}, server="runserver")
    server.start()
    try:

        async def scenario() -> dict[str, object]:
            peer = await connected(server.url, token_for(user))
            await peer.call("join_room", {"roomId": room.id})
            ack = await peer.call("send_message", {"roomId": room.id, "content": "from runserver"})
            await peer.wait_for("receive_message")
            await peer.disconnect()
            return ack

        ack = asyncio.run(scenario())
    finally:
        server.stop()
    assert ack["ok"] is True
    assert "ASGI/Daphne" in server.log_path.read_text()
