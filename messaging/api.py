"""REST entry points of messaging: a room's history, sending, replies, editing, deleting, reactions and read
state."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import current_user
from chatbackend.schema import AFTER_PARAMETER, LIMIT_PARAMETER, cursor_parameter, errors, text_path_parameter
from chatbackend.validation import page_limit, parse
from messaging import changes, selectors, services, threads
from messaging.serializers import EditMessageIn, MarkReadIn, MessageIn, MessageOut, ReactionIn, message_json

HistoryPageOut = inline_serializer(
    "HistoryPageOut",
    {"messages": MessageOut(many=True), "nextCursor": serializers.CharField(allow_null=True)},
)


class RoomMessages(APIView):
    @extend_schema(
        parameters=[cursor_parameter(selectors.CURSOR_PATTERN), AFTER_PARAMETER, LIMIT_PARAMETER],
        responses={200: HistoryPageOut, **errors(400, 401, 403, 404)},
    )
    def get(self, request: Request, room_id: int) -> Response:
        """A room's history.

        Newest first, `limit` per page (50 by default, at most 100), following `nextCursor` for older pages with
        no gap and no duplicate while messages arrive. With `after=<message id>`: everything after that id,
        oldest first (catch-up after a reconnect). Public rooms are readable by any signed-in user, private
        rooms by members.
        """
        page = selectors.history_page(
            user=current_user(request),
            room_id=room_id,
            cursor=request.query_params.get("cursor") or None,
            after=selectors.parse_after(request.query_params.get("after")),
            limit=page_limit(request.query_params.get("limit")),
        )
        return Response({"messages": [message_json(m) for m in page.messages], "nextCursor": page.next_cursor})

    @extend_schema(
        request=MessageIn, responses={201: MessageOut, 200: MessageOut, **errors(400, 401, 403, 404, 409, 429)}
    )
    def post(self, request: Request, room_id: int) -> Response:
        """Send a message.

        Stores a message from a member (content 1 to 4,000 characters after trimming), then delivers it to the
        room's connections as `receive_message`. A retry with the same `clientMsgId` stores and delivers nothing
        new and answers 200 with the first message. With `replyToId` it is a reply to that message of the room:
        the room also gets `thread_updated` with the message's new `replyCount` (404 `message_not_found` if the
        room has no such message, 409 `message_deleted` if it was deleted). `attachmentIds` attaches your uploads
        (POST /api/uploads), each to one message only (404 `attachment_not_found` for ids that are not your
        uploads, 409 `attachment_in_use` once attached); content may then be empty. At most MESSAGE_RATE_LIMIT
        sends per MESSAGE_RATE_WINDOW_MS per user and room (shared with socket sends): beyond, 429 `rate_limited`
        with `retryAfterMs`.
        """
        payload = parse(MessageIn, request.data)
        message, created = services.send_message(
            sender=current_user(request),
            room_id=room_id,
            content=payload["content"],
            client_msg_id=payload["clientMsgId"],
            reply_to_id=payload["replyToId"],
            attachment_ids=payload["attachmentIds"],
        )
        return Response(message_json(message), status=201 if created else 200)


class MessageReplies(APIView):
    @extend_schema(
        operation_id="messages_replies",
        parameters=[cursor_parameter(threads.CURSOR_PATTERN), LIMIT_PARAMETER],
        responses={200: HistoryPageOut, **errors(400, 401, 404)},
    )
    def get(self, request: Request, message_id: int) -> Response:
        """A message's replies.

        The thread of a message: its direct replies (deleted ones as tombstones), oldest first, `limit` per page
        (50 by default, at most 100), following `nextCursor` for newer ones. Readable by whoever can read the
        message's room (as history); a message of a private room you are not in is 404 `message_not_found`.
        """
        page = threads.thread_page(
            user=current_user(request),
            message_id=message_id,
            cursor=request.query_params.get("cursor") or None,
            limit=page_limit(request.query_params.get("limit")),
        )
        return Response({"messages": [message_json(m) for m in page.messages], "nextCursor": page.next_cursor})


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
        """Edit a message.

        The sender rewrites their message (not a deleted one); `editedAt` is set and the room gets
        `message_updated`.
        """
        payload = parse(EditMessageIn, request.data)
        message = changes.edit_message(editor=current_user(request), message_id=message_id, content=payload["content"])
        return Response(message_json(message))

    @extend_schema(operation_id="messages_delete", responses={200: MessageOut, **errors(401, 403, 404, 409)})
    def delete(self, request: Request, message_id: int) -> Response:
        """Delete a message.

        Soft delete by the sender, or by the room's owners and admins: content and reactions go, `deletedAt` is
        set, and the tombstone stays in history. The room gets `message_deleted`. Deleting twice is 409
        `message_deleted`.
        """
        message = changes.delete_message(deleter=current_user(request), message_id=message_id)
        return Response(message_json(message))


class MessageReactions(APIView):
    @extend_schema(
        operation_id="messages_reactions_add",
        request=ReactionIn,
        responses={200: MessageOut, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, message_id: int) -> Response:
        """React to a message.

        Adds your emoji (any text up to 32 characters) to a message of a room you are a member of; adding it
        again is not an error. The room gets `reaction_updated`; the answer is the message with its `reactions`
        counts.
        """
        payload = parse(ReactionIn, request.data)
        message = changes.react(user=current_user(request), message_id=message_id, emoji=payload["emoji"], add=True)
        return Response(message_json(message))


class MessageReaction(APIView):
    @extend_schema(
        operation_id="messages_reactions_remove",
        parameters=[
            text_path_parameter(
                "emoji", max_length=settings.CHAT["REACTION_MAX_LENGTH"], description="The emoji, URL-encoded."
            )
        ],
        responses={200: MessageOut, **errors(400, 401, 403, 404, 409)},
    )
    def delete(self, request: Request, message_id: int, emoji: str) -> Response:
        """Remove your reaction.

        Removes your emoji (URL-encoded in the path) from the message; removing it twice is not an error. The
        room gets `reaction_updated`.
        """
        message = changes.react(user=current_user(request), message_id=message_id, emoji=emoji, add=False)
        return Response(message_json(message))


class RoomRead(APIView):
    @extend_schema(
        operation_id="rooms_mark_read", request=MarkReadIn, responses={200: ReadStateOut, **errors(400, 401, 403, 404)}
    )
    def post(self, request: Request, room_id: int) -> Response:
        """Mark a room read.

        Moves your read position forward to this message of the room (it never moves back); `unreadCount` in
        your room list follows and the room gets `read_receipt`. Socket twin: `mark_read`.
        """
        payload = parse(MarkReadIn, request.data)
        position = changes.mark_read(user=current_user(request), room_id=room_id, message_id=payload["messageId"])
        return Response({"roomId": room_id, "lastReadMessageId": position})
