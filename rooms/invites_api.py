"""REST entry points of joining by code and of invite links: create, list and revoke a room's links."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import current_user
from chatbackend.schema import errors
from chatbackend.validation import RAW_WORD_MAX_LENGTH, StrictCharField, StrictIntegerField, parse
from rooms import invites
from rooms.serializers import InviteOut, RoomOut

CHAT = settings.CHAT


class JoinByCodeIn(serializers.Serializer[Any]):
    inviteCode = StrictCharField(
        max_length=RAW_WORD_MAX_LENGTH,
        cleaned_max_length=CHAT["INVITE_CODE_MAX_LENGTH"],
        help_text="A room's invite code or an invite link's code.",
    )


class CreateInviteIn(serializers.Serializer[Any]):
    maxUses = StrictIntegerField(
        min_value=1,
        max_value=CHAT["INVITE_MAX_USES"],
        required=False,
        allow_null=True,
        default=None,
        help_text="How many joins the link admits; absent or null: no limit.",
    )
    expiresInSeconds = StrictIntegerField(
        min_value=1,
        max_value=CHAT["INVITE_MAX_SECONDS"],
        required=False,
        allow_null=True,
        default=None,
        help_text="How long the link works, from now; absent or null: until revoked.",
    )


CODE_PARAMETER = OpenApiParameter("code", str, location=OpenApiParameter.PATH, description="The invite link's `code`.")


class JoinRoomByCode(APIView):
    @extend_schema(
        operation_id="rooms_join_by_code", request=JoinByCodeIn, responses={200: RoomOut, **errors(403, 410, 429)}
    )
    def post(self, request: Request) -> Response:
        """Join a room by invite code or invite link.

        Joins whichever room the code belongs to (public or private): a room's own `inviteCode`, or the `code` of
        one of its invite links. A code nobody has is refused as a wrong one is (403 `invalid_invite_code`), and
        wrong codes are throttled per user. A link that expired or is used up answers 410 `invite_expired`; each
        new member takes one use (members pass without taking one). The room's connections get `member_joined`.
        """
        payload = parse(JoinByCodeIn, request.data)
        room = invites.join_by_code(user=current_user(request), invite_code=payload["inviteCode"])
        return Response(RoomOut(room).data)


class RoomInvites(APIView):
    @extend_schema(
        operation_id="rooms_invites_list", responses={200: InviteOut(many=True), **errors(401, 403, 404, 409)}
    )
    def get(self, request: Request, room_id: int) -> Response:
        """A room's invite links.

        The room's invite links, newest first, with their uses, for its owners and admins. Spent links (expired or
        used up) are listed until the next one is created.
        """
        links = invites.invites_of(actor=current_user(request), room_id=room_id)
        return Response(InviteOut(links, many=True).data)

    @extend_schema(
        operation_id="rooms_invites_create",
        request=CreateInviteIn,
        responses={201: InviteOut, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, room_id: int) -> Response:
        """Create an invite link.

        Owners and admins create a link whose `code` joins the room by `POST /api/rooms/join`, at most `maxUses`
        times (1 to 10,000) and for `expiresInSeconds` (1 to 30 days); either may be left out for no limit. A room
        has at most INVITES_PER_ROOM_MAX live links (409 `too_many_invites`); creating one deletes the spent ones.
        Direct-message rooms have none (409 `direct_room`).
        """
        payload = parse(CreateInviteIn, request.data)
        invite = invites.create_invite(
            actor=current_user(request),
            room_id=room_id,
            max_uses=payload["maxUses"],
            expires_in_seconds=payload["expiresInSeconds"],
        )
        return Response(InviteOut(invite).data, status=201)


class RoomInviteDetail(APIView):
    @extend_schema(
        operation_id="rooms_invites_revoke",
        parameters=[CODE_PARAMETER],
        responses={204: None, **errors(401, 403, 404, 409)},
    )
    def delete(self, request: Request, room_id: int, code: str) -> Response:
        """Revoke an invite link.

        Owners and admins delete the link: its code stops working at once (then `invalid_invite_code`). Revoking
        twice is not an error.
        """
        invites.revoke_invite(actor=current_user(request), room_id=room_id, code=code)
        return Response(status=204)
