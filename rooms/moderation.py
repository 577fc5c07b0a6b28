"""What room owners and admins do: rename, rotate the invite code, change roles, remove, ban and unban.

Who may do each (moderators, ranks, direct rooms) is decided by rooms.access; every action here refuses
direct-message rooms with `direct_room`.
"""

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import User
from chatbackend.errors import MemberNotFound, UserNotFound, ValidationFailed
from chatbackend.events import publish_on_commit, room_channel
from chatbackend.validation import clean_text
from rooms import access
from rooms.models import Room, RoomBan, RoomMember, new_invite_code
from rooms.selectors import get_room
from rooms.serializers import RoomOut, member_event
from rooms.services import end_membership, locked_room


def _moderated_room(actor: User, room_id: int) -> tuple[Room, RoomMember]:
    room = get_room(room_id)
    return room, access.require_moderator(actor, room)


def _announce_room(room: Room) -> None:
    publish_on_commit("room_updated", {"room": dict(RoomOut(room).data)}, to=room_channel(room.id))


def rename_room(*, actor: User, room_id: int, name: str) -> Room:
    """Owners and admins rename the room; members see `room_updated`."""
    room, _ = _moderated_room(actor, room_id)
    room.name = clean_text(name, field="name", max_length=settings.CHAT["NAME_MAX_LENGTH"])
    room.save(update_fields=["name"])
    _announce_room(room)
    return room


def rotate_invite_code(*, actor: User, room_id: int) -> Room:
    """A fresh invite code; the old one stops working at once. Members see `room_updated`."""
    room, _ = _moderated_room(actor, room_id)
    room.invite_code = new_invite_code()
    room.save(update_fields=["invite_code"])
    _announce_room(room)
    return room


def set_member_role(*, actor: User, room_id: int, user_id: int, role: str) -> RoomMember:
    """The owner makes a member an admin or an admin a member; members see `member_updated`."""
    if role not in (RoomMember.Role.ADMIN, RoomMember.Role.MEMBER):
        raise ValidationFailed("role: must be admin or member.", role=['Must be "admin" or "member".'])
    room = get_room(room_id)
    access.require_not_direct(room)
    with transaction.atomic():
        locked_room(room.id)
        target = access.require_lower_rank(access.require_role(actor, room, RoomMember.Role.OWNER), user_id)
        if target is None:
            raise MemberNotFound()
        if target.role != role:
            target.role = role
            target.save(update_fields=["role"])
            publish_on_commit("member_updated", member_event(target), to=room_channel(room.id))
    return target


def remove_member(*, actor: User, room_id: int, user_id: int) -> None:
    """Owners and admins remove a lower-ranked member; their connections leave the room at once."""
    room, _ = _moderated_room(actor, room_id)
    with transaction.atomic():
        locked_room(room.id)
        target = access.require_lower_rank(access.require_moderator(actor, room), user_id)
        if target is None:
            raise MemberNotFound()
        end_membership(target, reason="removed")


def ban_member(*, actor: User, room_id: int, user_id: int) -> RoomBan:
    """Remove the user (if a member) and keep them out: no rejoining by id, invite code or socket until unbanned.

    Banning twice is not an error; a user who is not a member can be banned ahead.
    """
    room, _ = _moderated_room(actor, room_id)
    if not User.objects.filter(id=user_id).exists():
        raise UserNotFound()
    with transaction.atomic():
        locked_room(room.id)
        target = access.require_lower_rank(access.require_moderator(actor, room), user_id)
        ban = RoomBan.objects.filter(room=room, user_id=user_id).first()
        if ban is None:
            try:
                with transaction.atomic():
                    ban = RoomBan.objects.create(room=room, user_id=user_id, banned_by=actor)
            except IntegrityError:  # only under the room lock, so not expected; stay idempotent anyway
                ban = RoomBan.objects.get(room=room, user_id=user_id)
        if target is not None:
            end_membership(target, reason="banned")
    return ban


def unban_member(*, actor: User, room_id: int, user_id: int) -> None:
    """Lift a ban (the user may join again; membership is not restored). Unbanning twice is not an error."""
    room, _ = _moderated_room(actor, room_id)
    RoomBan.objects.filter(room=room, user_id=user_id).delete()


def bans_of(*, actor: User, room_id: int) -> list[RoomBan]:
    """The room's bans, newest first, for its owners and admins."""
    room, _ = _moderated_room(actor, room_id)
    return list(RoomBan.objects.filter(room=room).select_related("user").order_by("-id"))
