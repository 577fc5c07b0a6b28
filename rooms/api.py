"""REST entry points of rooms: list, create, join, leave, members, moderation and direct messages (joining by code
and invite links: rooms/invites_api.py)."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import current_user
from chatbackend.schema import LIMIT_PARAMETER, cursor_parameter, errors
from chatbackend.validation import (
    RAW_LINE_MAX_LENGTH,
    RAW_WORD_MAX_LENGTH,
    StrictBooleanField,
    StrictCharField,
    StrictIdField,
    page_limit,
    parse,
)
from messaging.serializers import MessageOut
from rooms import access, direct, moderation, selectors, services
from rooms.models import RoomBan
from rooms.serializers import MemberOut, RoomOut


class RoomSummaryOut(RoomOut):
    """A room of GET /api/rooms: the room, plus the caller's role and read state and the newest message."""

    isDirect = serializers.BooleanField(source="is_direct")
    role = serializers.CharField()
    lastReadMessageId = serializers.IntegerField(source="last_read_message_id", allow_null=True)
    unreadCount = serializers.IntegerField(source="unread_count", help_text="Messages after the read position.")
    lastMessage = MessageOut(source="last_message", allow_null=True, read_only=True)

    class Meta(RoomOut.Meta):
        fields = [*RoomOut.Meta.fields, "isDirect", "role", "lastReadMessageId", "unreadCount", "lastMessage"]


NAME_MAX_LENGTH = settings.CHAT["NAME_MAX_LENGTH"]


class CreateRoomIn(serializers.Serializer[Any]):
    name = StrictCharField(max_length=RAW_LINE_MAX_LENGTH, cleaned_max_length=NAME_MAX_LENGTH)
    isPrivate = StrictBooleanField(required=False, default=False)


class JoinRoomIn(serializers.Serializer[Any]):
    inviteCode = StrictCharField(max_length=RAW_WORD_MAX_LENGTH, required=False, allow_null=True, default=None)


class Rooms(APIView):
    @extend_schema(responses={200: RoomSummaryOut(many=True), **errors(401)})
    def get(self, request: Request) -> Response:
        """Your rooms.

        Every room you are a member of, oldest first, each with `isDirect`, your `role`, your read position
        (`lastReadMessageId`), `unreadCount` (messages after it) and `lastMessage` (`null` in a room without
        messages). One query however many rooms.
        """
        return Response(RoomSummaryOut(selectors.rooms_for_user(current_user(request)), many=True).data)

    @extend_schema(request=CreateRoomIn, responses={201: RoomOut, **errors(400, 401, 413, 415)})
    def post(self, request: Request) -> Response:
        """Create a room.

        Creates a public or private room (`isPrivate`) with a fresh, unguessable invite code; you become its
        owner.
        """
        payload = parse(CreateRoomIn, request.data)
        room = services.create_room(
            creator=current_user(request), name=payload["name"], is_private=payload["isPrivate"]
        )
        return Response(RoomOut(room).data, status=201)


class JoinRoom(APIView):
    @extend_schema(operation_id="rooms_join", request=JoinRoomIn, responses={200: RoomOut, **errors(403, 404, 429)})
    def post(self, request: Request, room_id: int) -> Response:
        """Join a room by id.

        A public room is open to any signed-in user; a private room needs its `inviteCode` (members pass
        without). Joining again is not an error. Banned users are refused; wrong invite codes are throttled per
        user (429 after THROTTLE_INVITE_CODE_FAILURES). The room's connections get `member_joined`.
        """
        payload = parse(JoinRoomIn, request.data)
        room = services.join_room(user=current_user(request), room_id=room_id, invite_code=payload["inviteCode"])
        return Response(RoomOut(room).data)


class RenameRoomIn(serializers.Serializer[Any]):
    name = StrictCharField(max_length=RAW_LINE_MAX_LENGTH, cleaned_max_length=NAME_MAX_LENGTH)


class RoleIn(serializers.Serializer[Any]):
    role = StrictCharField(max_length=RAW_WORD_MAX_LENGTH, choices=("admin", "member"))


class DirectRoomIn(serializers.Serializer[Any]):
    userId = StrictIdField()


