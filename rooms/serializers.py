"""The JSON shapes of rooms and members, shared by the REST API and the Socket.IO events."""

from typing import Any

from rest_framework import serializers

from rooms.models import Room, RoomInvite, RoomMember


class RoomOut(serializers.ModelSerializer[Room]):
    isPrivate = serializers.BooleanField(source="is_private")
    inviteCode = serializers.CharField(source="invite_code")
    createdById = serializers.IntegerField(source="created_by_id")
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Room
        fields = ["id", "name", "isPrivate", "inviteCode", "createdById", "createdAt"]


class MemberOut(serializers.ModelSerializer[RoomMember]):
    """A member as co-members see them; `online` is set by the selector from the presence store."""

    id = serializers.IntegerField(source="user_id")
    name = serializers.CharField(source="user.name")
    online = serializers.BooleanField()
    lastSeen = serializers.DateTimeField(source="user.last_seen", allow_null=True)
    joinedAt = serializers.DateTimeField(source="joined_at")
    lastReadMessageId = serializers.IntegerField(source="last_read_message_id", allow_null=True)

    class Meta:
        model = RoomMember
        fields = ["id", "name", "role", "online", "lastSeen", "joinedAt", "lastReadMessageId"]


class InviteOut(serializers.ModelSerializer[RoomInvite]):
    """An invite link: `code` joins the room by POST /api/rooms/join until `uses` reaches `maxUses` or
    `expiresAt` passes (`null`: no limit of that kind)."""

    code = serializers.CharField()
    roomId = serializers.IntegerField(source="room_id")
    uses = serializers.IntegerField(help_text="Joins the link has admitted.")
    maxUses = serializers.IntegerField(source="max_uses", allow_null=True)
    expiresAt = serializers.DateTimeField(source="expires_at", allow_null=True)
    createdById = serializers.IntegerField(source="created_by_id", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = RoomInvite
        fields = ["code", "roomId", "maxUses", "uses", "expiresAt", "createdById", "createdAt"]


def member_event(membership: RoomMember) -> dict[str, Any]:
    """`member_joined` / `member_updated`: who, in which room, with which role."""
    return {
        "roomId": membership.room_id,
        "userId": membership.user_id,
        "name": membership.user.name,
        "role": membership.role,
    }
