"""The OpenAPI schema covers the whole REST API and validates without warnings."""

from io import StringIO

import pytest
import yaml
from django.core.management import call_command

from tests.support import client_for


def test_schema_generates_and_validates_without_warnings() -> None:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    assert set(schema["paths"]) >= {
        "/api/auth/register",
        "/api/auth/login",
        "/api/auth/refresh",
        "/api/rooms",
        "/api/rooms/join",
        "/api/rooms/{room_id}/join",
        "/api/rooms/{room_id}/messages",
        "/api/health",
        "/api/users/me",
        "/api/users/{user_id}",
        "/api/rooms/{room_id}",
        "/api/rooms/{room_id}/leave",
        "/api/rooms/{room_id}/invite-code",
        "/api/rooms/{room_id}/members",
        "/api/rooms/{room_id}/members/{user_id}",
        "/api/rooms/{room_id}/bans",
        "/api/rooms/{room_id}/bans/{user_id}",
        "/api/rooms/{room_id}/read",
        "/api/messages/{message_id}",
        "/api/messages/{message_id}/reactions",
        "/api/messages/{message_id}/reactions/{emoji}",
        "/api/dms",
    }
    assert set(schema["paths"]["/api/users/me"]) >= {"get", "patch"}
    assert "bearerAuth" in schema["components"]["securitySchemes"]


@pytest.mark.django_db
def test_schema_is_served_at_api_schema() -> None:
    response = client_for().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "chatbackend API"
