"""Room state changes: creating, joining, subscribing, leaving, and ending memberships (joining by code or invite
link: rooms/invites.py).

Each checks access with rooms.access, stores, and publishes its events on commit, whichever entry point (REST or
Socket.IO) called it.
"""

from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import User
from chatbackend.errors import InvalidTokenError
from chatbackend.events import publish_on_commit, room_channel
from chatbackend.validation import clean_text
from presence.services import unsubscribe_user_on_commit
from rooms import access
from rooms.models import Room, RoomMember
from rooms.selectors import get_room, is_member
from rooms.serializers import member_event


def create_room(*, creator: User, name: str, is_private: bool = False) -> Room:
    """Create a room with a fresh invite code; the creator becomes its owner."""
    name = clean_text(name, field="name", max_length=settings.CHAT["NAME_MAX_LENGTH"])
    with transaction.atomic():
        room = Room.objects.create(name=name, is_private=is_private, created_by=creator)
        RoomMember.objects.create(room=room, user=creator, role=RoomMember.Role.OWNER)
    return room


def add_member(*, user: User, room: Room, admission: Callable[[], None] | None = None) -> bool:
    """Make the user a member; True if that is new. Joining twice, even concurrently, is not an error.

    Every way in (REST join by id, code or invite link, socket join) comes here, through
    `access.require_may_join`. `admission` runs in the join's transaction once the user may join and is not a
    member yet: it raises to refuse (an invite link takes its use there, so a refused or repeated join takes
    none). A new member is announced to the room with `member_joined`. An account that is no longer active (a
    deactivated or deleted user's open socket) is refused with InvalidTokenError.
    """
    if not User.objects.filter(id=user.id, is_active=True).exists():
        raise InvalidTokenError("The account is no longer active.")
    if is_member(user_id=user.id, room_id=room.id):
        return False
    try:
        with transaction.atomic():
            locked_room(room.id)  # a concurrent ban either sees this membership or is seen by this check
            access.require_may_join(user, room)
            if admission is not None:
                if is_member(user_id=user.id, room_id=room.id):  # a concurrent join of the same user came first
                    return False
                admission()
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
    access.require_invite_code(user, room, invite_code)
    add_member(user=user, room=room)
    return room


def subscribe(*, user: User, room_id: int) -> Room:
    """The room a connection may subscribe to: public rooms make the caller a member, private ones need it."""
    room = get_room(room_id)
    if room.is_private:
        access.require_member(user, room)
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
            raise access.not_a_member(room)
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
    unsubscribe_user_on_commit(user_id=user_id, channel=room_channel(room_id))
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
