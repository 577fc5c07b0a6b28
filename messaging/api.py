"""REST entry points of messaging: a room's history, sending, editing, deleting, reactions and read state."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import current_user
from chatbackend.schema import errors
from chatbackend.validation import page_limit, parse
from messaging import changes, selectors, services
from messaging.serializers import EditMessageIn, MarkReadIn, MessageIn, MessageOut, ReactionIn, message_json

HistoryPageOut = inline_serializer(
    "HistoryPageOut",
    {"messages": MessageOut(many=True), "nextCursor": serializers.CharField(allow_null=True)},
)


class RoomMessages(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("cursor", str, description="nextCursor of the previous page (opaque)."),
            OpenApiParameter(
                "after", int, description="Catch up: every message after this id, oldest first (paginated)."
            ),
            OpenApiParameter("limit", int, description="Page size: default 50, at most 100."),
        ],
        responses={200: HistoryPageOut, **errors(400, 401, 403, 404)},
    )
    def get(self, request: Request, room_id: int) -> Response:
        page = selectors.history_page(
            user=current_user(request),
            room_id=room_id,
            cursor=request.query_params.get("cursor") or None,
            after=selectors.parse_after(request.query_params.get("after")),
            limit=page_limit(request.query_params.get("limit")),
        )
        return Response({"messages": [message_json(m) for m in page.messages], "nextCursor": page.next_cursor})

    @extend_schema(request=MessageIn, responses={201: MessageOut, 200: MessageOut, **errors(400, 401, 403, 404, 429)})
    def post(self, request: Request, room_id: int) -> Response:
        payload = parse(MessageIn, request.data)
        message, created = services.send_message(
            sender=current_user(request),
            room_id=room_id,
            content=payload["content"],
            client_msg_id=payload["clientMsgId"],
        )
        return Response(message_json(message), status=201 if created else 200)


ReadStateOut = inline_serializer(
    "ReadStateOut", {"roomId": serializers.IntegerField(), "lastReadMessageId": serializers.IntegerField()}
)


class MessageDetail(APIView):
    @extend_schema(
        operation_id="messages_edit",
        request=EditMessageIn,
        responses={200: MessageOut, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, message_id: int) -> Response:
        payload = parse(EditMessageIn, request.data)
        message = changes.edit_message(editor=current_user(request), message_id=message_id, content=payload["content"])
        return Response(message_json(message))

    @extend_schema(operation_id="messages_delete", responses={200: MessageOut, **errors(401, 403, 404, 409)})
    def delete(self, request: Request, message_id: int) -> Response:
        message = changes.delete_message(deleter=current_user(request), message_id=message_id)
        return Response(message_json(message))


class MessageReactions(APIView):
    @extend_schema(
        operation_id="messages_reactions_add",
        request=ReactionIn,
        responses={200: MessageOut, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, message_id: int) -> Response:
        payload = parse(ReactionIn, request.data)
        message = changes.react(user=current_user(request), message_id=message_id, emoji=payload["emoji"], add=True)
        return Response(message_json(message))


class MessageReaction(APIView):
    @extend_schema(
        operation_id="messages_reactions_remove", responses={200: MessageOut, **errors(400, 401, 403, 404, 409)}
    )
    def delete(self, request: Request, message_id: int, emoji: str) -> Response:
        message = changes.react(user=current_user(request), message_id=message_id, emoji=emoji, add=False)
        return Response(message_json(message))


class RoomRead(APIView):
    @extend_schema(
        operation_id="rooms_mark_read", request=MarkReadIn, responses={200: ReadStateOut, **errors(400, 401, 403, 404)}
    )
    def post(self, request: Request, room_id: int) -> Response:
        payload = parse(MarkReadIn, request.data)
        position = changes.mark_read(user=current_user(request), room_id=room_id, message_id=payload["messageId"])
        return Response({"roomId": room_id, "lastReadMessageId": position})
