"""URL map: the REST API under /api, its docs, operations endpoints, the admin and the demo client at /.

/socket.io/ is served beside Django in asgi.py.
"""

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, path, register_converter
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts import api as accounts_api
from accounts.admin_login import throttled_admin_login
from chatbackend.errors import InternalError, NotFound, error_body
from chatbackend.health import Health, Live, Ready, metrics_view
from chatbackend.validation import id_from_text
from messaging import api as messaging_api
from messaging import search_api, uploads_api
from messaging.realtime.reference import socketio_reference
from rooms import api as rooms_api
from rooms import invites_api


class IdConverter:
    """A database id in a URL: digits, handed to the view as an int.

    Any run of digits matches, so that an id no row can have (past 64 bits) reaches the view and gets the view's
    own refusal (room_not_found) rather than a bare 404: digits that are no id become 0, which no row has.
    """

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        return id_from_text(value) or 0

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")


def api(route: str, view: Any, name: str) -> list[URLPattern]:
    """An /api route that also answers with a trailing slash, as Express routes do."""
    return [path(f"api/{route}", view.as_view(), name=name), path(f"api/{route}/", view.as_view())]


ROOM = "rooms/<id:room_id>"
# The sign-up hint says the password rule the server applies (settings.AUTH_PASSWORD_VALIDATORS).
DEMO_CONTEXT = {
    "password_min_length": settings.PASSWORD_MIN_LENGTH,
    "password_hint": f"at least {settings.PASSWORD_MIN_LENGTH} characters"
    if settings.PASSWORD_VALIDATION == "compatible"
    else f"at least {max(8, settings.PASSWORD_MIN_LENGTH)} characters, not a common one",
}

urlpatterns = [
    *api("live", Live, "live"),
    *api("health", Health, "health"),
    *api("ready", Ready, "ready"),
    *api("auth/register", accounts_api.Register, "register"),
    *api("auth/login", accounts_api.Login, "login"),
    *api("auth/refresh", accounts_api.Refresh, "token-refresh"),
    *api("auth/logout", accounts_api.Logout, "logout"),
    *api("users/me", accounts_api.Me, "me"),
    *api("users/<id:user_id>", accounts_api.UserProfile, "user-profile"),
    *api("rooms", rooms_api.Rooms, "rooms"),
    *api("rooms/join", invites_api.JoinRoomByCode, "room-join-by-code"),
    *api(ROOM, rooms_api.RoomDetail, "room"),
    *api(f"{ROOM}/join", rooms_api.JoinRoom, "room-join"),
    *api(f"{ROOM}/leave", rooms_api.LeaveRoom, "room-leave"),
    *api(f"{ROOM}/invite-code", rooms_api.RoomInviteCode, "room-invite-code"),
    *api(f"{ROOM}/invites", invites_api.RoomInvites, "room-invites"),
    *api(f"{ROOM}/invites/<str:code>", invites_api.RoomInviteDetail, "room-invite"),
    *api(f"{ROOM}/members", rooms_api.RoomMembers, "room-members"),
    *api(f"{ROOM}/members/<id:user_id>", rooms_api.RoomMemberDetail, "room-member"),
    *api(f"{ROOM}/bans", rooms_api.RoomBans, "room-bans"),
    *api(f"{ROOM}/bans/<id:user_id>", rooms_api.RoomBanDetail, "room-ban"),
    *api(f"{ROOM}/read", messaging_api.RoomRead, "room-read"),
    *api(f"{ROOM}/messages", messaging_api.RoomMessages, "room-messages"),
    *api("messages/<id:message_id>", messaging_api.MessageDetail, "message"),
    *api("messages/<id:message_id>/replies", messaging_api.MessageReplies, "message-replies"),
    *api("messages/<id:message_id>/reactions", messaging_api.MessageReactions, "message-reactions"),
    *api("messages/<id:message_id>/reactions/<str:emoji>", messaging_api.MessageReaction, "message-reaction"),
    *api("uploads", uploads_api.Uploads, "uploads"),
    *api("uploads/<id:attachment_id>", uploads_api.UploadDetail, "upload"),
    *api("dms", rooms_api.DirectRooms, "dms"),
    *api("search", search_api.Search, "search"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path(
        "api/docs/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="chatbackend/redoc.html"),
        name="redoc",
    ),
    path("api/docs/socketio/", socketio_reference, name="socketio-docs"),
    path("metrics", metrics_view, name="metrics"),
    path("", TemplateView.as_view(template_name="chatbackend/demo.html", extra_context=DEMO_CONTEXT), name="demo"),
    path("admin/login/", throttled_admin_login),  # before the admin's own login: same path, throttled
    path("admin/", admin.site.urls),
]


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body(NotFound()), status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body(InternalError()), status=500)


handler404 = not_found
handler500 = server_error
