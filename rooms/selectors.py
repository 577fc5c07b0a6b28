"""Reads about rooms: lookups, membership questions, the caller's room list and a room's members."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, QuerySet, Value
from django.db.models.functions import Greatest

from accounts.models import User
from chatbackend.errors import RoomNotFound, ValidationFailed
from chatbackend.validation import id_from_text, is_id
from presence.services import online_user_ids_sync
from rooms.models import Room, RoomMember


def check_room_id(room_id: object) -> int:
    """The id, if a room could have it; raises RoomNotFound otherwise (without asking the database)."""
    if not is_id(room_id):
        raise RoomNotFound()
    return room_id


def get_room(room_id: int) -> Room:
    """The room with this id; raises RoomNotFound (also for ids no room can have)."""
    check_room_id(room_id)
    try:
        return Room.objects.get(id=room_id)
    except Room.DoesNotExist as exc:
        raise RoomNotFound() from exc


def is_member(*, user_id: int, room_id: int) -> bool:
    """True for a membership of an active account: a deactivated user's open socket is refused everywhere."""
    return RoomMember.objects.filter(room_id=room_id, user_id=user_id, user__is_active=True).exists()


def private_room_ids(room_ids: Iterable[int]) -> set[int]:
    """Which of these rooms are private."""
    return set(Room.objects.filter(id__in=set(room_ids), is_private=True).values_list("id", flat=True))


def rooms_for_user(user: User) -> QuerySet[Room]:
    """The rooms the user is a member of, oldest first, each with its newest message joined and annotated with
    the caller's `role`, `last_read_message_id` and `unread_count`, all in one query.

    Unread counts are a subtraction of sequence positions (Room.message_seq - RoomMember.read_seq), and the
    newest message is a maintained pointer (Room.last_message): no COUNT and no search, so the cost does not grow
    with the number of messages. (MariaDB cannot use a bound taken from the outer row as an index range, so a
    correlated COUNT walks every index entry of the room: ~0.1-1 s per room at 1M messages.)
    """
    return (
        Room.objects.filter(memberships__user=user)
        .select_related("last_message")
        .annotate(
            role=F("memberships__role"),  # the filter's join: the caller's own membership row
            last_read_message_id=F("memberships__last_read_message_id"),
            unread_count=Greatest(F("message_seq") - F("memberships__read_seq"), Value(0)),
        )
        .order_by("id")
    )


def shares_room(*, user_id: int, other_id: int) -> bool:
    """True if the two users are members of at least one common room (or are the same user)."""
    if user_id == other_id:
        return True
    mine = RoomMember.objects.filter(user_id=user_id).values("room_id")
    return RoomMember.objects.filter(user_id=other_id, room_id__in=mine).exists()


@dataclass(frozen=True)
class MembersPage:
    members: list[RoomMember]
    next_cursor: str | None


# The membership id after which the page starts (the OpenAPI schema states the pattern).
# (18 digits: every id below MAX_ID has at most 19, and the 19-digit ones above it are refused; none is that big.)
MEMBERS_CURSOR_PATTERN = r"^[0-9]{1,18}$"


def members_page(*, room: Room, cursor: str | None, limit: int) -> MembersPage:
    """Members in the order they joined, keyset-paginated on the membership id; `online` set on each."""
    memberships = RoomMember.objects.filter(room=room).select_related("user").order_by("id")
    if cursor:
        after = id_from_text(cursor, allow_zero=True)
        if after is None:
            raise ValidationFailed("cursor: not a cursor this API returned.", cursor=["Invalid cursor."])
        memberships = memberships.filter(id__gt=after)
    page = list(memberships[: limit + 1])
    has_more = len(page) > limit
    page = with_online(page[:limit])
    return MembersPage(members=page, next_cursor=str(page[-1].id) if has_more else None)


def with_online(memberships: list[RoomMember]) -> list[RoomMember]:
    """The memberships, each with `online` set from the presence store (one round trip for all)."""
    online = online_user_ids_sync([membership.user_id for membership in memberships])
    for membership in memberships:
        membership.online = membership.user_id in online  # type: ignore[attr-defined]
    return memberships


def co_member_ids(user_id: int) -> list[int]:
    """Ids of every other user who shares at least one room with this user."""
    room_ids = RoomMember.objects.filter(user_id=user_id).values("room_id")
    return list(
        RoomMember.objects.filter(room_id__in=room_ids)
        .exclude(user_id=user_id)
        .values_list("user_id", flat=True)
        .distinct()
    )
