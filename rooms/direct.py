"""Direct messages: the one private two-member room of two users.

The rule: a direct message needs a room in common. A stranger cannot open one, and the answer for a stranger,
a missing and an inactive user is the same 404, so the endpoint tells nobody who exists. Either user may leave
a direct room; opening it again (which needs a room in common still) comes back to it and its history.
"""

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import User
from chatbackend.errors import UserNotFound, ValidationFailed
from rooms.models import Room, RoomMember
from rooms.selectors import shares_room


def direct_key(user_id: int, other_id: int) -> str:
    low, high = sorted((user_id, other_id))
    return f"{low}:{high}"


def open_direct_room(*, user: User, other_user_id: int) -> tuple[Room, bool]:
    """The direct room of the two users, created on first call; returns (room, created). Raises UserNotFound
    unless the other user is active and shares a room with the caller.

    Idempotent under concurrent calls from either side: the unique `direct_key` lets one insert win, and the
    loser reads the winner's room.
    """
    if other_user_id == user.id:
        raise ValidationFailed("userId: a direct message needs another user.", userId=["Is yourself."])
    other = User.objects.filter(id=other_user_id, is_active=True).first()
    if other is None or not shares_room(user_id=user.id, other_id=other.id):
        raise UserNotFound()
    key = direct_key(user.id, other.id)
    existing = Room.objects.filter(direct_key=key).first()
    if existing is not None:
        RoomMember.objects.get_or_create(room=existing, user=user)  # back after leaving it
        return existing, False
    name = f"{user.name}, {other.name}"[: settings.CHAT["NAME_MAX_LENGTH"]]
    try:
        with transaction.atomic():
            room = Room.objects.create(name=name, is_private=True, is_direct=True, direct_key=key, created_by=user)
            RoomMember.objects.bulk_create([RoomMember(room=room, user=user), RoomMember(room=room, user=other)])
    except IntegrityError:
        return Room.objects.get(direct_key=key), False  # the concurrent call committed it first
    return room, True
