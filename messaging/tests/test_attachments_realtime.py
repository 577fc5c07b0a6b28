"""Attachments live: one client uploads over REST and sends over Socket.IO, another receives the message with its
attachments and downloads them, an outsider cannot, and deleting the message removes the file."""

import asyncio
from typing import Any

import pytest
import requests
from django.core.files.storage import default_storage

from messaging.models import Attachment
from tests.support import make_room, make_user, token_for
from tests.support.socketio_client import connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def upload(base: str, token: str, content: bytes, name: str) -> dict[str, Any]:
    files = {"file": (name, content, "text/html")}
    response = requests.post(f"{base}/api/uploads", files=files, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def get(base: str, url: str, token: str) -> requests.Response:
    return requests.get(f"{base}{url}", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_a_file_sent_over_the_socket_reaches_the_room_and_only_its_readers(live_server_url: str) -> None:
    sender, reader, outsider = make_user(), make_user(), make_user()
    room = make_room(creator=sender, private=True, members=(reader,))
    a_token, b_token = token_for(sender), token_for(reader)

    async def scenario() -> None:
        picture = await asyncio.to_thread(upload, live_server_url, a_token, PNG, "pixel.png")
        notes = await asyncio.to_thread(upload, live_server_url, a_token, b"<svg onload=alert(1)>", "x.svg")
        assert picture["contentType"] == "image/png" and notes["contentType"] == "text/plain"
        a, b = await connected(live_server_url, a_token), await connected(live_server_url, b_token)
        for peer in (a, b):
            assert (await peer.call("join_room", {"roomId": room.id}))["ok"] is True

        ack = await a.call(
            "send_message", {"roomId": room.id, "content": "", "attachmentIds": [picture["id"], notes["id"]]}
        )

        assert ack["ok"] is True, ack
        message = ack["message"]
        assert message["content"] == "" and message["attachments"] == [picture, notes]
        received = await b.wait_for("receive_message", lambda m: m["id"] == message["id"])
        assert received == message
        served = await asyncio.to_thread(get, live_server_url, received["attachments"][0]["url"], b_token)
        assert served.status_code == 200 and served.content == PNG
        assert served.headers["Content-Type"] == "image/png"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        script = await asyncio.to_thread(get, live_server_url, received["attachments"][1]["url"], b_token)
        assert script.headers["Content-Disposition"].startswith("attachment")
        refused = await asyncio.to_thread(get, live_server_url, picture["url"], token_for(outsider))
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "attachment_not_found"
        anonymous = await asyncio.to_thread(requests.get, f"{live_server_url}{picture['url']}", timeout=10)
        assert anonymous.status_code == 401

        again = await a.call("send_message", {"roomId": room.id, "content": "again", "attachmentIds": [picture["id"]]})
        assert again["ok"] is False and again["error"]["code"] == "attachment_in_use"
        stolen = await b.call("send_message", {"roomId": room.id, "content": "mine", "attachmentIds": [notes["id"]]})
        assert stolen["ok"] is False and stolen["error"]["code"] == "attachment_not_found"

        stored = await asyncio.to_thread(
            lambda: list(Attachment.objects.filter(message_id=message["id"]).values_list("file", flat=True))
        )
        deleted = await asyncio.to_thread(
            requests.delete,
            f"{live_server_url}/api/messages/{message['id']}",
            headers={"Authorization": f"Bearer {a_token}"},
            timeout=10,
        )
        assert deleted.status_code == 200 and deleted.json()["attachments"] == []
        tombstone = await b.wait_for("message_deleted", lambda m: m["id"] == message["id"])
        assert tombstone["attachments"] == []
        gone = await asyncio.to_thread(get, live_server_url, picture["url"], b_token)
        assert gone.status_code == 404
        assert stored and not any(default_storage.exists(name) for name in stored)
        await a.disconnect()
        await b.disconnect()

    asyncio.run(scenario())
