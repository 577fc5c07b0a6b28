"""Room state changes and the access rules every entry point (REST and Socket.IO) goes through."""

import secrets
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from accounts.models import User
from chatbackend.db import values_table
from chatbackend.errors import (
    Banned,
    InsufficientRole,
    InvalidInviteCode,
    InvalidTokenError,
    InviteCodeNotFound,
    InviteCodeRequired,
    NotRoomMember,
    RoomNotFound,
)
from chatbackend.validation import clean_text
from messaging.delivery import publish_on_commit, room_channel, unsubscribe_user_on_commit
from rooms.invite_limit import invite_code_attempt
from rooms.models import Room, RoomBan, RoomMember
from rooms.selectors import get_room, is_member
from rooms.serializers import member_event

INVITE_CODE_MAX_LENGTH = 32


def create_room(*, creator: User, name: str, is_private: bool = False) -> Room:
    """Create a room with a fresh invite code; the creator becomes its owner."""
    name = clean_text(name, field="name", max_length=settings.CHAT["NAME_MAX_LENGTH"])
    with transaction.atomic():
        room = Room.objects.create(name=name, is_private=is_private, created_by=creator)
        RoomMember.objects.create(room=room, user=creator, role=RoomMember.Role.OWNER)
    return room


def not_a_member(room: Room) -> RoomNotFound | NotRoomMember:
    """The refusal of a non-member: a private room is not found, as if it did not exist (no existence oracle);
    a public room, which anyone may see, says why."""
    return RoomNotFound() if room.is_private else NotRoomMember()


def require_member(user: User, room: Room) -> None:
    """Raise unless the user is a member of the room: RoomNotFound (private room) or NotRoomMember (public)."""
    if not is_member(user_id=user.id, room_id=room.id):
        raise not_a_member(room)


def member_room(*, user: User, room_id: int) -> Room:
    """The room, if the user is a member of it; raises RoomNotFound (also for private rooms of others) or
    NotRoomMember."""
    room = get_room(room_id)
    require_member(user, room)
    return room


def require_role(user: User, room: Room, *roles: RoomMember.Role) -> RoomMember:
    """The user's membership, if it has one of these roles; raises NotRoomMember or InsufficientRole."""
    membership = RoomMember.objects.filter(room=room, user=user).first()
    if membership is None:
        raise not_a_member(room)
    if membership.role not in roles:
        raise InsufficientRole()
    return membership


def require_readable(user: User, room: Room) -> None:
    """Public rooms are readable by any signed-in user, private rooms by members only."""
    if room.is_private:
        require_member(user, room)


def add_member(*, user: User, room: Room) -> bool:
    """Make the user a member; True if that is new. Joining twice, even concurrently, is not an error.

    The one gate of every way in (REST join by id or code, socket join): banned users and strangers to a direct
    room are refused here, and so is an account that is no longer active (a deactivated or deleted user's open
    socket). A new member is announced to the room with `member_joined`.
    """
    if not User.objects.filter(id=user.id, is_active=True).exists():
        raise InvalidTokenError("The account is no longer active.")
    if is_member(user_id=user.id, room_id=room.id):
        return False
    if room.is_direct:
        raise not_a_member(room)
    try:
        with transaction.atomic():
            locked_room(room.id)  # a concurrent ban either sees this membership or is seen by this check
            if RoomBan.objects.filter(room=room, user=user).exists():
                raise Banned()
            membership = RoomMember.objects.create(room=room, user=user)
    except IntegrityError:  # the other concurrent join stored the same membership, or the user was just deleted
        if is_member(user_id=user.id, room_id=room.id):
            return False
        raise InvalidTokenError("The account is no longer active.") from None
    publish_on_commit("member_joined", member_event(membership), to=room_channel(room.id))
    return True


def join_room(*, user: User, room_id: int, invite_code: str | None = None) -> Room:
    """Join a room by id: public rooms are open, private rooms need their invite code (members pass freely)."""
    room = get_room(room_id)
    if room.is_private and not is_member(user_id=user.id, room_id=room.id):
        if invite_code is None:
            raise InviteCodeRequired()
        with invite_code_attempt(user_id=user.id):
            if not secrets.compare_digest(invite_code.strip().encode(), room.invite_code.encode()):
                raise InvalidInviteCode()
    add_member(user=user, room=room)
    return room


