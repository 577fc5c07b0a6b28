"""One ASGI application: Socket.IO at /socket.io/, Django (REST, admin, static files) for everything else."""

import asyncio
import gc
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

sio = build_server()
hub.attach(sio)
socketio_application = socketio.ASGIApp(sio, other_asgi_app=django_application, socketio_path="socket.io")

# Latency under load, measured (bench/README.md): what start-up built (Django, models, URLs) lives as long as the
# process, so the collector's full passes skip it instead of pausing the loop to walk it again and again; and the
# DB threads get the interpreter back sooner from a busy event loop after each statement (Python's default switch
# interval is 5 ms, which a batch of several statements paid several times).
gc.freeze()
sys.setswitchinterval(settings.CHAT["GIL_SWITCH_INTERVAL_MS"] / 1000)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if hub.loop is None:  # sync code (REST sends) hands events to this loop
        hub.bind_loop(asyncio.get_running_loop())
    await socketio_application(scope, receive, send)
