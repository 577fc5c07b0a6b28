"""OpenAPI pieces shared by the views: the error body and the statuses each endpoint can answer with."""

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework import serializers


class ErrorDetailOut(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. validation_error.")
    message = serializers.CharField(help_text="Human-readable explanation.")
    details = serializers.DictField(required=False, help_text="Field errors and other specifics.")
    retryAfterMs = serializers.IntegerField(required=False, help_text="With rate_limited: wait this long.")


class ErrorOut(serializers.Serializer[Any]):
    error = ErrorDetailOut()


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """Response entries for extend_schema: these statuses answer with the error body."""
    return dict.fromkeys(statuses, ErrorOut)


class BearerScheme(SimpleJWTScheme):
    """Documents accounts.authentication.BearerAuthentication as the bearer JWT scheme it is."""

    target_class = "accounts.authentication.BearerAuthentication"
    name = "bearerAuth"


def drop_trailing_slash_duplicates(endpoints: list[Any], **kwargs: Any) -> list[Any]:
    """Every route also answers with a trailing slash; the schema lists each once, without it."""
    return [endpoint for endpoint in endpoints if not endpoint[0].endswith("/")]


_USER = {
    "id": 1,
    "name": "Alice",
    "email": "alice@example.com",
    "lastSeen": "2025-05-01T09:30:00Z",
    "createdAt": "2025-04-01T08:00:00Z",
}
_ROOM = {
    "id": 7,
    "name": "general",
    "isPrivate": False,
    "inviteCode": "Qm3xTz8pLw",
    "createdById": 1,
    "createdAt": "2025-04-01T08:05:00Z",
}
_MESSAGE = {"id": 1042, "roomId": 7, "senderId": 1, "content": "Hello, world!", "createdAt": "2025-05-01T09:31:12Z"}
_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoxfQ.signature"

# Examples of each object, shown by Swagger UI and ReDoc wherever the object appears.
COMPONENT_EXAMPLES: dict[str, Any] = {
    "UserOut": _USER,
    "RoomOut": _ROOM,
    "MessageOut": _MESSAGE,
    "AuthOut": {"token": _TOKEN, "refreshToken": _TOKEN, "user": _USER},
    "AccessTokenOut": {"token": _TOKEN},
    "HistoryPageOut": {"messages": [_MESSAGE], "nextCursor": "MTA0Mg"},
    "ErrorOut": {
        "error": {
            "code": "validation_error",
            "message": "The request is not valid.",
            "details": {"content": ["This field may not be blank."]},
        }
    },
    "RegisterInRequest": {"name": "Alice", "email": "alice@example.com", "password": "demo-password-123"},
    "LoginInRequest": {"email": "alice@example.com", "password": "demo-password-123"},
    "RefreshInRequest": {"refreshToken": _TOKEN},
    "CreateRoomInRequest": {"name": "general", "isPrivate": False},
    "JoinByCodeInRequest": {"inviteCode": "Qm3xTz8pLw"},
    "JoinRoomInRequest": {"inviteCode": "Qm3xTz8pLw"},
    "MessageInRequest": {"content": "Hello, world!", "clientMsgId": "c6f1b1e2-1"},
}


def add_examples(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: attach an example to each known component schema (those the schema has)."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, example in COMPONENT_EXAMPLES.items():
        if name in schemas:
            schemas[name].setdefault("example", example)
    return result
