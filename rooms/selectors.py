"""Reads about rooms: lookups, membership questions and the caller's room list."""

from django.db.models import QuerySet

from accounts.models import User
from chatbackend.errors import RoomNotFound
from chatbackend.validation import StrictIdField
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
    """The rooms the user is a member of, oldest first."""
    return Room.objects.filter(memberships__user=user).order_by("id")


def co_member_ids(user_id: int) -> list[int]:
    """Ids of every other user who shares at least one room with this user."""
    room_ids = RoomMember.objects.filter(user_id=user_id).values("room_id")
    return list(
        RoomMember.objects.filter(room_id__in=room_ids)
        .exclude(user_id=user_id)
        .values_list("user_id", flat=True)
        .distinct()
    )
