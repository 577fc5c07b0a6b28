"""Reads about rooms: lookups, membership questions, the caller's room list and a room's members."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from accounts.models import User
from chatbackend.errors import RoomNotFound, ValidationFailed
from chatbackend.validation import StrictIdField
from messaging.models import Message
from presence.services import online_user_ids_sync
from rooms.models import Room, RoomMember


def get_room(room_id: int) -> Room:
    """The room with this id; raises RoomNotFound (also for ids no room can have)."""
    if not isinstance(room_id, int) or isinstance(room_id, bool) or not 0 < room_id <= StrictIdField.MAX_ID:
        raise RoomNotFound()
    try:
        return Room.objects.get(id=room_id)
    except Room.DoesNotExist as exc:
        raise RoomNotFound() from exc


def is_member(*, user_id: int, room_id: int) -> bool:
    return RoomMember.objects.filter(room_id=room_id, user_id=user_id).exists()


def rooms_for_user(user: User) -> QuerySet[Room]:
    """The rooms the user is a member of, oldest first, each annotated in the same single query with the
    caller's `role`, `last_read_message_id`, `unread_count` and the newest message's columns (`last_message_*`).

    Unread counting is an index range count, capped: only the room's newest UNREAD_COUNT_CAP messages are
    considered (above the id of the (cap+1)-th newest, found by an OFFSET walk on the (room, id) index), so each
    room costs at most UNREAD_COUNT_CAP index entries however many million messages it holds. A count at the cap
    means "at least that many".
    """
    cap = int(settings.CHAT["UNREAD_COUNT_CAP"])
    room_messages = Message.objects.filter(room_id=OuterRef("pk")).order_by("-id")
    newest = {
        f"last_message_{column}": Subquery(room_messages.values(column)[:1])
        for column in ("id", "sender_id", "content", "created_at", "edited_at", "deleted_at")
    }
    unread = (
        Message.objects.filter(
            room_id=OuterRef("pk"),
            id__gt=Greatest(OuterRef("last_read_floor"), OuterRef("cap_floor")),
            deleted_at__isnull=True,
        )
        .exclude(sender_id=user.id)
        .order_by()
        .values("room_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    return (
        Room.objects.filter(memberships__user=user)
        .annotate(
            role=F("memberships__role"),  # the filter's join: the caller's own membership row
            last_read_message_id=F("memberships__last_read_message_id"),
            last_read_floor=Coalesce(F("memberships__last_read_message_id"), Value(0)),
            cap_floor=Coalesce(Subquery(room_messages.values("id")[cap : cap + 1]), Value(0)),
            **newest,
        )
        .annotate(unread_count=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)))
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


def members_page(*, room: Room, cursor: str | None, limit: int) -> MembersPage:
    """Members in the order they joined, keyset-paginated on the membership id; `online` set on each."""
    memberships = RoomMember.objects.filter(room=room).select_related("user").order_by("id")
    if cursor:
        if not (cursor.isascii() and cursor.isdigit() and len(cursor) < 20):
            raise ValidationFailed("cursor: not a cursor this API returned.", cursor=["Invalid cursor."])
        memberships = memberships.filter(id__gt=int(cursor))
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
