"""REST entry points of rooms: list, create, join by id or by invite code."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import current_user
from chatbackend.schema import errors
from chatbackend.validation import StrictBooleanField, StrictCharField, parse
from rooms import selectors, services
from rooms.models import Room


class RoomOut(serializers.ModelSerializer[Room]):
    isPrivate = serializers.BooleanField(source="is_private")
    inviteCode = serializers.CharField(source="invite_code")
    createdById = serializers.IntegerField(source="created_by_id")
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Room
        fields = ["id", "name", "isPrivate", "inviteCode", "createdById", "createdAt"]


class CreateRoomIn(serializers.Serializer[Any]):
    name = StrictCharField(max_length=10_000)
    isPrivate = StrictBooleanField(required=False, default=False)


class JoinRoomIn(serializers.Serializer[Any]):
    inviteCode = StrictCharField(max_length=1_000, required=False, allow_null=True, default=None)


class JoinByCodeIn(serializers.Serializer[Any]):
    inviteCode = StrictCharField(max_length=1_000)


class Rooms(APIView):
    @extend_schema(responses={200: RoomOut(many=True), **errors(401)})
    def get(self, request: Request) -> Response:
        return Response(RoomOut(selectors.rooms_for_user(current_user(request)), many=True).data)

    @extend_schema(request=CreateRoomIn, responses={201: RoomOut, **errors(400, 401, 413, 415)})
    def post(self, request: Request) -> Response:
        payload = parse(CreateRoomIn, request.data)
        room = services.create_room(
            creator=current_user(request), name=payload["name"], is_private=payload["isPrivate"]
        )
        return Response(RoomOut(room).data, status=201)


class JoinRoom(APIView):
    @extend_schema(
        operation_id="rooms_join", request=JoinRoomIn, responses={200: RoomOut, **errors(400, 401, 403, 404, 415)}
    )
    def post(self, request: Request, room_id: int) -> Response:
        payload = parse(JoinRoomIn, request.data)
        room = services.join_room(user=current_user(request), room_id=room_id, invite_code=payload["inviteCode"])
        return Response(RoomOut(room).data)


class JoinRoomByCode(APIView):
    @extend_schema(
        operation_id="rooms_join_by_code", request=JoinByCodeIn, responses={200: RoomOut, **errors(400, 401, 404, 415)}
    )
    def post(self, request: Request) -> Response:
        payload = parse(JoinByCodeIn, request.data)
        room = services.join_room_by_code(user=current_user(request), invite_code=payload["inviteCode"])
        return Response(RoomOut(room).data)
