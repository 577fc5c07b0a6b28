"""The shapes the event reference shows, read from the code: a client event's payload fields from its definition,
a message's keys from `message_json`, a member's from `member_event`."""

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from accounts.models import User
from messaging.models import Message
from messaging.serializers import message_json
from rooms.models import RoomMember
from rooms.serializers import member_event


@dataclass(frozen=True)
class PayloadField:
    name: str
    type: str  # JSON: int, string, boolean, int[]
    required: bool


def payload_fields(definition: Any) -> list[PayloadField]:
    """The fields of a client event's payload definition, in order (a room id first).

    The one place that reads payload definitions (the dataclasses of messaging/realtime/payloads.py, whose fields
    say their JSON type through chatbackend.payloads): another kind of definition needs only this function to change.
    """
    json_types = {"integer": "int", "string": "string", "boolean": "boolean", "integers": "int[]"}
    fields = [
        PayloadField(item.name, json_types[item.metadata["json"]], item.default is dataclasses.MISSING)
        for item in dataclasses.fields(definition)
    ]
    return sorted(fields, key=lambda payload_field: payload_field.name != "roomId")


def shape(keys: Any) -> str:
    return "{" + ", ".join(keys) + "}"


def message_shape() -> str:
    """The keys of a message as every event and ack carries it (`message_json`)."""
    sample = Message(id=1, room_id=1, sender_id=1, content="", created_at=datetime(2025, 1, 1, tzinfo=UTC))
    return shape(message_json(sample))


def member_shape() -> str:
    """The keys of `member_joined` and `member_updated` (`member_event`)."""
    return shape(member_event(RoomMember(room_id=1, user=User(id=1, name="n"), role=RoomMember.Role.MEMBER)))
