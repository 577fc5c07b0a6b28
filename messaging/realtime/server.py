"""The process's Socket.IO server: the chat namespace on python-socketio, with its manager and packet codec."""

from django.conf import settings

from chatbackend.channels_manager import ChannelLayerManager
from chatbackend.fanout import FanoutManager
from messaging.realtime import wire_json
from messaging.realtime.namespace import ChatNamespace
from messaging.realtime.protocol import ChatServer


def build_server() -> ChatServer:
    """The process's Socket.IO server, with fan-out through the Channels layer when REDIS_URL is set."""
    origins = settings.CORS_ALLOWED_ORIGINS
    manager = ChannelLayerManager() if settings.REDIS_URL else FanoutManager()
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
