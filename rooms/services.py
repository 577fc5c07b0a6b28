"""Room state changes and the access rules every entry point (REST and Socket.IO) goes through."""

import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction

from accounts.models import User
from chatbackend.errors import InvalidInviteCode, InviteCodeNotFound, InviteCodeRequired, NotRoomMember, RateLimited
from chatbackend.validation import clean_text
from rooms.models import Room, RoomMember
from rooms.selectors import get_room, is_member

INVITE_CODE_MAX_LENGTH = 32


def create_room(*, creator: User, name: str, is_private: bool = False) -> Room:
    """Create a room with a fresh invite code; the creator becomes its owner."""
    name = clean_text(name, field="name", max_length=settings.CHAT["NAME_MAX_LENGTH"])
    with transaction.atomic():
        room = Room.objects.create(name=name, is_private=is_private, created_by=creator)
        RoomMember.objects.create(room=room, user=creator, role=RoomMember.Role.OWNER)
    return room


def require_member(user: User, room: Room) -> None:
    """Raise NotRoomMember unless the user is a member of the room."""
    if not is_member(user_id=user.id, room_id=room.id):
        raise NotRoomMember()


def member_room(*, user: User, room_id: int) -> Room:
    """The room, if the user is a member of it; raises RoomNotFound or NotRoomMember."""
    room = get_room(room_id)
    require_member(user, room)
    return room


def require_readable(user: User, room: Room) -> None:
    """Public rooms are readable by any signed-in user, private rooms by members only."""
    if room.is_private:
        require_member(user, room)


def add_member(*, user: User, room: Room) -> bool:
    """Make the user a member; True if that is new. Joining twice, even concurrently, is not an error."""
    if is_member(user_id=user.id, room_id=room.id):
        return False
    try:
        with transaction.atomic():
            RoomMember.objects.create(room=room, user=user)
    except IntegrityError:  # the other concurrent join stored the same membership
        return False
    return True


def _invite_failure_limit() -> tuple[int, int]:
    """(wrong codes allowed, window in seconds) from the DRF-style rate "N/period"."""
    count, period = settings.CHAT["THROTTLE_RATES"]["invite_code_failures"].split("/")
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


def _check_invite_attempts(user: User) -> None:
    """Refuse further codes from a user who has guessed wrong too often: codes cannot be brute-forced."""
    limit, window = _invite_failure_limit()
    if cache.get(f"invite-failures:{user.id}", 0) >= limit:
        raise RateLimited("Too many wrong invite codes: try again later.", retry_after_ms=window * 1000)


def _count_invite_failure(user: User) -> None:
    _, window = _invite_failure_limit()
    key = f"invite-failures:{user.id}"
    if not cache.add(key, 1, timeout=window):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)


def join_room(*, user: User, room_id: int, invite_code: str | None = None) -> Room:
    """Join a room by id: public rooms are open, private rooms need their invite code (members pass freely)."""
    room = get_room(room_id)
    if room.is_private and not is_member(user_id=user.id, room_id=room.id):
        if invite_code is None:
            raise InviteCodeRequired()
        _check_invite_attempts(user)
        if not secrets.compare_digest(invite_code.strip().encode(), room.invite_code.encode()):
            _count_invite_failure(user)
            raise InvalidInviteCode()
    add_member(user=user, room=room)
    return room


def join_room_by_code(*, user: User, invite_code: str) -> Room:
    """Join whichever room this invite code belongs to."""
    invite_code = clean_text(invite_code, field="inviteCode", max_length=INVITE_CODE_MAX_LENGTH)
    _check_invite_attempts(user)
    room = Room.objects.filter(invite_code=invite_code).first()
    if room is None:
        _count_invite_failure(user)
        raise InviteCodeNotFound()
    add_member(user=user, room=room)
    return room


def subscribe(*, user: User, room_id: int) -> Room:
    """The room a connection may subscribe to: public rooms make the caller a member, private ones need it."""
    room = get_room(room_id)
    if room.is_private:
        require_member(user, room)
    else:
        add_member(user=user, room=room)
    return room
