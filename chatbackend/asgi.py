"""One ASGI application: Socket.IO at /socket.io/, Django (REST, admin, static files) for everything else."""

import asyncio
import gc
import json
import logging
import os
import sys
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatbackend.settings")
django_application = get_asgi_application()  # before any import that touches models

import socketio  # noqa: E402
from django.conf import settings  # noqa: E402

from chatbackend.events import hub  # noqa: E402
from messaging.realtime.server import build_server  # noqa: E402

logger = logging.getLogger(__name__)
sio = build_server()
hub.attach(sio)
# uvicorn imports the application before its loop runs, and starts it with a lifespan event (see _when_serving).
socketio_application = socketio.ASGIApp(
    sio, other_asgi_app=django_application, socketio_path="socket.io", on_startup=lambda: _schedule_presence()
)

# Latency under load, measured (bench/README.md): what start-up built (Django, models, URLs) lives as long as the
# process, so the collector's full passes skip it instead of pausing the loop to walk it again and again; and the
# DB threads get the interpreter back sooner from a busy event loop after each statement (Python's default switch
# interval is 5 ms, which a batch of several statements paid several times).
gc.freeze()
sys.setswitchinterval(settings.CHAT["GIL_SWITCH_INTERVAL_MS"] / 1000)


async def _start_presence() -> None:
    hub.bind_loop(asyncio.get_running_loop())
    try:
        await sio.namespace_handlers["/"].start_presence()
    except Exception as exc:  # Redis away at start-up: the heartbeat loop keeps retrying
        logger.warning("presence not started cleanly: %r", exc)


_startup: set[asyncio.Future[None]] = set()


def _schedule_presence() -> None:
    task = asyncio.ensure_future(_start_presence())
    _startup.add(task)
    task.add_done_callback(_startup.discard)


def _when_serving() -> None:
    """Start the presence heartbeat and reaper as the server starts, not at its first connection: users left
    online by a process that crashed go offline even if nobody connects here. daphne sends no lifespan events, so
    this hooks the server's loop directly when it imports the application inside its running loop, or before its
    Twisted reactor (which runs the asyncio loop) starts; uvicorn imports it before its loop and sends a lifespan
    startup event (socketio_application's on_startup). Starting twice is harmless: ProcessPresence starts once."""
    try:
        asyncio.get_running_loop().call_soon(_schedule_presence)
        return
    except RuntimeError:  # no loop running yet
        pass
    if "daphne.server" in sys.modules:
        from twisted.internet import reactor

        # Startup triggers fire before the reactor enters the asyncio loop: schedule onto the loop from there.
        reactor.callWhenRunning(lambda: asyncio.get_event_loop().call_soon(_schedule_presence))  # type: ignore[attr-defined]


_when_serving()


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if hub.loop is None:  # sync code (REST sends) hands events to this loop
        hub.bind_loop(asyncio.get_running_loop())
    if scope["type"] == "http" and scope["method"] == "POST" and scope["path"].startswith("/socket.io"):
        refusal = _oversized_poll(scope)
        if refusal is not None:
            await _respond(send, *refusal)
            return
    try:
        await socketio_application(scope, receive, send)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        if scope["type"] != "websocket":
            raise
        # engine.io decodes a websocket's packets outside any handler: an undecodable one ends the connection
        # with an exception. Anyone may send one, signed in or not: one line, no traceback.
        logger.info("websocket closed on an undecodable engine.io packet: %s", type(exc).__name__)


def _oversized_poll(scope: dict[str, Any]) -> tuple[int, str, str] | None:
    """A long-polling POST whose body is over the packet limit, or of unknown length: refused before it is read.

    engine.io reads the whole body before it looks at its size, and answers an oversized one by closing the
    session and waiting for a poll that never comes: the client got no response at all.
    """
    limit = settings.CHAT["SOCKETIO_MAX_PAYLOAD_BYTES"]
    lengths = [value for name, value in scope.get("headers", []) if name.lower() == b"content-length"]
    if not lengths:
        return 411, "length_required", "Send the body with a Content-Length."
    length = lengths[0].decode("latin-1").strip()
    if not length.isdigit() or int(length) > limit:
        return 413, "payload_too_large", f"The body is larger than {limit} bytes."
    return None


async def _respond(send: Any, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
