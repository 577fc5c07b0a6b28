"""Rooms and their members."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


def new_invite_code() -> str:
    """128 random bits, URL-safe: unguessable, and short enough to share."""
    return secrets.token_urlsafe(16)


class Room(models.Model):
    name = models.CharField(max_length=100)
    is_private = models.BooleanField(default=False)
    invite_code = models.CharField(max_length=32, unique=True, default=new_invite_code)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="RoomMember", related_name="rooms")

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

    class Meta:
        db_table = "room_members"
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="room_members_room_user_uniq")]
        # "My rooms" reads by user; the unique (room, user) index serves "is this user a member".
        indexes = [models.Index(fields=["user", "room"], name="room_members_user_room_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.room_id} ({self.role})"
