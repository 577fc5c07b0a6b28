"""message_json, the fast path of every socket event and history page, writes exactly what MessageOut documents."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from messaging.models import Message
from messaging.serializers import MessageOut, message_json


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"content": "héllo 👋🏽 <b>x</b>\n\ttab"},
        {"edited_at": datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)},
        {"deleted_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "content": ""},
        {"reactions": {"👍": 2, "🎉": 1}},
        {"created_at": datetime(2026, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))},
    ],
)
def test_message_json_matches_the_documented_serializer(fields: dict[str, object]) -> None:
    values: dict[str, object] = {
        "id": 12,
        "room_id": 3,
        "sender_id": 4,
        "content": "hi",
        "created_at": datetime(2026, 11, 26, 5, 6, 7, 123456, tzinfo=UTC),
        "seq": 1,
        **fields,
    }
    message = Message(**values)
    assert message_json(message) == dict(MessageOut(message).data)
