"""Rooms and their members."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from chatbackend.db import ExactCharField


def new_invite_code() -> str:
    """128 random bits, URL-safe: unguessable, and short enough to share."""
    return secrets.token_urlsafe(16)


class Room(models.Model):
    name = models.CharField(max_length=settings.CHAT["NAME_MAX_LENGTH"])
    is_private = models.BooleanField(default=False)
    # Compared byte for byte (utf8mb4_bin on MySQL): a code with its letters' case changed is another code.
    invite_code = ExactCharField(
        max_length=settings.CHAT["INVITE_CODE_MAX_LENGTH"], unique=True, default=new_invite_code
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="RoomMember", related_name="rooms")
    # A direct-message room: private, exactly its two users, no roles to moderate.
    is_direct = models.BooleanField(default=False)
    # "<smaller user id>:<larger user id>" for direct rooms: the unique key that makes creating one idempotent.
    direct_key = models.CharField(max_length=41, null=True, blank=True, unique=True)
    # How many messages were ever sent here: the `seq` of the newest. Unread = this minus a member's read_seq.
    message_seq = models.BigIntegerField(default=0)
    # Kept by every path that stores messages, so that the room list joins it instead of searching for it.
    last_message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "rooms"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.id} {self.name}"


class RoomMember(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner"
        ADMIN = "admin"
        MEMBER = "member"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)
    # The newest message this member has read; only moves forward. Unread = newer messages of others.
    last_read_message_id = models.BigIntegerField(null=True, blank=True)
    # The `seq` of that message (0: nothing read), so that unread counts are a subtraction, not a count.
    read_seq = models.BigIntegerField(default=0)

    RANKS = {Role.OWNER: 3, Role.ADMIN: 2, Role.MEMBER: 1}

    @property
    def rank(self) -> int:
        return self.RANKS[RoomMember.Role(self.role)]

    class Meta:
        db_table = "room_members"
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="room_members_room_user_uniq")]
        # "My rooms" reads by user; the unique (room, user) index serves "is this user a member".
        indexes = [models.Index(fields=["user", "room"], name="room_members_user_room_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.room_id} ({self.role})"


class RoomBan(models.Model):
    """A user who may not (re)join a room, by id, by invite code or by socket, until unbanned."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="bans")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    banned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "room_bans"
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="room_bans_room_user_uniq")]

    def __str__(self) -> str:
        return f"{self.user_id} banned from {self.room_id}"


class RoomInvite(models.Model):
    """An invite link: a code of its own that joins its room, up to `max_uses` times and until `expires_at`
    (either may be null: no limit). Uses are counted by the join that takes them (rooms/invites.py)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="invites")
    # Compared byte for byte, as Room.invite_code is.
    code = ExactCharField(max_length=settings.CHAT["INVITE_CODE_MAX_LENGTH"], unique=True, default=new_invite_code)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "room_invites"
        indexes = [models.Index(fields=["room", "created_at"], name="room_invites_room_created_idx")]

    def __str__(self) -> str:
        return f"invite of {self.room_id} ({self.uses}/{self.max_uses or '∞'})"
