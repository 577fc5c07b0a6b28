"""The Socket.IO payload definitions: checked like the REST serializers, readable by the docs, and the send path's
membership held by the subscription."""

import dataclasses
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chatbackend.errors import NotRoomMember, ValidationFailed
from chatbackend.payloads import parse_payload
from chatbackend.validation import parse
from messaging import serializers, services
from messaging.realtime import payloads, wire_json
from tests.support import make_room, make_user

PAIRS = [
    (payloads.SendMessage, serializers.SendMessageIn),
    (payloads.JoinRoom, serializers.JoinRoomIn),
    (payloads.LeaveRoom, serializers.LeaveRoomIn),
    (payloads.MarkRead, serializers.RoomMarkReadIn),
    (payloads.Typing, serializers.TypingIn),
]
INPUTS: list[Any] = [
    {"roomId": 3, "content": "hi"},
    {"roomId": "12", "content": "hi", "clientMsgId": "a-1"},
    {"roomId": 1, "content": "x", "clientMsgId": None, "extra": [1]},
    {"roomId": 1, "content": "", "attachmentIds": [1, "2"]},
    {"roomId": 1, "content": "x", "attachmentIds": [0, True]},
    {"roomId": 1, "content": "x", "attachmentIds": "1"},
    {"roomId": 1, "content": "x", "attachmentIds": None},
    {"roomId": 1, "content": "x", "attachmentIds": list(range(1, 102))},
    {},
    {"roomId": True, "content": 5},
    {"roomId": -1, "content": "\ud800"},
    {"roomId": None, "content": None},
    {"roomId": 2**63, "content": "x" * 100_001},
    {"roomId": 1, "after": 0},
    {"roomId": 1, "after": None, "leave": "yes"},
    {"roomId": 1, "leave": True, "isTyping": False, "messageId": 7},
    {"roomId": "01", "isTyping": 1, "messageId": "x"},
    {"roomId": 1, "content": "a reply", "replyToId": 7},
    {"roomId": 1, "content": "x", "replyToId": "12"},
    {"roomId": 1, "content": "x", "replyToId": None},
    {"roomId": 1, "content": "x", "replyToId": "seven"},
    {"roomId": 1, "content": "x", "replyToId": 1.5},
    {"roomId": 1, "content": "x", "replyToId": True},
    {"roomId": 1, "content": "x", "replyToId": 0},
    [1, 2],
    "room",
    None,
]


def _outcome(check: Any) -> tuple[str, Any]:
    try:
        return "ok", check()
    except ValidationFailed as error:
        return "refused", error.as_dict()


@pytest.mark.parametrize(("definition", "serializer"), PAIRS, ids=[pair[0].__name__ for pair in PAIRS])
@pytest.mark.parametrize("data", INPUTS)
def test_socket_payloads_are_checked_exactly_as_the_rest_serializers_check_them(
    definition: type, serializer: Any, data: Any
) -> None:
    mine = _outcome(lambda: dataclasses.asdict(parse_payload(definition, data)))
    theirs = _outcome(lambda: parse(serializer, data))
    assert mine == theirs


def test_payload_definitions_expose_their_wire_fields_and_json_types() -> None:
    fields = {
        item.name: (item.metadata["json"], item.default is dataclasses.MISSING)
        for item in dataclasses.fields(payloads.SendMessage)
    }
    assert fields == {
        "content": ("string", True),
        "clientMsgId": ("string", False),
        "replyToId": ("integer", False),
        "attachmentIds": ("integers", False),
        "roomId": ("integer", True),
    }


def test_the_packet_codec_reads_what_orjson_refuses_and_writes_what_it_cannot() -> None:
    assert wire_json.loads('["send_message",{"content":"\\ud800"}]') == ["send_message", {"content": "\ud800"}]
    assert wire_json.dumps({1: "a", "b": 2**70}) == '{"1":"a","b":1180591620717411303424}'
    assert wire_json.dumps(["receive_message", {"content": "é"}]) == '["receive_message",{"content":"é"}]'


@pytest.mark.django_db
def test_a_send_from_a_subscribed_connection_skips_the_membership_query() -> None:
    sender = make_user()
    room = make_room(creator=sender)
    checked = services.prepare_send(sender=sender, room_id=room.id, content="checked in the batch")
    held = services.prepare_send(sender=sender, room_id=room.id, content="held", member=True)
    with CaptureQueriesContext(connection) as unheld:
        services.store_messages([checked])
    with CaptureQueriesContext(connection) as subscribed:
        [result] = services.store_messages([held])
    assert result.created
    missing = [q["sql"] for q in unheld.captured_queries if q["sql"].startswith("SELECT m.room_id, m.user_id")]
    assert len(missing) == 1
    assert len(subscribed.captured_queries) == len(unheld.captured_queries) - 1
    assert missing[0] not in [q["sql"] for q in subscribed.captured_queries]


@pytest.mark.django_db
def test_a_send_held_by_a_subscription_to_a_private_room_is_stored() -> None:
    sender = make_user()
    room = make_room(creator=sender, private=True)
    held = services.prepare_send(sender=sender, room_id=room.id, content="in private", member=True)
    [result] = services.store_messages([held])
    assert result.error is None and result.created


@pytest.mark.django_db
def test_a_send_from_a_connection_not_subscribed_is_checked_in_the_database() -> None:
    stranger = make_user()
    room = make_room()
    draft = services.prepare_send(sender=stranger, room_id=room.id, content="not a member")
    [result] = services.store_messages([draft])
    assert isinstance(result.error, NotRoomMember)
