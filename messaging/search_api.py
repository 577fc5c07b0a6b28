"""REST entry point of message search (messaging/search.py)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import current_user
from chatbackend.errors import ValidationFailed
from chatbackend.schema import LIMIT_PARAMETER, cursor_parameter, errors
from chatbackend.validation import MAX_ID, clean_text_pattern, id_from_text, page_limit
from messaging import search
from messaging.api import HistoryPageOut
from messaging.serializers import message_json

Q_PARAMETER = OpenApiParameter(
    "q",
    {"type": "string", "minLength": 1, "pattern": clean_text_pattern(search.QUERY_MAX_LENGTH)},
    required=True,
    description=f"The words to find (trimmed, at most {search.QUERY_MAX_LENGTH} characters; the first "
    f"{search.MAX_TERMS} words count). Punctuation and operators are ignored: every word must be in the message; "
    "a q without any letter or digit finds nothing.",
)
ROOM_PARAMETER = OpenApiParameter(
    "roomId", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, description="Search this room only."
)


def room_id_param(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    room_id = id_from_text(raw)
    if room_id is None:
        raise ValidationFailed("roomId: must be a room id.", roomId=["Must be a positive integer."])
    return room_id


class Search(APIView):
    @extend_schema(
        operation_id="messages_search",
        parameters=[Q_PARAMETER, ROOM_PARAMETER, cursor_parameter(search.SEARCH_CURSOR_PATTERN), LIMIT_PARAMETER],
        responses={200: HistoryPageOut, **errors(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        """Search messages.

        Messages holding every word of `q`, from the rooms you are a member of (or the one `roomId` names),
        newest first, never deleted ones; `limit` per page (50 by default, at most 100) and `nextCursor` for
        older pages, as in history. Members only: a public room you have not joined is 403 `not_room_member`, a
        private one 404. Words are matched whole and case-insensitively through a full-text index. On
        MySQL/MariaDB, a search of only short words (under 3 letters) or stopwords checks the newest messages
        page by page: such a page may hold fewer than `limit` (even none) and still have a `nextCursor`.
        """
        params = request.query_params
        page = search.search_page(
            user=current_user(request),
            q=params.get("q"),
            room_id=room_id_param(params.get("roomId")),
            cursor=params.get("cursor") or None,
            limit=page_limit(params.get("limit")),
        )
        return Response({"messages": [message_json(m) for m in page.messages], "nextCursor": page.next_cursor})
