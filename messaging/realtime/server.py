"""The process's Socket.IO server: the chat namespace on python-socketio, with its manager and packet codec."""

from django.conf import settings

from chatbackend.events import BoundedRedisManager, FanoutManager
from messaging.realtime import wire_json
from messaging.realtime.namespace import ChatNamespace
from messaging.realtime.protocol import ChatServer


def build_server() -> ChatServer:
    """The process's Socket.IO server, with Redis fan-out when REDIS_URL is set."""
    origins = settings.CORS_ALLOWED_ORIGINS
    manager: FanoutManager = FanoutManager()
    if settings.REDIS_URL:
        manager = BoundedRedisManager(settings.REDIS_URL, channel=settings.CHAT["SOCKETIO_CHANNEL"])
    server = ChatServer(
        async_mode="asgi",
        client_manager=manager,
        json=wire_json,
        cors_allowed_origins="*" if settings.CORS_ALLOW_ALL_ORIGINS else (list(origins) or None),
        max_http_buffer_size=settings.CHAT["SOCKETIO_MAX_PAYLOAD_BYTES"],
        # One connection's events run in order (a user's messages are stored in the order sent).
        async_handlers=False,
    )
    server.register_namespace(ChatNamespace("/"))
    return server