def join_room_by_code(*, user: User, invite_code: str) -> Room:
    """Join whichever room this invite code belongs to."""
    invite_code = clean_text(invite_code, field="inviteCode", max_length=INVITE_CODE_MAX_LENGTH)
    with invite_code_attempt(user_id=user.id):
        room = Room.objects.filter(invite_code=invite_code).first()  # compared byte for byte: see Room.invite_code
        if room is None:
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


def leave_room(*, user: User, room_id: int) -> None:
    """End the user's membership; the last owner leaving hands ownership to the longest-standing admin or member.

    Either user may leave a direct room: it stays for the other, and opening it again comes back to it."""
    room = get_room(room_id)
    with transaction.atomic():
        locked_room(room.id)
        membership = RoomMember.objects.filter(room=room, user=user).first()
        if membership is None:
            raise not_a_member(room)
        end_membership(membership, reason="left")


def locked_room(room_id: int) -> Room:
    """Lock the room's row for the transaction: membership changes of one room (leave, remove, roles) take turns,
    so two owners leaving at once cannot both see the other as the remaining owner."""
    return Room.objects.select_for_update().get(id=room_id)


def end_membership(membership: RoomMember, *, reason: str) -> None:
    """Delete a membership (in a transaction holding the room lock), keep the room owned, and tell everyone.

    The member's connections in every process leave the room's live events at once, after `member_left`
    reached them too.
    """
    membership.delete()
    room_id, user_id = membership.room_id, membership.user_id
    publish_on_commit("member_left", {"roomId": room_id, "userId": user_id, "reason": reason}, to=room_channel(room_id))
    unsubscribe_user_on_commit(user_id=user_id, room_id=room_id)
    if membership.role == RoomMember.Role.OWNER:
        _hand_on_ownership(room_id)


def _hand_on_ownership(room_id: int) -> None:
    remaining = RoomMember.objects.filter(room_id=room_id).select_related("user")
    if remaining.filter(role=RoomMember.Role.OWNER).exists():
        return
    successor = (
        remaining.filter(role=RoomMember.Role.ADMIN).order_by("joined_at", "id").first()
        or remaining.order_by("joined_at", "id").first()
    )
    if successor is None:  # the room is empty; it stays, and whoever joins next is a member
        return
    successor.role = RoomMember.Role.OWNER
    successor.save(update_fields=["role"])
    publish_on_commit("member_updated", member_event(successor), to=room_channel(room_id))


def lock_message_seqs(room_ids: Iterable[int]) -> dict[int, int]:
    """Lock the rooms' rows for the transaction and return {room id: message_seq} of those that exist.

    The caller hands out positions message_seq + 1, + 2, ... and writes
    the new totals with `record_new_messages` in the same transaction. Rows are locked in id order, so two
    batches sharing rooms wait for each other instead of deadlocking.
    """
    rooms = Room.objects.filter(id__in=set(room_ids)).order_by("id").select_for_update()
    return {room_id: int(seq) for room_id, seq in rooms.values_list("id", "message_seq")}


def record_new_messages(*, newest: dict[int, tuple[int, int]]) -> None:
    """For rooms locked by `lock_message_seqs`: {room id: (newest seq, newest message id)}, in one UPDATE."""
    if not newest:
        return
    # SQL, not Case/When: the ORM takes longer to compile a CASE per room than the database takes to run it.
    new, params = values_table(("id", "seq", "message_id"), ((room, seq, mid) for room, (seq, mid) in newest.items()))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Room._meta.db_table} AS r JOIN ({new}) AS v ON r.id = v.id "
            "SET r.message_seq = v.seq, r.last_message_id = v.message_id",
            params,
        )


def advance_read_positions(*, positions: dict[tuple[int, int], tuple[int, int]]) -> None:
    """The batch form of `advance_read_position`: {(room id, user id): (message id, seq)}, in one UPDATE."""
    if not positions:
        return
    new, params = values_table(
        ("room_id", "user_id", "message_id", "seq"), ((r, u, mid, seq) for (r, u), (mid, seq) in positions.items())
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {RoomMember._meta.db_table} AS m JOIN ({new}) AS v "
            "ON m.room_id = v.room_id AND m.user_id = v.user_id "
            "SET m.read_seq = v.seq, m.last_read_message_id = v.message_id WHERE m.read_seq < v.seq",
            params,
        )


def advance_read_position(*, room_id: int, user_id: int, message_id: int, seq: int) -> bool:
    """Move a member's read position forward to this message; False if it already was at or past it."""
    moved = RoomMember.objects.filter(room_id=room_id, user_id=user_id, read_seq__lt=seq).update(
        read_seq=seq, last_read_message_id=message_id
    )
    return bool(moved)
