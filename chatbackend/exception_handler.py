"""Any exception as a ChatError, and the REST adapter: DRF's EXCEPTION_HANDLER writes it as the error body."""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken

from chatbackend.errors import (
    ChatError,
    Forbidden,
    InternalError,
    InvalidTokenError,
    MalformedRequest,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unavailable,
    UnsupportedMediaType,
    ValidationFailed,
    error_body,
)
from chatbackend.metrics import record_error
from chatbackend.outages import is_backend_unavailable

logger = logging.getLogger(__name__)


def _from_drf(exc: drf.APIException) -> ChatError:
    """Map DRF's own exceptions onto the project's codes, keeping field details of validation errors."""
    if isinstance(exc, drf.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            return ValidationFailed(_first_message(detail), **{key: _plain(value) for key, value in detail.items()})
        return ValidationFailed(_first_message(detail))
    if isinstance(exc, InvalidToken):
        return InvalidTokenError()
    if isinstance(exc, drf.AuthenticationFailed):
        return InvalidTokenError(str(exc.detail))
    if isinstance(exc, drf.NotAuthenticated):
        return NotAuthenticated()
    if isinstance(exc, drf.ParseError):
        return MalformedRequest()
    if isinstance(exc, drf.UnsupportedMediaType):
        return UnsupportedMediaType()
    if isinstance(exc, drf.MethodNotAllowed):
        return MethodNotAllowed()
    if isinstance(exc, drf.NotFound):
        return NotFound()
    if isinstance(exc, drf.PermissionDenied):
        return Forbidden(str(exc.detail))
    if isinstance(exc, drf.Throttled):
        wait_ms = int((getattr(exc, "wait", None) or 1) * 1000)
        return RateLimited("Too many requests: slow down.", retry_after_ms=wait_ms)
    error = ChatError(str(exc.detail))
    error.status = exc.status_code
    error.code = str(exc.default_code)
    return error


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return str(value)


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            message = _first_message(value)
            return message if key == "non_field_errors" else f"{key}: {message}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail) or ValidationFailed.default_message


def as_chat_error(exc: BaseException) -> ChatError:
    """Any exception as a ChatError; unexpected ones are logged and become `internal`."""
    if isinstance(exc, ChatError):
        return exc
    if isinstance(exc, drf.APIException):
        return _from_drf(exc)
    if isinstance(exc, Http404):
        return NotFound()
    if isinstance(exc, PermissionDenied):
        return Forbidden()
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if is_backend_unavailable(exc):
        logger.warning("backend unavailable: %r", exc)
        return Unavailable()
    logger.exception("unexpected error", exc_info=exc)
    return InternalError()


def rest_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every failure of a view leaves as `{"error": {...}}` with its status."""
    error = as_chat_error(exc)
    record_error(error.code, transport="rest")
    headers = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(max(1, -(-error.retry_after_ms // 1000)))
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return Response(error_body(error), status=error.status, headers=headers)
