"""Admin for messages and reactions: moderators find messages by room, sender, date or text and delete them as
the app does (a tombstone and a live `message_deleted`), never as rows. Raw-id foreign keys and no full counts
keep pages fast with millions of rows."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
from chatbackend.admin_tools import apply_service, id_filter
from messaging.changes import moderate_delete_message
from messaging.models import Message, Reaction

# What a message says and where it sits is the app's to change (edits, tombstones, reaction counts): shown only.
MESSAGE_FIELDS = (
    "room",
    "sender",
    "content",
    "created_at",
    "edited_at",
    "deleted_at",
    "reactions",
    "reply_to",
    "reply_count",
    "last_reply_at",
    "seq",
    "client_msg_id",
)
REACTION_FIELDS = ("message", "user", "emoji", "emoji_key", "created_at")


class DeletedFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", "Shown"), ("yes", "Deleted (tombstones)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("yes", "no"):
            return queryset.filter(deleted_at__isnull=self.value() == "no")
        return queryset


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "room", "sender", "short_content", "created_at", "edited_at", "deleted_at"]
    list_filter = [
        id_filter("room", "room_id"),
        id_filter("sender", "sender_id"),
        ("created_at", admin.DateFieldListFilter),
        DeletedFilter,
    ]
    search_fields = ["content", "sender__email"]
    search_help_text = "Words of the content, or the sender's email."
    raw_id_fields = ["room", "sender", "reply_to"]
    list_select_related = ["room", "sender"]
    show_full_result_count = False
    fields = MESSAGE_FIELDS
    readonly_fields = MESSAGE_FIELDS
    actions = ["delete_as_moderator"]

    @admin.display(description="content")
    def short_content(self, message: Message) -> str:
        return "(deleted)" if message.deleted_at else message.content[:80]

    @admin.action(description="Delete selected messages (tombstone, the room is told live)")
    def delete_as_moderator(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        def delete(message: Message, moderator: User) -> object:
            return moderate_delete_message(moderator=moderator, message_id=message.id)

        apply_service(self, request, queryset, delete, done="Messages deleted")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # messages are sent through the API, the socket or `manage.py post_message`

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A deleted row would leave read positions and lastMessage pointing at nothing: tombstones only.
        return False


@admin.register(Reaction)
class ReactionAdmin(admin.ModelAdmin):
    list_display = ["id", "emoji", "message", "user", "created_at"]
    list_filter = [
        id_filter("message", "message_id"),
        id_filter("user", "user_id"),
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["emoji", "user__email"]
    raw_id_fields = ["message", "user"]
    list_select_related = ["message", "user"]
    show_full_result_count = False
    fields = REACTION_FIELDS
    readonly_fields = REACTION_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the message's counts are rewritten by the app on every change; deleting it deletes them
