"""The OpenAPI schema covers the whole REST API and validates without warnings."""

import re
from io import StringIO
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.core.validators import validate_email
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import normalize_email
from accounts.services import EMAIL_PATTERN
from chatbackend.errors import ValidationFailed
from chatbackend.validation import clean_text, clean_text_pattern
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


def schema_operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = yaml.safe_load(_schema_text())
    return [(method.upper(), path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]


def test_every_operation_has_a_summary_and_a_description() -> None:
    for method, path, operation in schema_operations():
        assert operation.get("summary"), f"{method} {path} has no summary"
        assert len(operation.get("description", "")) > 20, f"{method} {path} has no description"
        assert not operation["summary"].endswith("_create"), operation["summary"]


def test_every_operation_documents_the_errors_its_calling_convention_can_bring() -> None:
    throttled = {
        "POST /api/auth/login",
        "POST /api/auth/register",
        "POST /api/rooms/join",
        "POST /api/rooms/{room_id}/join",
    }
    for method, path, operation in schema_operations():
        label, responses = f"{method} {path}", set(operation["responses"])
        if operation.get("security") != [{}] and {} not in operation.get("security", [{}]):
            assert "401" in responses, label
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= responses, label
        if label in throttled or label == "POST /api/rooms/{room_id}/messages":
            assert "429" in responses and "Retry-After" in operation["responses"]["429"]["headers"], label
        if path != "/api/live":
            assert "503" in responses, label
        for status, response in operation["responses"].items():
            assert response.get("description"), f"{label} {status} has no description"


def test_request_fields_carry_the_rules_the_server_enforces() -> None:
    schemas = yaml.safe_load(_schema_text())["components"]["schemas"]
    content = schemas["MessageInRequest"]["properties"]["content"]
    assert content["minLength"] == 1 and content["pattern"] == clean_text_pattern(4000)
    assert schemas["RegisterInRequest"]["properties"]["password"]["minLength"] == 6
    assert schemas["RegisterInRequest"]["properties"]["email"]["maxLength"] == 254
    role = schemas["RoleInRequest"]["properties"]["role"]
    assert schemas[role["allOf"][0]["$ref"].rsplit("/", 1)[1]]["enum"] == ["admin", "member"]
    assert schemas["DirectRoomInRequest"]["properties"]["userId"]["minimum"] == 1
    assert set(schemas["RenameRoomInRequest"]["required"]) == {"name"}  # PATCH bodies keep their required fields


def _schema_text() -> str:
    out = StringIO()
    call_command("spectacular", stdout=out)
    return out.getvalue()


@given(st.text(max_size=40) | st.from_regex(clean_text_pattern(8)))
def test_the_text_pattern_accepts_exactly_what_clean_text_accepts(text: str) -> None:
    try:
        clean_text(text, field="text", max_length=8)
        accepted = True
    except ValidationFailed:
        accepted = False
    assert accepted == bool(re.search(clean_text_pattern(8), text))


@given(st.from_regex(EMAIL_PATTERN))
def test_every_email_of_the_documented_pattern_is_accepted(email: str) -> None:
    validate_email(normalize_email(email))
