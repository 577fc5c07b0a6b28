"""Invite links, and joining by code: a room's own invite code or one of its invite links.

An invite link is a code of its own (128 random bits, as a room's code) that owners and admins create, list and
revoke, optionally limited to `max_uses` joins and to a lifetime. `join_by_code` admits by either kind of code under
the one wrong-code limit (rooms/invite_limit.py); a link's use is taken inside the join's transaction by one
conditional UPDATE (`uses = uses + 1` only while uses remain and the link has not expired), so a link of
`maxUses: 1` admits exactly one of any number of concurrent joins on MySQL and SQLite alike. A join that is
refused (banned) or that changes nothing (already a member) takes no use.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from chatbackend.errors import InviteCodeNotFound, InviteExpired, TooManyInvites, ValidationFailed
from chatbackend.validation import FieldErrors, clean_text
from rooms import access
from rooms.invite_limit import invite_code_attempt
from rooms.models import Room, RoomInvite
from rooms.selectors import get_room
from rooms.services import add_member, locked_room


def _usable(now: datetime) -> Q:
    """Invites that still admit: uses left (or no limit) and not expired (or no expiry)."""
    uses_left = Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses"))
    return uses_left & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def _spent(now: datetime) -> Q:
    """Invites that never admit again: used up or expired."""
    return Q(max_uses__isnull=False, uses__gte=F("max_uses")) | Q(expires_at__lte=now)


def _bounded(value: int | None, *, field: str, maximum: int) -> int | None:
    """None (no limit) or an integer from 1 to maximum; ValidationFailed otherwise."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= maximum:
        raise ValidationFailed(
            f"{field} must be an integer from 1 to {maximum}.", **{field: [f"Must be an integer from 1 to {maximum}."]}
        )
    return value


def create_invite(
    *, actor: User, room_id: int, max_uses: int | None = None, expires_in_seconds: int | None = None
) -> RoomInvite:
    """Owners and admins create an invite link of the room (not of a direct room).

    `max_uses` (1 to INVITE_MAX_USES) and `expires_in_seconds` (1 to INVITE_MAX_SECONDS) are optional: without
    them the link has no limit of that kind. Spent links of the room are deleted first; a room keeps at most
    INVITES_PER_ROOM_MAX live ones (TooManyInvites).
    """
    chat = settings.CHAT
    fields = FieldErrors()
    max_uses = fields.check(_bounded, max_uses, field="maxUses", maximum=chat["INVITE_MAX_USES"])
    seconds = fields.check(_bounded, expires_in_seconds, field="expiresInSeconds", maximum=chat["INVITE_MAX_SECONDS"])
    fields.raise_any()
    room = get_room(room_id)
    access.require_moderator(actor, room)
    with transaction.atomic():
        locked_room(room.id)  # concurrent creations count the live links in turn
        now = timezone.now()
        RoomInvite.objects.filter(_spent(now), room=room).delete()
        if RoomInvite.objects.filter(room=room).count() >= chat["INVITES_PER_ROOM_MAX"]:
            raise TooManyInvites()
        return RoomInvite.objects.create(
            room=room,
            created_by=actor,
            created_at=now,
            max_uses=max_uses,
            expires_at=None if seconds is None else now + timedelta(seconds=seconds),
        )


def invites_of(*, actor: User, room_id: int) -> QuerySet[RoomInvite]:
    """The room's invite links, newest first, for its owners and admins (spent ones until the next creation)."""
    room = get_room(room_id)
    access.require_moderator(actor, room)
    return RoomInvite.objects.filter(room=room).order_by("-created_at", "-id")


def revoke_invite(*, actor: User, room_id: int, code: str) -> None:
    """Owners and admins delete an invite link: it stops admitting at once. Revoking a code the room has no link
    for (revoked already, say) is not an error."""
    room = get_room(room_id)
    access.require_moderator(actor, room)
    RoomInvite.objects.filter(room=room, code=code).delete()


def join_by_code(*, user: User, invite_code: str) -> Room:
    """Join the room of a room's invite code or of an invite link (POST /api/rooms/join).

    A code neither kind has is refused as a wrong one (InviteCodeNotFound) and counts toward the wrong-code
    limit; a link that expired or is used up is refused with InviteExpired (410), and is no guess.
    """
    invite_code = clean_text(invite_code, field="inviteCode", max_length=settings.CHAT["INVITE_CODE_MAX_LENGTH"])
    with invite_code_attempt(user_id=user.id):
        room = Room.objects.filter(invite_code=invite_code).first()  # compared byte for byte: see Room.invite_code
        invite = None if room else RoomInvite.objects.filter(code=invite_code).select_related("room").first()
        if room is None and invite is None:
            raise InviteCodeNotFound()
    if invite is None:
        assert room is not None
        add_member(user=user, room=room)
        return room
    add_member(user=user, room=invite.room, admission=lambda: _take_use(invite))
    return invite.room


def _take_use(invite: RoomInvite) -> None:
    """Count one use of the link, if it has one left and has not expired: one conditional UPDATE, atomic on every
    backend (run in the join's transaction: a join that fails after it gives the use back)."""
    taken = RoomInvite.objects.filter(_usable(timezone.now()), id=invite.id).update(uses=F("uses") + 1)
    if not taken:
        raise InviteExpired()
