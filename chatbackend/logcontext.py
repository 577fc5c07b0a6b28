"""Log correlation: the id of the HTTP request or Socket.IO connection being served, on every log line.

A contextvar holds the id. The HTTP middleware sets it per request (taking a sane `X-Request-ID` from a proxy, or
making one) and echoes it in the response; the Socket.IO handlers set it to the connection's sid. A logging filter
copies it onto each record, so both the plain and the JSON formats (LOG_FORMAT=json) carry it.
"""

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar, Token

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

request_id: ContextVar[str] = ContextVar("request_id", default="-")

access_logger = logging.getLogger("chatbackend.access")

# A proxy's id is trusted only when it looks like one: it goes into logs and response headers.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def new_request_id() -> str:
    return uuid.uuid4().hex


def bind_request_id(value: str) -> Token[str]:
    """Make `value` the id of what this task serves; returns the token that `request_id.reset` takes."""
    return request_id.set(value)


class RequestIdFilter(logging.Filter):
    """Puts the current request/connection id on every record as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


def _incoming_id(request: HttpRequest) -> str:
    candidate = request.headers.get("X-Request-ID", "")
    return candidate if _SAFE_ID.match(candidate) else new_request_id()


def _log_access(request: HttpRequest, response: HttpResponseBase, started: float) -> None:
    access_logger.log(
        logging.ERROR if response.status_code >= 500 else logging.INFO,
        "%s %s %s %.1fms",
        request.method,
        request.path,  # never the query string: a `?token=` must not reach the logs
        response.status_code,
        (time.perf_counter() - started) * 1000,
        extra={"method": request.method, "path": request.path, "status": response.status_code},
    )


class RequestIdMiddleware:
    """Binds a request id for the request's log lines, logs one access line, and returns the id as X-Request-ID."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self._acall(request)
        token = bind_request_id(_incoming_id(request))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            assert isinstance(response, HttpResponseBase)
            return self._finish(request, response, started)
        finally:
            request_id.reset(token)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        token = bind_request_id(_incoming_id(request))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            assert not isinstance(response, HttpResponseBase)
            return self._finish(request, await response, started)
        finally:
            request_id.reset(token)

    def _finish(self, request: HttpRequest, response: HttpResponseBase, started: float) -> HttpResponseBase:
        response["X-Request-ID"] = request_id.get()
        _log_access(request, response, started)
        return response


class OneLineFilter(logging.Filter):
    """For python-engineio's logger: a client's malformed packet is logged as one line, not a traceback.

    engine.io logs undecodable packets with `logger.exception` from places no hook of ours reaches (its
    websocket receive loop); anyone can send them, signed in or not, so a traceback per packet would let any
    client fill the logs. The exception's type stays in the line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            record.msg = f"{record.getMessage()} ({record.exc_info[0].__name__}: {record.exc_info[1]})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


class Repeats(logging.Filter):
    """Lets one record of a kind (same message template) through per minute, for a library that repeats itself:
    channels_redis logs a traceback each second per shard while Redis is away, which would bury everything else."""

    def __init__(self, interval_s: float = 60.0) -> None:
        super().__init__()
        self.interval_s = interval_s
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now - self._last.get(record.msg, -self.interval_s) < self.interval_s:
            return False
        self._last[record.msg] = now
        return True
