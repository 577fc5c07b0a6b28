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
