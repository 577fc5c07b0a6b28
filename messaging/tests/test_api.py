"""The messaging REST API: a room's history pages, and sending over REST with its checks and rate limit."""

import json
from datetime import datetime
from typing import Any

import pytest
from pytest_django import DjangoAssertNumQueries
from rest_framework.test import APIClient

from accounts.models import User
from messaging.models import Message
from rooms.models import Room
from tests.support import MESSAGE_FIELDS, assert_error, client_for, make_messages, make_room, make_user


def history(client: APIClient, room: Room, **params: Any) -> Any:
    return client.get(f"/api/rooms/{room.id}/messages", params)


def send(client: APIClient, room: Room, content: Any, **extra: Any) -> Any:
    return client.post(f"/api/rooms/{room.id}/messages", {"content": content, **extra}, format="json")


def walk(client: APIClient, room: Room, *, limit: int, between_pages: Any = None) -> list[int]:
    """Every message id reached by following nextCursor from the newest page to the last one."""
    ids: list[int] = []
    params: dict[str, Any] = {"limit": limit}
    for _ in range(1_000):
        body = history(client, room, **params).json()
        ids += [message["id"] for message in body["messages"]]
        if body["nextCursor"] is None:
            return ids
        assert len(body["messages"]) == limit
        params["cursor"] = body["nextCursor"]
        if between_pages is not None:
            between_pages()
    raise AssertionError("the cursor never ended")


def room_with_member(*, private: bool = False) -> tuple[Room, User]:
    member = make_user()
    return make_room(private=private, members=(member,)), member


# GET /api/rooms/:id/messages


@pytest.mark.django_db
def test_history_is_newest_first_with_message_fields() -> None:
    room, member = room_with_member()
    stored = make_messages(room, member, 3)

    response = history(client_for(member), room)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"messages", "nextCursor"}
    assert body["nextCursor"] is None
    assert [message["id"] for message in body["messages"]] == [m.id for m in reversed(stored)]
    newest = body["messages"][0]
    assert set(newest) == MESSAGE_FIELDS
    assert newest == {
        "id": stored[-1].id,
        "roomId": room.id,
        "senderId": member.id,
        "content": "message 2",
        "createdAt": newest["createdAt"],
        "editedAt": None,
        "deletedAt": None,
        "reactions": {},
        "replyToId": None,
        "replyCount": 0,
        "attachments": [],
    }
    for message in body["messages"]:
        assert isinstance(message["id"], int) and isinstance(message["roomId"], int)
        assert isinstance(message["senderId"], int)
        assert message["createdAt"].endswith("Z")
        assert datetime.fromisoformat(message["createdAt"]).utcoffset() is not None


@pytest.mark.django_db
def test_history_of_an_empty_room_is_an_empty_last_page() -> None:
    room, member = room_with_member()

    assert history(client_for(member), room).json() == {"messages": [], "nextCursor": None}


@pytest.mark.django_db
def test_history_holds_only_this_rooms_messages() -> None:
    room, member = room_with_member()
    other = make_room(members=(member,))
    make_messages(other, member, 3)
    mine = make_messages(room, member, 2)

    ids = [message["id"] for message in history(client_for(member), room).json()["messages"]]

    assert ids == [m.id for m in reversed(mine)]


@pytest.mark.django_db
def test_history_page_is_50_by_default() -> None:
    room, member = room_with_member()
    make_messages(room, member, 51)

    body = history(client_for(member), room).json()

    assert len(body["messages"]) == 50
    assert body["nextCursor"] is not None


@pytest.mark.django_db
@pytest.mark.parametrize("limit", ["1000", "101", "9999999999999999999999"])
def test_history_limit_is_capped_at_100(limit: str) -> None:
    room, member = room_with_member()
    make_messages(room, member, 120)

    body = history(client_for(member), room, limit=limit).json()

    assert len(body["messages"]) == 100
    assert body["nextCursor"] is not None


