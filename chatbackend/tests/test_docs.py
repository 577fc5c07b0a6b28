"""The API docs are served offline (Swagger UI, ReDoc, the Socket.IO reference), and list every event and code."""

import inspect
import re
from html import escape

import pytest
from django.utils import timezone

from chatbackend.errors import ChatError
from messaging.models import Message
from messaging.realtime.docs import DOCUMENTS, block_names, regenerate
from messaging.realtime.namespace import ChatNamespace
from messaging.realtime.reference import EVENTS, client_events, error_codes, server_events
from messaging.realtime.shapes import message_shape, payload_fields
from messaging.serializers import message_json
from tests.support import BASE_DIR, client_for, run_browser_test

SOCKETIO_MD = (BASE_DIR / "docs" / "socketio.md").read_text()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/docs/", "/api/docs/redoc/"])
def test_interactive_docs_load_their_assets_from_this_server(path: str) -> None:
    page = client_for().get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert assets, "the page names no static asset"
    assert "cdn" not in html.lower()
    for asset in assets:
        assert client_for().get(asset).status_code == 200, asset


@pytest.mark.django_db
def test_socketio_reference_lists_every_event_and_error_code() -> None:
    page = client_for().get("/api/docs/socketio/")
    assert page.status_code == 200
    html = page.content.decode()
    for event in EVENTS:
        assert f"<code>{event.name}</code>" in html
        assert f"<code>{escape(event.payload_text())}</code>" in html, event.name
    for client_event in client_events():
        assert f"<code>{escape(client_event.ack_text())}</code>" in html, client_event.name
    for error in error_codes():
        assert f"<code>{error['code']}</code>" in html


def test_every_client_event_handled_by_the_server_is_documented() -> None:
    handled = {name.removeprefix("on_") for name, _ in inspect.getmembers(ChatNamespace) if name.startswith("on_")}
    handled -= {"connect", "disconnect"}
    documented = {event.name for event in client_events()}
    assert handled == documented


def test_client_payloads_are_read_from_the_definitions_the_handlers_parse() -> None:
    fields = {
        event.name: [(f.name, f.type, f.required) for f in payload_fields(event.payload)] for event in client_events()
    }
    assert fields["join_room"] == [("roomId", "int", True), ("after", "int", False)]
    assert fields["send_message"] == [
        ("roomId", "int", True),
        ("content", "string", True),
        ("clientMsgId", "string", False),
        ("replyToId", "int", False),
        ("attachmentIds", "int[]", False),
    ]
    assert fields["typing"] == [("roomId", "int", True), ("isTyping", "boolean", True)]


def test_the_message_shape_is_what_message_json_sends() -> None:
    keys = list(message_json(Message(id=1, room_id=2, sender_id=3, content="x", created_at=timezone.now())))
    assert message_shape() == "{" + ", ".join(keys) + "}"
    receive = next(event for event in server_events() if event.name == "receive_message")
    assert receive.payload_text() == message_shape()


def test_every_error_code_has_one_status() -> None:
    statuses: dict[str, set[int]] = {}
    pending = [ChatError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        statuses.setdefault(cls.code, set()).add(cls.status)
    assert {code: found for code, found in statuses.items() if len(found) > 1} == {}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_generated_tables_of_the_docs_match_the_code(name: str) -> None:
    text = (BASE_DIR / name).read_text()
    assert "socketio-client-events" in "".join(block_names(text)) and "socketio-server-events" in block_names(text)
    assert regenerate(text) == text, f"{name} is out of date: run manage.py socketio_reference"


def test_the_markdown_reference_covers_every_event_and_error_code() -> None:
    for event in EVENTS:
        assert f"`{event.name}`" in SOCKETIO_MD, event.name
    for error in error_codes():
        assert f"`{error['code']}`" in SOCKETIO_MD, error["code"]


@pytest.mark.django_db
def test_schema_shows_an_example_of_each_object() -> None:
    schema = client_for().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    for name in ("UserOut", "RoomOut", "MessageOut", "AuthOut", "HistoryPageOut", "ErrorOut", "LoginInRequest"):
        assert set(components[name]["example"]) <= set(components[name]["properties"]), name


@pytest.mark.django_db
def test_the_favicon_is_served_at_the_root() -> None:
    response = client_for().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response)[:4] == b"\0\0\1\0"  # an ICO header


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_the_docs_render_in_a_browser_with_nothing_fetched_from_another_host(live_server_url: str) -> None:
    run_browser_test("docs.test.mjs", server_url=live_server_url, env={})
