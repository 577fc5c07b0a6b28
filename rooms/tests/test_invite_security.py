"""Invite codes and clientMsgId are compared exactly, and the wrong-code limit holds under concurrency
(issue 13 #5, #6); messages of private rooms one is not in are not found (#11)."""

import concurrent.futures
import os
import uuid
from collections.abc import Iterator

import pytest

from conftest import SERVER_ENV
from messaging.models import Message
from rooms.models import RoomMember
from tests.support import ServerProcess, assert_error, client_for, make_room, make_user, token_for
from tests.support.socketio_client import http


def swap_case(code: str) -> str:
    swapped = code.swapcase()
    assert swapped != code, "the code has letters"
    return swapped


@pytest.mark.django_db
def test_an_invite_code_with_its_letters_case_swapped_joins_nothing() -> None:
    room = make_room(private=True)
    room.invite_code = "AbCdEfGhIjKlMnOpQrStUv"
    room.save()
    intruder = make_user()

    by_code = client_for(intruder).post("/api/rooms/join", {"inviteCode": swap_case(room.invite_code)}, format="json")
    by_id = client_for(intruder).post(
        f"/api/rooms/{room.id}/join", {"inviteCode": swap_case(room.invite_code)}, format="json"
    )

    assert_error(by_code, 403, "invalid_invite_code")
    assert_error(by_id, 403, "invalid_invite_code")
    assert not RoomMember.objects.filter(room=room, user=intruder).exists()
    joined = client_for(intruder).post("/api/rooms/join", {"inviteCode": room.invite_code}, format="json")
    assert joined.status_code == 200


@pytest.mark.django_db
def test_client_msg_ids_differing_in_case_are_two_messages() -> None:
    member = make_user()
    room = make_room(creator=member)
    client = client_for(member)

    first = client.post(f"/api/rooms/{room.id}/messages", {"content": "one", "clientMsgId": "Msg-1"}, format="json")
    second = client.post(f"/api/rooms/{room.id}/messages", {"content": "two", "clientMsgId": "msg-1"}, format="json")
    retry = client.post(f"/api/rooms/{room.id}/messages", {"content": "one", "clientMsgId": "Msg-1"}, format="json")

    assert (first.status_code, second.status_code, retry.status_code) == (201, 201, 200)
    assert first.json()["id"] != second.json()["id"] and retry.json()["id"] == first.json()["id"]
    stored = list(Message.objects.filter(room=room).order_by("id").values_list("content", "client_msg_id"))
    assert stored == [("one", "Msg-1"), ("two", "msg-1")]


@pytest.mark.django_db
def test_editing_a_message_of_a_private_room_i_am_not_in_is_not_found_as_a_missing_one_is() -> None:
    owner = make_user()
    room = make_room(creator=owner, private=True)
    message = Message.objects.create(room=room, sender=owner, content="secret", seq=1)
    outsider = client_for(make_user())

    existing = outsider.patch(f"/api/messages/{message.id}", {"content": "x"}, format="json")
    missing = outsider.patch(f"/api/messages/{message.id + 10_000}", {"content": "x"}, format="json")

    assert assert_error(existing, 404, "message_not_found") == assert_error(missing, 404, "message_not_found")
    assert_error(outsider.delete(f"/api/messages/{message.id}"), 404, "message_not_found")
    assert_error(
        outsider.post(f"/api/messages/{message.id}/reactions", {"emoji": "x"}, format="json"), 404, "message_not_found"
    )
    for path in (f"/api/rooms/{room.id}", f"/api/rooms/{room.id}/messages", f"/api/rooms/{room.id}/members"):
        assert assert_error(outsider.get(path), 404, "room_not_found") == assert_error(
            outsider.get(path.replace(str(room.id), str(room.id + 10_000))), 404, "room_not_found"
        )


@pytest.fixture
def limited_servers(test_database_url: str) -> Iterator[list[ServerProcess]]:
    """Two processes on one Redis with a wrong-invite-code limit of 10 an hour."""
    env = {
        **SERVER_ENV,
        "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        "SOCKETIO_CHANNEL": f"chat-test-{uuid.uuid4().hex[:8]}",
        "THROTTLE_INVITE_CODE_FAILURES": "10/hour",
    }
    servers = [ServerProcess(database_url=test_database_url, env=env) for _ in range(2)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.mark.django_db(transaction=True)
@pytest.mark.server
def test_thirty_concurrent_wrong_codes_are_tried_at_most_ten_times(limited_servers: list[ServerProcess]) -> None:
    room = make_room(private=True)
    token = token_for(make_user())

    def guess(index: int) -> tuple[int, str]:
        server = limited_servers[index % 2]
        body = {"inviteCode": f"wrong-{index}"}
        status, answer = http("POST", f"{server.url}/api/rooms/{room.id}/join", token=token, body=body)
        return status, answer["error"]["code"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(guess, range(30)))

    assert answers.count((403, "invalid_invite_code")) == 10, answers
    assert answers.count((429, "rate_limited")) == 20, answers
    status, answer = http(
        "POST", f"{limited_servers[0].url}/api/rooms/{room.id}/join", token=token, body={"inviteCode": room.invite_code}
    )
    assert (status, answer["error"]["code"]) == (429, "rate_limited")
