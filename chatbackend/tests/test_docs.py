"""The API docs are served offline (Swagger UI, ReDoc, the Socket.IO reference), and list every event and code."""

import inspect
import re

import pytest

from chatbackend.socketio_docs import EVENTS, error_codes
from chatbackend.testing import BASE_DIR, client_for, run_browser_test
from messaging.realtime import ChatNamespace

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
    for error in error_codes():
        assert f"<code>{error['code']}</code>" in html


def test_every_client_event_handled_by_the_server_is_documented() -> None:
    handled = {name.removeprefix("on_") for name, _ in inspect.getmembers(ChatNamespace) if name.startswith("on_")}
    handled -= {"connect", "disconnect"}
    documented = {event.name for event in EVENTS if event.direction.startswith("client")}
    assert handled == documented


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
