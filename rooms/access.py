"""Every access rule of rooms: who is a member, who may join, read, moderate, act on whom, and delete what.

Services, selectors and handlers of any app ask these functions; none re-checks membership or roles its own way.
Each raises the ChatError its docstring names.
"""

import secrets
from collections.abc import Iterable

from django.db import connection

from accounts.models import User
from chatbackend.db import db, values_table
from chatbackend.errors import (
    Banned,
    DirectRoom,
    Forbidden,
    InsufficientRole,
    InvalidInviteCode,
    InviteCodeRequired,
    NotMessageSender,
    NotRoomMember,
    RoomNotFound,
    UserNotFound,
    ValidationFailed,
)
from rooms.invite_limit import invite_code_attempt
from rooms.models import Room, RoomBan, RoomMember
from rooms.selectors import get_room, is_member, shares_room

# Rank decides who may act on whom: owner > admin > member, and an actor only acts on lower ranks.
MODERATORS = (RoomMember.Role.OWNER, RoomMember.Role.ADMIN)


def not_a_member(room: Room) -> RoomNotFound | NotRoomMember:
    """The refusal of a non-member: a private room is not found, as if it did not exist (no existence oracle);
    a public room, which anyone may read, says why."""
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


async def arequire_member(*, user: User, room_id: int, subscribed: bool) -> None:
    """`member_room` for frequent events of a connection (typing), without a query when the connection is
    subscribed to the room: a connection subscribes only through `rooms.services.subscribe`, and is unsubscribed
    the moment its membership ends (`end_membership`), so its subscription is proof enough."""
    if not subscribed:
        await db(member_room)(user=user, room_id=room_id)


def members_among(pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """The batch form of `require_member`: which of these (room id, user id) pairs are memberships of active
    accounts, in one query (a deactivated user's open socket sends nothing)."""
    pairs = set(pairs)
    if not pairs:
        return set()
    wanted, params = values_table(("room_id", "user_id"), pairs)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.room_id, m.user_id FROM ({wanted}) AS v JOIN {RoomMember._meta.db_table} AS m "
            f"ON m.room_id = v.room_id AND m.user_id = v.user_id JOIN {User._meta.db_table} AS u "
            "ON u.id = m.user_id AND u.is_active = %s",
            [*params, True],
        )
        return {(int(room_id), int(user_id)) for room_id, user_id in cursor.fetchall()}


def require_readable(user: User, room: Room) -> None:
    """Public rooms are readable by any signed-in user, private rooms by members only (history, members, bans'
    room, the room itself)."""
    if room.is_private:
        require_member(user, room)


def require_role(user: User, room: Room, *roles: RoomMember.Role) -> RoomMember:
    """The user's membership, if it has one of these roles; raises NotRoomMember or InsufficientRole."""
    membership = RoomMember.objects.filter(room=room, user=user).first()
    if membership is None:
        raise not_a_member(room)
    if membership.role not in roles:
        raise InsufficientRole()
    return membership


def require_not_direct(room: Room) -> None:
    """Direct-message rooms have their two users: no renaming or moderating (DirectRoom); either may leave."""
    if room.is_direct:
        raise DirectRoom()


def require_staff(user: User) -> None:
    """Raise Forbidden unless the user is active site staff: the moderators of the Django admin, who act in any
    room whatever their role there."""
    if not (user.is_active and user.is_staff):
        raise Forbidden("Only site staff may do this.")


def require_moderator(user: User, room: Room) -> RoomMember:
    """The user's membership, if they moderate the room (owner or admin); never in a direct room."""
    require_not_direct(room)
    return require_role(user, room, *MODERATORS)


def require_may_join(user: User, room: Room) -> None:
    """The one gate of every way in (REST join by id or code, socket join): banned users (Banned) and strangers
    to a direct room (RoomNotFound: it is private) are refused. Called under the room's lock, so a concurrent ban
    either sees the new membership or is seen here."""
    if room.is_direct:
        raise not_a_member(room)
    if RoomBan.objects.filter(room=room, user=user).exists():
        raise Banned()


def require_invite_code(user: User, room: Room, invite_code: str | None) -> None:
    """Joining a private room by id needs its invite code (members pass freely): InviteCodeRequired without one,
    InvalidInviteCode for a wrong one, RateLimited after too many wrong ones."""
    if not room.is_private or is_member(user_id=user.id, room_id=room.id):
        return
    if invite_code is None:
        raise InviteCodeRequired()
    with invite_code_attempt(user_id=user.id):  # codes cannot be brute-forced, by id or by code alone
        if not secrets.compare_digest(invite_code.strip().encode(), room.invite_code.encode()):
            raise InvalidInviteCode()


def require_lower_rank(actor: RoomMember, user_id: int) -> RoomMember | None:
    """The target's membership (None for a user who is not a member), if the actor may act on it: never on
    themself (ValidationFailed), only on lower ranks (InsufficientRole)."""
    if user_id == actor.user_id:
        raise ValidationFailed("You cannot moderate yourself: leave the room instead.", userId=["Is yourself."])
    target = RoomMember.objects.filter(room_id=actor.room_id, user_id=user_id).select_related("user").first()
    if target is not None and target.rank >= actor.rank:
        raise InsufficientRole("You can only act on members of a lower role than yours.")
    return target


def require_sender(user: User, *, sender_id: int) -> None:
    """Only the sender edits a message (NotMessageSender)."""
    if sender_id != user.id:
        raise NotMessageSender()


def require_may_delete(user: User, room: Room, *, sender_id: int) -> None:
    """The sender deletes their own messages; the room's owners and admins delete anyone's (InsufficientRole)."""
    if sender_id == user.id:
        return
    try:
        require_role(user, room, *MODERATORS)
    except InsufficientRole as exc:
        raise InsufficientRole("Only the sender or the room's owners and admins delete a message.") from exc


def require_shares_room(*, viewer: User, user: User) -> None:
    """A user's profile is visible to users who share a room with them; otherwise UserNotFound (no hint that the
    account exists)."""
    if not shares_room(user_id=viewer.id, other_id=user.id):
        raise UserNotFound()
