"""A socket event with several bad fields is refused once, naming every one of them (as REST does)."""

import asyncio

import pytest

from messaging.models import Message
from tests.support import make_room, make_user, token_for
from tests.support.socketio_client import connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]


@pytest.mark.parametrize(
    "payload",
    [
        {"content": "   ", "clientMsgId": " "},
        {"content": "x" * 4001, "clientMsgId": "c" * 65},
        {"content": 5, "clientMsgId": 7},
    ],
)
def test_send_message_names_every_bad_field_in_one_ack(live_server_url: str, payload: dict[str, object]) -> None:
    user = make_user()
    room = make_room(creator=user)

    async def scenario() -> dict[str, object]:
        peer = await connected(live_server_url, token_for(user))
        ack = await peer.call("send_message", {"roomId": room.id, **payload})
        await peer.disconnect()
        return dict(ack)

    ack = asyncio.run(scenario())

    assert ack["ok"] is False
    error = ack["error"]
    assert isinstance(error, dict) and error["code"] == "validation_error"
    assert set(error["details"]) == {"content", "clientMsgId"}
    assert Message.objects.count() == 0
