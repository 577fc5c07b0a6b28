"""One ASGI application: Socket.IO at /socket.io/, Django (REST, admin, static files) for everything else."""

import asyncio
import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatbackend.settings")
django_application = get_asgi_application()  # before any import that touches models

import socketio  # noqa: E402

from chatbackend.events import hub  # noqa: E402
from messaging.realtime.namespace import build_server  # noqa: E402

sio = build_server()
hub.attach(sio)
socketio_application = socketio.ASGIApp(sio, other_asgi_app=django_application, socketio_path="socket.io")


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if hub.loop is None:  # sync code (REST sends) hands events to this loop
        hub.bind_loop(asyncio.get_running_loop())
    await socketio_application(scope, receive, send)
