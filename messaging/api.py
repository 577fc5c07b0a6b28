"""REST entry points of messaging: a room's history, and sending through REST."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import current_user
from chatbackend.schema import errors
from chatbackend.validation import parse
from messaging import selectors, services
from messaging.delivery import deliver_message_on_commit
from messaging.serializers import MessageIn, MessageOut

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
            limit=selectors.history_limit(request.query_params.get("limit")),
        )
        return Response({"messages": MessageOut(page.messages, many=True).data, "nextCursor": page.next_cursor})

    @extend_schema(request=MessageIn, responses={201: MessageOut, 200: MessageOut, **errors(400, 401, 403, 404, 429)})
    def post(self, request: Request, room_id: int) -> Response:
        payload = parse(MessageIn, request.data)
        message, created = services.send_message(
            sender=current_user(request),
            room_id=room_id,
            content=payload["content"],
            client_msg_id=payload["clientMsgId"],
        )
        if created:
            deliver_message_on_commit(message)
        return Response(MessageOut(message).data, status=201 if created else 200)