@pytest.mark.django_db
@pytest.mark.parametrize("limit", ["7", "007", "0000000007"])
def test_history_limit_is_honoured_below_the_cap(limit: str) -> None:
    room, member = room_with_member()
    make_messages(room, member, 10)

    assert len(history(client_for(member), room, limit=limit).json()["messages"]) == 7


@pytest.mark.django_db
@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1.5", "1e3", "0000000", "٣", " 5"])
def test_history_refuses_a_limit_that_is_not_a_positive_integer(limit: str) -> None:
    room, member = room_with_member()

    error = assert_error(history(client_for(member), room, limit=limit), 400, "validation_error")
    assert "limit" in error["details"]


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["garbage", "bTow", "bTotNQ", "eDox", "bTphYmM", "%%%", "é", "m:5", "9" * 5000])
def test_history_refuses_an_invalid_cursor(cursor: str) -> None:
    room, member = room_with_member()
    make_messages(room, member, 3)

    error = assert_error(history(client_for(member), room, cursor=cursor), 400, "validation_error")
    assert "cursor" in error["details"]


@pytest.mark.django_db
def test_next_cursor_is_null_on_a_last_page_that_is_exactly_full() -> None:
    room, member = room_with_member()
    make_messages(room, member, 20)
    client = client_for(member)

    first = history(client, room, limit=10).json()
    second = history(client, room, limit=10, cursor=first["nextCursor"]).json()

    assert len(second["messages"]) == 10
    assert second["nextCursor"] is None


@pytest.mark.django_db
def test_walking_history_yields_every_message_once_in_descending_order() -> None:
    room, member = room_with_member()
    stored = make_messages(room, member, 260)

    ids = walk(client_for(member), room, limit=37)

    assert ids == sorted((m.id for m in stored), reverse=True)


@pytest.mark.django_db
def test_walking_history_while_messages_arrive_has_no_gap_and_no_duplicate() -> None:
    room, member = room_with_member()
    other = make_user()
    stored = make_messages(room, member, 260)
    arrivals: list[Message] = []

    def new_messages_arrive() -> None:
        arrivals.extend(make_messages(room, other, 5, prefix="late"))

    ids = walk(client_for(member), room, limit=37, between_pages=new_messages_arrive)

    assert arrivals  # the walk did see new messages arrive
    assert ids == sorted((m.id for m in stored), reverse=True)


@pytest.mark.django_db
def test_public_history_is_readable_by_a_signed_in_non_member() -> None:
    room, member = room_with_member()
    stored = make_messages(room, member, 2)

    response = history(client_for(make_user()), room)

    assert response.status_code == 200
    assert [message["id"] for message in response.json()["messages"]] == [m.id for m in reversed(stored)]


@pytest.mark.django_db
def test_non_member_cannot_read_private_history() -> None:
    room, member = room_with_member(private=True)
    make_messages(room, member, 2)

    assert_error(history(client_for(make_user()), room), 404, "room_not_found")


@pytest.mark.django_db
def test_member_reads_private_history() -> None:
    room, member = room_with_member(private=True)
    make_messages(room, member, 2)

    assert len(history(client_for(member), room).json()["messages"]) == 2


@pytest.mark.django_db
def test_history_needs_a_token() -> None:
    room, _ = room_with_member()
    assert_error(history(APIClient(), room), 401, "not_authenticated")


@pytest.mark.django_db
@pytest.mark.parametrize("offset", [1_000_000])
def test_history_of_an_unknown_room_is_not_found(offset: int) -> None:
    room, member = room_with_member()

    response = client_for(member).get(f"/api/rooms/{room.id + offset}/messages")

    assert_error(response, 404, "room_not_found")


@pytest.mark.django_db
def test_history_of_a_huge_room_id_is_not_found() -> None:
    response = client_for(make_user()).get("/api/rooms/99999999999999999999/messages")

    assert_error(response, 404, "room_not_found")


