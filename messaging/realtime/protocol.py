"""How the Socket.IO server speaks the contract: events outside it refused, acks built, errors shaped, and the
handshake token found. The handlers themselves live in messaging/realtime/namespace.py.
"""

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import parse_qs

import socketio
from django.conf import settings
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from chatbackend import metrics
from chatbackend.errors import TokenExpired, UnknownEvent
from chatbackend.exception_handler import as_chat_error
from chatbackend.logcontext import bind_request_id, request_id
from chatbackend.shutdown import GracefulShutdown

event_logger = logging.getLogger("chatbackend.events")


class EventNamespace(Protocol):
    """What @chat_event needs of the namespace whose handler it wraps."""

    shutdown: GracefulShutdown

    async def get_session(self, sid: str, namespace: str | None = None) -> Any: ...


Handler = Callable[[Any, str, Any], Awaitable[dict[str, Any] | None]]


# The events a client may send: the handlers wrapped by @chat_event register here as they are defined. Anything
# else is refused before dispatch: python-socketio's namespace would otherwise run `on_connect` or `on_disconnect`
# for a client's plain "connect"/"disconnect" event, and answer an unknown event's ack with nothing at all.
CLIENT_EVENTS: set[str] = set()


class ChatServer(socketio.AsyncServer):
    """AsyncServer that refuses events outside the contract, reports a failed event sent without an ack
    callback through the `error` event, closes sessions that send garbage or never complete the handshake.

    python-socketio tells a handler nothing about whether the client asked for an ack, so this hook sits where
    the library decides whether to send one (pinned version: see requirements.txt).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._handshake_timers: set[asyncio.Task[None]] = set()

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> None:
        await super()._handle_eio_connect(eio_sid, environ)
        task = asyncio.ensure_future(self._close_without_handshake(eio_sid))
        self._handshake_timers.add(task)
        task.add_done_callback(self._handshake_timers.discard)

    async def _close_without_handshake(self, eio_sid: str) -> None:
        """An engine.io session costs a socket and memory: one that never sends CONNECT is closed."""
        await asyncio.sleep(settings.CHAT["SOCKETIO_CONNECT_TIMEOUT_MS"] / 1000)
        if eio_sid in self.environ and self.manager.sid_from_eio_sid(eio_sid, "/") is None:
            event_logger.info("engine.io session %s sent no CONNECT in time: closed", eio_sid)
            await self.close_engineio_session(eio_sid)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            await super()._handle_eio_message(eio_sid, data)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
            # A packet that does not decode (or is out of place): Socket.IO's rule is to close the session. One
            # line, no traceback: anyone can send these, authenticated or not.
            event_logger.info("bad packet from engine.io session %s (%s): closed", eio_sid, type(exc).__name__)
            await self.close_engineio_session(eio_sid)

    async def close_engineio_session(self, eio_sid: str) -> None:
        """Close an engine.io session at once: without waiting for a poll to collect its CLOSE packet."""
        try:
            session = self.eio._get_socket(eio_sid)
        except KeyError:  # already gone
            return
        await session.close(wait=False)
        await session.queue.put(None)  # ends a websocket's writer, which then closes the websocket

    async def _handle_event_internal(
        self, server: Any, sid: str, eio_sid: str, data: list[Any], namespace: str, id: int | None
    ) -> None:
        event = data[0] if data and isinstance(data[0], str) else None
        if event in CLIENT_EVENTS:
            if id is not None:
                await super()._handle_event_internal(server, sid, eio_sid, data, namespace, id)
                return
            result = await server._trigger_event(event, namespace, sid, *data[1:])
        else:
            name = repr(data[0])[:100] if data else "nothing"
            result = {"ok": False, "error": UnknownEvent(f"No such event: {name}.").as_dict()}
            if id is not None:
                await server._send_packet(
                    eio_sid, self.packet_class(socketio.packet.ACK, namespace=namespace, id=id, data=[result])
                )
                return
        if isinstance(result, dict) and result.get("ok") is False:
            event_name = event if event is not None else str(data[0] if data else "")[:100]
            await server.emit("error", {**result["error"], "event": event_name}, to=sid, namespace=namespace)


def chat_event(handler: Handler) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Wrap a handler: check the session's token is still valid, build the ack, turn errors into `ok: false`."""

    event = handler.__name__.removeprefix("on_")
    CLIENT_EVENTS.add(event)

    @functools.wraps(handler)
    async def run(namespace: EventNamespace, sid: str, *args: Any) -> dict[str, Any]:
        token = bind_request_id(sid)  # the log lines of this event carry the connection id
        started = time.perf_counter()
        try:
            async with namespace.shutdown.work():
                session = await namespace.get_session(sid)
                if session["expires_at"] <= time.time():
                    raise TokenExpired()
                result = await handler(namespace, sid, args[0] if args else None)
            _log_event(event, "ok", started)
            return {"ok": True, **(result or {})}
        except Exception as exc:  # every failure becomes an ack; nothing escapes to disturb the connection
            error = as_chat_error(exc)
            metrics.record_error(error.code, transport="socket")
            _log_event(event, error.code, started)
            return {"ok": False, "error": error.as_dict()}
        finally:
            request_id.reset(token)

    return run


def refusal(exc: BaseException) -> SocketRefused:
    """A refused handshake: the client's connect_error gets err.message and err.data = {code, message}."""
    error = as_chat_error(exc)
    return SocketRefused(error.message, error.as_dict())


def _log_event(event: str, outcome: str, started: float) -> None:
    # An event that went well is a DEBUG line: one INFO line per message cost more than storing it under load.
    # Refusals stay INFO, failures ERROR; EVENT_LOG_LEVEL=DEBUG logs every event.
    level = logging.DEBUG if outcome == "ok" else logging.ERROR if outcome == "internal" else logging.INFO
    if not event_logger.isEnabledFor(level):
        return
    elapsed_ms = (time.perf_counter() - started) * 1000
    event_logger.log(level, "event %s %s %.1fms", event, outcome, elapsed_ms, extra={"event": event})


def token_from_handshake(environ: dict[str, Any], auth: Any) -> str | None:
    """The access token from `auth.token`, the Authorization header, or the `token` query parameter."""
    if isinstance(auth, dict) and isinstance(auth.get("token"), str) and auth["token"]:
        return auth["token"].removeprefix("Bearer ").strip()
    header = environ.get("HTTP_AUTHORIZATION", "")
    if header.startswith("Bearer "):
        return header[len("Bearer ") :].strip() or None
    tokens = parse_qs(environ.get("QUERY_STRING", "")).get("token")
    return tokens[0] if tokens else None
