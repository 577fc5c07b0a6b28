"""Invite links over REST: who creates, lists and revokes them, how POST /api/rooms/join honours them, their caps
and hostile input, and exact use counting under concurrent joins (threads, each with its own connection)."""

import concurrent.futures
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from chatbackend.errors import ChatError
from rooms import invites
from rooms.models import RoomBan, RoomInvite, RoomMember
from tests.support import assert_error, client_for, make_room, make_user

pytestmark = pytest.mark.django_db


def create(user: Any, room_id: int, body: Any = None) -> Any:
    return client_for(user).post(f"/api/rooms/{room_id}/invites", body if body is not None else {}, format="json")


def join(user: Any, code: str) -> Any:
    return client_for(user).post("/api/rooms/join", {"inviteCode": code}, format="json")


def test_an_owner_creates_a_link_that_a_stranger_joins_a_private_room_with() -> None:
    owner = make_user()
    room = make_room(creator=owner, private=True)

    created = create(owner, room.id, {"maxUses": 5, "expiresInSeconds": 3600})

    assert created.status_code == 201, created.content
    link = created.json()
    assert set(link) == {"code", "roomId", "maxUses", "uses", "expiresAt", "createdById", "createdAt"}
    assert (link["roomId"], link["maxUses"], link["uses"], link["createdById"]) == (room.id, 5, 0, owner.id)
    expires = RoomInvite.objects.get(code=link["code"]).expires_at
    assert expires is not None and timedelta(minutes=59) < expires - timezone.now() <= timedelta(hours=1)
    assert len(link["code"]) >= 22 and link["code"] != room.invite_code
    guest = make_user()
    joined = join(guest, link["code"])
    assert joined.status_code == 200 and joined.json()["id"] == room.id
    assert RoomMember.objects.filter(room=room, user=guest, role="member").exists()
    assert RoomInvite.objects.get(code=link["code"]).uses == 1


def test_a_link_without_limits_has_nulls_and_the_rooms_own_code_still_works() -> None:
    owner = make_user()
    room = make_room(creator=owner, private=True)
    link = create(owner, room.id).json()
    assert (link["maxUses"], link["expiresAt"]) == (None, None)
    assert create(owner, room.id, {"maxUses": None, "expiresInSeconds": None}).status_code == 201
    assert join(make_user(), link["code"]).status_code == 200
    assert join(make_user(), room.invite_code).status_code == 200
    assert RoomInvite.objects.get(code=link["code"]).uses == 1


def test_admins_manage_links_and_members_and_strangers_do_not() -> None:
    owner, admin, member = make_user(), make_user(), make_user()
    room = make_room(creator=owner, members=(admin, member))
    RoomMember.objects.filter(room=room, user=admin).update(role="admin")
    private = make_room(creator=owner, private=True)

    code = create(admin, room.id, {"maxUses": 2}).json()["code"]

    assert_error(create(member, room.id), 403, "insufficient_role")
    assert_error(client_for(member).get(f"/api/rooms/{room.id}/invites"), 403, "insufficient_role")
    assert_error(client_for(member).delete(f"/api/rooms/{room.id}/invites/{code}"), 403, "insufficient_role")
    assert_error(create(make_user(), room.id), 403, "not_room_member")
    assert_error(create(make_user(), private.id), 404, "room_not_found")
    assert_error(create(owner, private.id + 10_000), 404, "room_not_found")
    listed = client_for(owner).get(f"/api/rooms/{room.id}/invites")
    assert listed.status_code == 200 and [link["code"] for link in listed.json()] == [code]


def test_links_are_listed_newest_first_and_revoking_stops_one_at_once() -> None:
    owner = make_user()
    room = make_room(creator=owner)
    first, second = (create(owner, room.id).json()["code"] for _ in range(2))

    listed = client_for(owner).get(f"/api/rooms/{room.id}/invites").json()
    revoked = client_for(owner).delete(f"/api/rooms/{room.id}/invites/{first}")
    again = client_for(owner).delete(f"/api/rooms/{room.id}/invites/{first}")

    assert [link["code"] for link in listed] == [second, first]
    assert (revoked.status_code, again.status_code) == (204, 204)
    assert_error(join(make_user(), first), 403, "invalid_invite_code")
    assert join(make_user(), second).status_code == 200


def test_revoking_through_another_room_does_nothing() -> None:
    owner = make_user()
    room, other = make_room(creator=owner), make_room(creator=owner)
    code = create(owner, room.id).json()["code"]
    assert client_for(owner).delete(f"/api/rooms/{other.id}/invites/{code}").status_code == 204
    assert RoomInvite.objects.filter(code=code).exists()


def test_a_used_up_link_is_gone_with_410_and_members_pass_without_a_use() -> None:
    owner, first = make_user(), make_user()
    room = make_room(creator=owner, private=True)
    code = create(owner, room.id, {"maxUses": 1}).json()["code"]

    assert join(first, code).status_code == 200
    again = join(first, code)
    owner_joins = join(owner, code)
    refused = assert_error(join(make_user(), code), 410, "invite_expired")

    assert (again.status_code, owner_joins.status_code) == (200, 200)
    assert "expired or been used up" in refused["message"]
    assert RoomInvite.objects.get(code=code).uses == 1


def test_an_expired_link_is_gone_with_410() -> None:
    owner = make_user()
    room = make_room(creator=owner)
    code = create(owner, room.id, {"expiresInSeconds": 60}).json()["code"]
    RoomInvite.objects.filter(code=code).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_error(join(make_user(), code), 410, "invite_expired")
    assert RoomInvite.objects.get(code=code).uses == 0


