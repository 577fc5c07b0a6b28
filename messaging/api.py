"""REST entry points of messaging: a room's history, and sending through REST."""

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import current_user
from chatbackend.validation import parse
from messaging import selectors, services
from messaging.delivery import deliver_message_on_commit
from messaging.serializers import MessageIn, MessageOut


class RoomMessages(APIView):
    def get(self, request: Request, room_id: int) -> Response:
        page = selectors.history_page(
            user=current_user(request),
            room_id=room_id,
            cursor=request.query_params.get("cursor") or None,
            limit=selectors.history_limit(request.query_params.get("limit")),
        )
        return Response({"messages": MessageOut(page.messages, many=True).data, "nextCursor": page.next_cursor})

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