class BanOut(serializers.ModelSerializer[RoomBan]):
    userId = serializers.IntegerField(source="user_id")
    name = serializers.CharField(source="user.name")
    bannedById = serializers.IntegerField(source="banned_by_id", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = RoomBan
        fields = ["userId", "name", "bannedById", "createdAt"]


RoomIdOut = inline_serializer("RoomIdOut", {"roomId": serializers.IntegerField()})
MembersPageOut = inline_serializer(
    "MembersPageOut", {"members": MemberOut(many=True), "nextCursor": serializers.CharField(allow_null=True)}
)


class RoomDetail(APIView):
    @extend_schema(operation_id="rooms_retrieve", responses={200: RoomOut, **errors(401, 403, 404)})
    def get(self, request: Request, room_id: int) -> Response:
        """A room.

        Readable as its history is: public rooms by any signed-in user, private rooms by members only.
        """
        room = selectors.get_room(room_id)
        access.require_readable(current_user(request), room)
        return Response(RoomOut(room).data)

    @extend_schema(
        operation_id="rooms_rename", request=RenameRoomIn, responses={200: RoomOut, **errors(400, 401, 403, 404, 409)}
    )
    def patch(self, request: Request, room_id: int) -> Response:
        """Rename a room.

        Owners and admins rename the room (1 to 100 characters after trimming); its connections get
        `room_updated`. Direct-message rooms cannot be renamed (409 `direct_room`).
        """
        payload = parse(RenameRoomIn, request.data)
        room = moderation.rename_room(actor=current_user(request), room_id=room_id, name=payload["name"])
        return Response(RoomOut(room).data)


class RoomInviteCode(APIView):
    @extend_schema(
        operation_id="rooms_rotate_invite_code", request=None, responses={200: RoomOut, **errors(401, 403, 404, 409)}
    )
    def post(self, request: Request, room_id: int) -> Response:
        """Rotate the invite code.

        Owners and admins replace the invite code; the old one stops working at once and the room's connections
        get `room_updated`.
        """
        room = moderation.rotate_invite_code(actor=current_user(request), room_id=room_id)
        return Response(RoomOut(room).data)


class LeaveRoom(APIView):
    @extend_schema(operation_id="rooms_leave", request=None, responses={200: RoomIdOut, **errors(401, 403, 404, 409)})
    def post(self, request: Request, room_id: int) -> Response:
        """Leave a room.

        Ends your membership: your connections leave the room's live events and the room gets `member_left`. The
        last owner leaving hands ownership to the longest-standing admin, else member. Direct-message rooms
        cannot be left (409 `direct_room`).
        """
        services.leave_room(user=current_user(request), room_id=room_id)
        return Response({"roomId": room_id})


class RoomMembers(APIView):
    @extend_schema(
        parameters=[cursor_parameter(selectors.MEMBERS_CURSOR_PATTERN), LIMIT_PARAMETER],
        responses={200: MembersPageOut, **errors(400, 401, 403, 404)},
    )
    def get(self, request: Request, room_id: int) -> Response:
        """A room's members.

        Members in join order, each with role, `online` (from the presence store), last seen and read position;
        paginated with an opaque `nextCursor`. Visible to whoever may read the room.
        """
        room = selectors.get_room(room_id)
        access.require_readable(current_user(request), room)
        page = selectors.members_page(
            room=room,
            cursor=request.query_params.get("cursor") or None,
            limit=page_limit(request.query_params.get("limit")),
        )
        return Response({"members": MemberOut(page.members, many=True).data, "nextCursor": page.next_cursor})


class RoomMemberDetail(APIView):
    @extend_schema(
        operation_id="rooms_members_set_role",
        request=RoleIn,
        responses={200: MemberOut, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, room_id: int, user_id: int) -> Response:
        """Change a member's role.

        The owner makes a member an admin or an admin a member (`role`: `admin` or `member`); the room gets
        `member_updated`. Nobody acts on themself or on an equal or higher role.
        """
        payload = parse(RoleIn, request.data)
        membership = moderation.set_member_role(
            actor=current_user(request), room_id=room_id, user_id=user_id, role=payload["role"]
        )
        return Response(MemberOut(selectors.with_online([membership])[0]).data)

    @extend_schema(operation_id="rooms_members_remove", responses={204: None, **errors(400, 401, 403, 404, 409)})
    def delete(self, request: Request, room_id: int, user_id: int) -> Response:
        """Remove a member.

        Owners and admins remove a member of a lower role; the removed user's connections leave the room and the
        room gets `member_left` with reason `removed`. They may join a public room again (a ban keeps them out).
        """
        moderation.remove_member(actor=current_user(request), room_id=room_id, user_id=user_id)
        return Response(status=204)


class RoomBans(APIView):
    @extend_schema(operation_id="rooms_bans_list", responses={200: BanOut(many=True), **errors(401, 403, 404, 409)})
    def get(self, request: Request, room_id: int) -> Response:
        """A room's bans.

        The banned users of the room, newest first, for its owners and admins.
        """
        return Response(BanOut(moderation.bans_of(actor=current_user(request), room_id=room_id), many=True).data)


class RoomBanDetail(APIView):
    @extend_schema(
        operation_id="rooms_bans_add", request=None, responses={200: BanOut, **errors(400, 401, 403, 404, 409)}
    )
    def put(self, request: Request, room_id: int, user_id: int) -> Response:
        """Ban a user.

        Owners and admins ban a user of a lower role (a member is removed first, `member_left` with reason
        `banned`); a non-member can be banned ahead. A banned user cannot join again by id, invite code or
        socket. Banning twice is not an error.
        """
        ban = moderation.ban_member(actor=current_user(request), room_id=room_id, user_id=user_id)
        return Response(BanOut(ban).data)

    @extend_schema(operation_id="rooms_bans_remove", responses={204: None, **errors(401, 403, 404, 409)})
    def delete(self, request: Request, room_id: int, user_id: int) -> Response:
        """Lift a ban.

        The user may join again (membership is not restored). Unbanning twice is not an error.
        """
        moderation.unban_member(actor=current_user(request), room_id=room_id, user_id=user_id)
        return Response(status=204)


class DirectRooms(APIView):
    @extend_schema(
        operation_id="dms_open",
        request=DirectRoomIn,
        responses={201: RoomOut, 200: RoomOut, **errors(400, 401, 404, 415)},
    )
    def post(self, request: Request) -> Response:
        """Open a direct-message room.

        The private room of you and another active user (not yourself): 201 when created, 200 when it exists
        already (concurrent calls agree on one room). It has exactly the two users and appears in your rooms
        with `isDirect: true`.
        """
        payload = parse(DirectRoomIn, request.data)
        room, created = direct.open_direct_room(user=current_user(request), other_user_id=payload["userId"])
        return Response(RoomOut(room).data, status=201 if created else 200)