def test_a_banned_user_is_refused_and_takes_no_use() -> None:
    owner, banned = make_user(), make_user()
    room = make_room(creator=owner)
    RoomBan.objects.create(room=room, user=banned, banned_by=owner)
    code = create(owner, room.id, {"maxUses": 1}).json()["code"]

    assert_error(join(banned, code), 403, "banned")
    assert RoomInvite.objects.get(code=code).uses == 0
    assert join(make_user(), code).status_code == 200


def test_link_codes_are_exact_and_unknown_ones_count_toward_the_wrong_code_limit() -> None:
    owner, guesser = make_user(), make_user()
    room = make_room(creator=owner)
    code = create(owner, room.id).json()["code"]
    assert_error(join(guesser, code.swapcase()), 403, "invalid_invite_code")
    with override_settings(CHAT={**_chat(), "THROTTLE_RATES": {"invite_code_failures": "3/hour"}}):
        answers = [join(guesser, f"guess-{index}").status_code for index in range(4)]
        assert answers == [403, 403, 429, 429]  # the swapped code was the first wrong one
        assert_error(join(guesser, code), 429, "rate_limited")


def test_a_spent_code_is_no_wrong_guess() -> None:
    owner, guest = make_user(), make_user()
    room = make_room(creator=owner)
    code = create(owner, room.id, {"maxUses": 1}).json()["code"]
    assert join(make_user(), code).status_code == 200
    with override_settings(CHAT={**_chat(), "THROTTLE_RATES": {"invite_code_failures": "2/hour"}}):
        for _ in range(4):
            assert_error(join(guest, code), 410, "invite_expired")
        assert join(guest, room.invite_code).status_code == 200


def _chat() -> dict[str, Any]:
    from django.conf import settings

    return dict(settings.CHAT)


@pytest.mark.parametrize(
    "body",
    [
        {"maxUses": 0},
        {"maxUses": -1},
        {"maxUses": 10_001},
        {"maxUses": 10**30},
        {"maxUses": 1.5},
        {"maxUses": 2.0},
        {"maxUses": "3"},
        {"maxUses": True},
        {"maxUses": [1]},
        {"maxUses": {"n": 1}},
        {"expiresInSeconds": 0},
        {"expiresInSeconds": -60},
        {"expiresInSeconds": 30 * 24 * 3600 + 1},
        {"expiresInSeconds": 1e300},
        {"expiresInSeconds": "60"},
        {"expiresInSeconds": False},
    ],
)
def test_hostile_limits_are_validation_errors(body: dict[str, Any]) -> None:
    owner = make_user()
    room = make_room(creator=owner)
    error = assert_error(create(owner, room.id, body), 400, "validation_error")
    assert set(error["details"]) == set(body)
    assert not RoomInvite.objects.exists()


def test_both_bad_limits_are_named_at_once_and_the_largest_allowed_ones_work() -> None:
    owner = make_user()
    room = make_room(creator=owner)
    error = assert_error(create(owner, room.id, {"maxUses": 0, "expiresInSeconds": "x"}), 400, "validation_error")
    assert set(error["details"]) == {"maxUses", "expiresInSeconds"}
    assert_error(create(owner, room.id, ["maxUses"]), 400, "validation_error")
    biggest = create(owner, room.id, {"maxUses": 10_000, "expiresInSeconds": 30 * 24 * 3600})
    assert biggest.status_code == 201 and biggest.json()["maxUses"] == 10_000


def test_the_service_refuses_bad_limits_itself() -> None:
    owner = make_user()
    room = make_room(creator=owner)
    for bad in ({"max_uses": 0}, {"max_uses": True}, {"expires_in_seconds": 10**9}):
        with pytest.raises(ChatError) as refused:
            invites.create_invite(actor=owner, room_id=room.id, **bad)
        assert refused.value.code == "validation_error"


def test_a_room_has_at_most_the_cap_of_live_links_and_spent_ones_make_room() -> None:
    owner = make_user()
    room = make_room(creator=owner)
    with override_settings(CHAT={**_chat(), "INVITES_PER_ROOM_MAX": 2}):
        first = create(owner, room.id, {"maxUses": 1}).json()["code"]
        create(owner, room.id)
        assert_error(create(owner, room.id), 409, "too_many_invites")
        assert join(make_user(), first).status_code == 200  # used up: no longer live
        assert create(owner, room.id).status_code == 201
    assert not RoomInvite.objects.filter(code=first).exists()
    assert RoomInvite.objects.filter(room=room).count() == 2


def test_direct_rooms_have_no_links() -> None:
    alice, bob = make_user(), make_user()
    shared = make_room(creator=alice, members=(bob,))
    dm = client_for(alice).post("/api/dms", {"userId": bob.id}, format="json").json()
    assert shared.id != dm["id"]
    assert_error(create(alice, dm["id"]), 409, "direct_room")


@pytest.mark.django_db(transaction=True)
def test_concurrent_joins_take_exactly_the_uses_a_link_has() -> None:
    owner = make_user()
    room = make_room(creator=owner)
    link = invites.create_invite(actor=owner, room_id=room.id, max_uses=3)
    guests = [make_user() for _ in range(12)]
    start = threading.Barrier(len(guests))

    def attempt(guest: Any) -> str:
        start.wait()
        try:
            invites.join_by_code(user=guest, invite_code=link.code)
            return "joined"
        except ChatError as refusal:
            return refusal.code
        finally:
            connection.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(guests)) as pool:
        outcomes = list(pool.map(attempt, guests))

    assert sorted(outcomes) == ["invite_expired"] * 9 + ["joined"] * 3, outcomes
    assert RoomInvite.objects.get(id=link.id).uses == 3
    assert RoomMember.objects.filter(room=room).count() == 4
