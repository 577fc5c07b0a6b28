"""Direct messages: the one private two-member room of two users."""

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import User
from chatbackend.errors import UserNotFound, ValidationFailed
from rooms.models import Room, RoomMember


def direct_key(user_id: int, other_id: int) -> str:
    low, high = sorted((user_id, other_id))
    return f"{low}:{high}"


def open_direct_room(*, user: User, other_user_id: int) -> tuple[Room, bool]:
    """The direct room of the two users, created on first call; returns (room, created).

    Idempotent under concurrent calls from either side: the unique `direct_key` lets one insert win, and the
    loser reads the winner's room.
    """
    if other_user_id == user.id:
        raise ValidationFailed("userId: a direct message needs another user.", userId=["Is yourself."])
    other = User.objects.filter(id=other_user_id, is_active=True).first()
    if other is None:
        raise UserNotFound()
    key = direct_key(user.id, other.id)
    existing = Room.objects.filter(direct_key=key).first()
    if existing is not None:
        return existing, False
    name = f"{user.name}, {other.name}"[: settings.CHAT["NAME_MAX_LENGTH"]]
    try:
        with transaction.atomic():
            room = Room.objects.create(name=name, is_private=True, is_direct=True, direct_key=key, created_by=user)
            RoomMember.objects.bulk_create([RoomMember(room=room, user=user), RoomMember(room=room, user=other)])
    except IntegrityError:
        return Room.objects.get(direct_key=key), False  # the concurrent call committed it first
    return room, True