@pytest.mark.django_db
@pytest.mark.parametrize(("private", "queries"), [(False, 3), (True, 4)])
def test_history_page_costs_a_fixed_number_of_queries(
    django_assert_num_queries: DjangoAssertNumQueries, private: bool, queries: int
) -> None:
    room, member = room_with_member(private=private)
    senders = [make_user() for _ in range(5)]
    for sender in senders:
        make_messages(room, sender, 20)
    client = client_for(member)
    cursor = history(client, room).json()["nextCursor"]

    # the token's user, the room, (membership of a private room,) the page
    with django_assert_num_queries(queries):
        response = history(client, room, cursor=cursor, limit=100)

    assert len(response.json()["messages"]) == 50


@pytest.mark.django_db
def test_history_path_answers_with_a_trailing_slash_too() -> None:
    room, member = room_with_member()
    make_messages(room, member, 1)

    assert len(client_for(member).get(f"/api/rooms/{room.id}/messages/").json()["messages"]) == 1


# POST /api/rooms/:id/messages


@pytest.mark.django_db
def test_send_returns_201_with_the_stored_message() -> None:
    room, member = room_with_member()

    response = send(client_for(member), room, "  hello  ")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == MESSAGE_FIELDS
    stored = Message.objects.get(room=room)
    assert body["id"] == stored.id
    assert body["roomId"] == room.id
    assert body["senderId"] == member.id
    assert body["content"] == "hello" == stored.content
    assert body["createdAt"].endswith("Z")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content", ["héllo 👋🏽 🎉", "🎉" * 4000, "é" * 4000, "x" * 4000, "line one\n\tindented\nline three", "<b>x</b>"]
)
def test_content_round_trips_exactly_through_send_and_history(content: str) -> None:
    room, member = room_with_member()
    client = client_for(member)

    sent = send(client, room, content)
    read = history(client, room).json()["messages"]

    assert sent.status_code == 201
    assert sent.json()["content"] == content
    assert [message["content"] for message in read] == [content]
    assert Message.objects.get(id=sent.json()["id"]).content == content


@pytest.mark.django_db
def test_content_is_trimmed_before_its_length_is_checked() -> None:
    room, member = room_with_member()

    response = send(client_for(member), room, "  " + "x" * 4000 + "\n")

    assert response.status_code == 201
    assert response.json()["content"] == "x" * 4000


@pytest.mark.django_db
@pytest.mark.parametrize("content", ["x" * 4001, "🎉" * 4001])
def test_content_over_4000_characters_is_refused(content: str) -> None:
    room, member = room_with_member()

    error = assert_error(send(client_for(member), room, content), 400, "validation_error")

    assert "content" in error["details"]
    assert not Message.objects.filter(room=room).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("content", ["", "   ", "\n\t \n", "\x00", "\x07\x1b\x7f", " \x00 \x9f "])
def test_content_that_is_empty_once_cleaned_is_refused(content: str) -> None:
    room, member = room_with_member()

    error = assert_error(send(client_for(member), room, content), 400, "validation_error")

    assert "content" in error["details"]
    assert not Message.objects.filter(room=room).exists()


@pytest.mark.django_db
def test_control_characters_are_stripped_but_newline_and_tab_kept() -> None:
    room, member = room_with_member()

    response = send(client_for(member), room, "a\x00b\x07c\x1bd\n\te\x7f")

    assert response.status_code == 201
    assert response.json()["content"] == "abcd\n\te"
    assert Message.objects.get(room=room).content == "abcd\n\te"


@pytest.mark.django_db
def test_html_is_stored_as_written() -> None:
    room, member = room_with_member()

    send(client_for(member), room, "<b>x</b> & <script>alert(1)</script>")

    assert Message.objects.get(room=room).content == "<b>x</b> & <script>alert(1)</script>"


@pytest.mark.django_db
@pytest.mark.parametrize("content", [123, None, True, ["hi"], {"text": "hi"}])
def test_send_refuses_content_that_is_not_a_string(content: Any) -> None:
    room, member = room_with_member()

    error = assert_error(send(client_for(member), room, content), 400, "validation_error")

    assert "content" in error["details"]
    assert not Message.objects.filter(room=room).exists()


