"""Reactions are capped (issue 13 #9): distinct emoji per message and per user, each a setting, with a clear error."""

from typing import Any

import pytest

from messaging.models import Message
from tests.support import assert_error, client_for, make_room, make_user


@pytest.fixture
def caps(settings: Any) -> None:
    settings.CHAT = {**settings.CHAT, "REACTIONS_PER_MESSAGE_MAX": 4, "REACTIONS_PER_USER_MAX": 3}


def react(user: Any, message: Message, emoji: str) -> Any:
    return client_for(user).post(f"/api/messages/{message.id}/reactions", {"emoji": emoji}, format="json")


@pytest.mark.django_db
def test_one_user_puts_at_most_the_per_user_cap_of_distinct_emoji_on_a_message(caps: None) -> None:
    member = make_user()
    room = make_room(creator=member)
    message = Message.objects.create(room=room, sender=member, content="hi", seq=1)

    assert [react(member, message, f"e{i}").status_code for i in range(3)] == [200, 200, 200]
    error = assert_error(react(member, message, "one too many"), 409, "too_many_reactions")
    assert "3" in error["message"]
    assert react(member, message, "e0").status_code == 200  # adding one already there stays idempotent
    message.refresh_from_db()
    assert message.reactions == {"e0": 1, "e1": 1, "e2": 1}


@pytest.mark.django_db
def test_a_message_carries_at_most_the_per_message_cap_of_distinct_emoji(caps: None) -> None:
    members = [make_user() for _ in range(3)]
    room = make_room(creator=members[0], members=tuple(members[1:]))
    message = Message.objects.create(room=room, sender=members[0], content="hi", seq=1)

    for index, emoji in enumerate(["a", "b", "c", "d"]):
        assert react(members[index % 3], message, emoji).status_code == 200
    assert_error(react(members[1], message, "e"), 409, "too_many_reactions")
    assert react(members[2], message, "a").status_code == 200  # an emoji already there can still be added
    message.refresh_from_db()
    assert len(message.reactions) == 4
