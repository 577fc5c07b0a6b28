"""Admin for rooms, with their members inline."""

from django.contrib import admin

from rooms.models import Room, RoomMember


class RoomMemberInline(admin.TabularInline):
    model = RoomMember
    raw_id_fields = ["user"]
    extra = 0


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "is_private", "created_by", "created_at"]
    list_filter = ["is_private"]
    search_fields = ["name", "invite_code"]
    raw_id_fields = ["created_by"]
    list_select_related = ["created_by"]
    inlines = [RoomMemberInline]
    show_full_result_count = False