@pytest.mark.django_db
def test_send_refuses_a_missing_content() -> None:
    room, member = room_with_member()

    response = client_for(member).post(f"/api/rooms/{room.id}/messages", {}, format="json")

    assert "content" in assert_error(response, 400, "validation_error")["details"]


@pytest.mark.django_db
def test_send_refuses_content_that_is_not_valid_unicode() -> None:
    room, member = room_with_member()
    body = json.dumps({"content": "x"}).replace('"x"', '"bad \\udc00 text"')

    response = client_for(member).post(f"/api/rooms/{room.id}/messages", body, content_type="application/json")

    assert "content" in assert_error(response, 400, "validation_error")["details"]
    assert not Message.objects.filter(room=room).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("private", [False, True])
def test_non_member_cannot_send(private: bool) -> None:
    room, _ = room_with_member(private=private)

    # A private room of others is not found, as a missing one is; a public one says why.
    status, code = (404, "room_not_found") if private else (403, "not_room_member")
    assert_error(send(client_for(make_user()), room, "let me in"), status, code)
    assert not Message.objects.filter(room=room).exists()


@pytest.mark.django_db
def test_send_to_an_unknown_room_is_not_found() -> None:
    room, member = room_with_member()

    response = client_for(member).post(f"/api/rooms/{room.id + 1_000_000}/messages", {"content": "hi"}, format="json")

    assert_error(response, 404, "room_not_found")


@pytest.mark.django_db
def test_send_needs_a_token() -> None:
    room, _ = room_with_member()
    assert_error(send(APIClient(), room, "hi"), 401, "not_authenticated")


@pytest.mark.django_db
def test_send_refuses_malformed_json() -> None:
    room, member = room_with_member()
    response = client_for(member).post(
        f"/api/rooms/{room.id}/messages", '{"content": ', content_type="application/json"
    )

    assert_error(response, 400, "malformed_request")


@pytest.mark.django_db
def test_send_retry_with_the_same_client_msg_id_returns_the_first_message() -> None:
    room, member = room_with_member()
    client = client_for(member)

    first = send(client, room, "once", clientMsgId="c-1")
    retry = send(client, room, "once", clientMsgId="c-1")

    assert first.status_code == 201
    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert Message.objects.filter(room=room).count() == 1


# Rate limit


@pytest.mark.django_db
def test_sixth_send_within_the_window_is_rate_limited_and_not_stored() -> None:
    room, member = room_with_member()
    client = client_for(member)

    accepted = [send(client, room, f"m{i}").status_code for i in range(5)]
    refused = send(client, room, "one too many")

    assert accepted == [201] * 5
    error = assert_error(refused, 429, "rate_limited")
    assert isinstance(error["retryAfterMs"], int) and error["retryAfterMs"] > 0
    assert error["details"]["retryAfterMs"] == error["retryAfterMs"]
    assert int(refused.headers["Retry-After"]) >= 1
    assert list(Message.objects.filter(room=room).values_list("content", flat=True).order_by("id")) == [
        f"m{i}" for i in range(5)
    ]


@pytest.mark.django_db
def test_rate_limit_leaves_other_rooms_and_other_users_alone() -> None:
    room, member = room_with_member()
    other_user = make_user()
    other_room = make_room(members=(member,))
    room.memberships.create(user=other_user)
    client = client_for(member)
    for i in range(5):
        send(client, room, f"m{i}")
    assert send(client, room, "limited").status_code == 429

    assert send(client, other_room, "elsewhere").status_code == 201
    assert send(client_for(other_user), room, "someone else").status_code == 201


@pytest.mark.django_db
def test_a_retry_of_a_stored_send_is_not_rate_limited() -> None:
    room, member = room_with_member()
    client = client_for(member)
    first = send(client, room, "m0", clientMsgId="retry-me")
    for i in range(1, 5):
        send(client, room, f"m{i}")

    retry = send(client, room, "m0", clientMsgId="retry-me")

    assert retry.status_code == 200
    assert retry.json()["id"] == first.json()["id"]
