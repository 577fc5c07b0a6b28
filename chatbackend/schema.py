"""OpenAPI pieces shared by the views: the error body, the statuses every endpoint can answer with, and summaries
and descriptions taken from the views' docstrings."""

import inspect
from http import HTTPStatus
from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from chatbackend.validation import MAX_ID, clean_text_pattern


class ErrorDetailOut(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. validation_error.")
    message = serializers.CharField(help_text="Human-readable explanation.")
    details = serializers.DictField(required=False, help_text="Field errors and other specifics.")
    retryAfterMs = serializers.IntegerField(required=False, help_text="With rate_limited: wait this long.")


class ErrorOut(serializers.Serializer[Any]):
    error = ErrorDetailOut()


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """Response entries for extend_schema: these statuses answer with the error body (the ones particular to the
    endpoint; ChatAutoSchema adds those that follow from how it is called)."""
    return dict.fromkeys(statuses, ErrorOut)


# What each error status means, for the description of the responses that use it; the codes are ChatError's.
STATUS_MEANINGS = {
    "400": "validation_error (a field breaks a rule: see details) or malformed_request (the body is not JSON).",
    "401": "not_authenticated (no token), invalid_token (forged, expired, refresh token, deactivated user) or "
    "invalid_credentials.",
    "403": "The caller may not do this here: not_room_member, invite_code_required, invalid_invite_code, "
    "insufficient_role, banned, not_message_sender or forbidden.",
    "404": "Unknown id: room_not_found, message_not_found, user_not_found, member_not_found, invalid_invite_code "
    "(no room has the code), attachment_not_found or not_found.",
    "409": "Conflicts with the current state: email_taken, message_deleted, direct_room, too_many_reactions, "
    "too_many_invites or attachment_in_use.",
    "410": "invite_expired: the invite link has expired or been used up.",
    "413": "payload_too_large: the body is over MAX_BODY_BYTES (an upload: over UPLOAD_MAX_BYTES).",
    "415": "unsupported_media_type: send JSON with Content-Type: application/json.",
    "429": "rate_limited: wait retryAfterMs (also in details and the Retry-After header, in seconds).",
    "503": "unavailable: the database (or Redis) cannot be reached right now; retry later.",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}}


class ChatAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema with this API's conventions.

    - The summary is the first line of the view method's docstring, the description the rest.
    - Errors that follow from how an endpoint is called are added to the ones its view lists: 401 when it needs a
      token, 400/413/415 when it reads a JSON body, 429 when throttled, 503 (the database is down) everywhere but
      liveness. Each error response is described from STATUS_MEANINGS.
    """

    def _docstring(self) -> tuple[str, str]:
        method = getattr(self.view, self.method.lower(), None)
        doc = inspect.getdoc(method) or ""
        summary, _, description = doc.partition("\n\n")
        return " ".join(summary.split()).rstrip("."), description.strip()

    def get_summary(self) -> str | None:
        return self._docstring()[0] or None

    def get_description(self) -> str:  # type: ignore[override]
        return self._docstring()[1]

    def _common_errors(self) -> list[int]:
        statuses = []
        if not any(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            statuses.append(401)
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            statuses += [400, 413, 415]
        if self.view.get_throttles():
            statuses.append(429)
        if getattr(self.view, "may_be_unavailable", True):
            statuses.append(503)
        return statuses

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        error = self.resolve_serializer(ErrorOut, "response").ref
        for common in self._common_errors():
            responses.setdefault(str(common), {"content": {"application/json": {"schema": error}}})
        for status, response in responses.items():
            if not response.get("description"):
                response["description"] = STATUS_MEANINGS.get(status) or HTTPStatus(int(status)).phrase
            if status == "429":
                response.setdefault("headers", RETRY_AFTER)
        return responses


class StrictCharFieldSchema(OpenApiSerializerFieldExtension):
    """A StrictCharField with the rules its service enforces: lengths, the cleaned-text pattern, the choices."""

    target_class = "chatbackend.validation.StrictCharField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        field = self.target
        schema: dict[str, Any] = {"type": "string"}
        if field.choices:
            schema["enum"] = list(field.choices)
        if field.min_length:
            schema["minLength"] = field.min_length
        if field.max_length is not None:
            schema["maxLength"] = field.max_length
        if field.pattern:
            schema["pattern"] = field.pattern
        if field.cleaned_max_length is not None:
            schema["pattern"] = clean_text_pattern(field.cleaned_max_length)
            schema["minLength"] = 1
            schema["description"] = (
                f"{field.help_text + ' ' if field.help_text else ''}Trimmed, control characters other than newline"
                f" and tab removed: then 1 to {field.cleaned_max_length} characters (the pattern says exactly this)."
            )
        return schema


class StrictIdFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "chatbackend.validation.StrictIdField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        return {"type": "integer", "minimum": 0 if self.target.allow_zero else 1, "maximum": MAX_ID}


class StrictIdListFieldSchema(OpenApiSerializerFieldExtension):
    """A StrictIdListField with the rule its service enforces: at most `cleaned_max_items` distinct ids."""

    target_class = "chatbackend.validation.StrictIdListField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        return {
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            "maxItems": self.target.cleaned_max_items,
            "uniqueItems": True,
        }


# Query parameters of the paginated lists (history, members), with the rules of their selectors.
def cursor_parameter(pattern: str) -> OpenApiParameter:
    schema = {"type": "string", "pattern": pattern}
    return OpenApiParameter("cursor", schema, description="`nextCursor` of the previous page (opaque).")


LIMIT_PARAMETER = OpenApiParameter(
    "limit",
    # Empty is the default too (chatbackend.validation.page_limit), as from a templated `?cursor=&limit=` URL.
    {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "enum": [""]}]},
    description="Page size: 50 by default (absent or empty); more than 100 is served as 100.",
)
AFTER_PARAMETER = OpenApiParameter(
    "after",
    {"type": "integer", "minimum": 0, "maximum": MAX_ID},
    description="Catch up: every message after this id, oldest first (paginated forward by `nextCursor`).",
)


def text_path_parameter(name: str, *, max_length: int, description: str) -> OpenApiParameter:
    """A path segment the service cleans with clean_text (such as an emoji): the same pattern as in bodies."""
    schema = {"type": "string", "pattern": clean_text_pattern(max_length)}
    return OpenApiParameter(name, schema, location=OpenApiParameter.PATH, description=description)


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
_INVITE = {
    "code": "Zr4kPq9wXs2mLb7vTn5yHa",
    "roomId": 7,
    "maxUses": 10,
    "uses": 3,
    "expiresAt": "2025-05-08T09:30:00Z",
    "createdById": 1,
    "createdAt": "2025-05-01T09:30:00Z",
}
_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoxfQ.signature"

# Examples of each object, shown by Swagger UI and ReDoc wherever the object appears.
COMPONENT_EXAMPLES: dict[str, Any] = {
    "UserOut": _USER,
    "RoomOut": _ROOM,
    "MessageOut": _MESSAGE,
    "AuthOut": {"token": _TOKEN, "refreshToken": _TOKEN, "user": _USER},
    "AccessTokenOut": {"token": _TOKEN},
    "InviteOut": _INVITE,
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
    "CreateInviteInRequest": {"maxUses": 10, "expiresInSeconds": 604800},
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
