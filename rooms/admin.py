"""Admin for rooms, memberships and bans. Moderation goes through rooms.moderation, as it does in the app: the room
gets `member_left` and the member's connections leave it. Counters the app keeps are shown, never edited."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import User
from chatbackend.admin_tools import apply_service, id_filter
from rooms.models import Room, RoomBan, RoomMember
from rooms.moderation import staff_ban, staff_remove_member

# The invite code rotates through the API (the room is told); the rest are the app's bookkeeping.
ROOM_BOOKKEEPING = (
    "created_at",
    "invite_code",
    "members_link",
    "is_direct",
    "direct_key",
    "message_seq",
    "last_message",
)


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "is_private", "is_direct", "created_by", "message_seq", "created_at"]
    list_filter = [
        "is_private",
        "is_direct",
        ("created_at", admin.DateFieldListFilter),
        id_filter("creator", "created_by_id"),
    ]
    search_fields = ["name", "invite_code", "created_by__email"]
    search_help_text = "Room name, invite code, or the creator's email."
    raw_id_fields = ["created_by"]
    list_select_related = ["created_by"]
    show_full_result_count = False
    fields = ("name", "is_private", "created_by", *ROOM_BOOKKEEPING)
    readonly_fields = ROOM_BOOKKEEPING

    @admin.display(description="members")
    def members_link(self, room: Room) -> str:
        if room.pk is None:
            return "-"
        url = reverse("admin:rooms_roommember_changelist") + f"?room_id={room.pk}"
        return format_html('<a href="{}">{} members</a>', url, room.memberships.count())

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deleting a room deletes its history and surprises its members: not a moderation step


# Roles change through the API (rank rules, member_updated); read positions only move forward, in the app.
MEMBER_FIELDS = ("room", "user", "role", "joined_at", "last_read_message_id", "read_seq")


@admin.register(RoomMember)
class RoomMemberAdmin(admin.ModelAdmin):
    list_display = ["id", "room", "user", "role", "joined_at", "last_read_message_id"]
    list_filter = [
        id_filter("room", "room_id"),
        id_filter("user", "user_id"),
        "role",
        ("joined_at", admin.DateFieldListFilter),
    ]
    search_fields = ["user__email", "user__name", "room__name"]
    search_help_text = "The member's email or name, or the room's name."
    raw_id_fields = ["room", "user"]
    list_select_related = ["room", "user"]
    show_full_result_count = False
    fields = MEMBER_FIELDS
    readonly_fields = MEMBER_FIELDS
    actions = ["remove_from_room", "ban_from_room"]

    @admin.action(description="Remove selected members from their rooms (the room is told live)")
    def remove_from_room(self, request: HttpRequest, queryset: QuerySet[RoomMember]) -> None:
        def remove(membership: RoomMember, moderator: User) -> None:
            staff_remove_member(moderator=moderator, room_id=membership.room_id, user_id=membership.user_id)

        apply_service(self, request, queryset, remove, done="Members removed")

    @admin.action(description="Ban selected members from their rooms (removed, and cannot join again)")
    def ban_from_room(self, request: HttpRequest, queryset: QuerySet[RoomMember]) -> None:
        def ban(membership: RoomMember, moderator: User) -> object:
            return staff_ban(moderator=moderator, room_id=membership.room_id, user_id=membership.user_id)

        apply_service(self, request, queryset, ban, done="Members banned")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # users join through the API or the socket (bans, private rooms and events apply there)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # "remove" above keeps the room owned and tells its members


class RoomBanForm(forms.ModelForm):
    class Meta:
        model = RoomBan
        fields = ["room", "user"]

    def clean_room(self) -> Room:
        room: Room = self.cleaned_data["room"]
        if room.is_direct:
            raise forms.ValidationError("Direct-message rooms have no moderation.")
        return room


@admin.register(RoomBan)
class RoomBanAdmin(admin.ModelAdmin):
    form = RoomBanForm
    list_display = ["id", "room", "user", "banned_by", "created_at"]
    list_filter = [
        id_filter("room", "room_id"),
        id_filter("user", "user_id"),
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["user__email", "user__name", "room__name"]
    raw_id_fields = ["room", "user"]
    list_select_related = ["room", "user", "banned_by"]
    show_full_result_count = False
    readonly_fields = ["banned_by", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: RoomBan | None = None) -> list[str]:
        return [*self.readonly_fields, "room", "user"] if obj is not None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: RoomBan, form: Any, change: bool) -> None:
        """A new ban goes through the moderation service: a member is removed (and told) before being kept out."""
        if change:
            return
        assert isinstance(request.user, User)  # the admin site lets staff users in only
        ban = staff_ban(moderator=request.user, room_id=obj.room_id, user_id=obj.user_id)
        obj.pk, obj.banned_by_id, obj.created_at = ban.pk, ban.banned_by_id, ban.created_at
