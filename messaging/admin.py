"""Admin for messages: raw-id foreign keys and no full counts, so pages stay fast with millions of rows."""

from django.contrib import admin

from messaging.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "room", "sender", "short_content", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["content"]
    raw_id_fields = ["room", "sender"]
    list_select_related = ["room", "sender"]
    show_full_result_count = False
    date_hierarchy = None

    @admin.display(description="content")
    def short_content(self, message: Message) -> str:
        return message.content[:80]
