"""The benchmark's raw seeding SQL keeps up with the messages table: a migration that adds a column without a
database default would otherwise break `make bench` on a fresh database only."""

import pytest

from bench.seed_history import history_room
from messaging.models import Message
from messaging.selectors import history_page
from rooms.models import Room


@pytest.mark.mysql  # the seed speaks MySQL (FROM_UNIXTIME), as the benchmark's database does
@pytest.mark.django_db(transaction=True)
def test_a_seeded_history_room_reads_back_as_an_ordinary_room() -> None:
    room_id = history_room(120)
    assert history_room(120) == room_id  # a complete room is reused
    room = Room.objects.get(id=room_id)
    assert room.message_seq == 120 and Message.objects.filter(room=room).count() == 120
    page = history_page(user=room.created_by, room_id=room_id, limit=50)
    assert [message.seq for message in page.messages] == list(range(120, 70, -1))  # newest first
    assert all(message.reply_count == 0 and message.attachment_count == 0 for message in page.messages)
