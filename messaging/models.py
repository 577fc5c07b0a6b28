"""Messages of a room."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Message(models.Model):
    room = models.ForeignKey("rooms.Room", on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    content = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    # Set by clients that retry sends: (room, sender, client_msg_id) is stored once.
    client_msg_id = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        db_table = "messages"
        ordering = ["-id"]
        # History pages are keyset scans of one room by id, newest first (and oldest first for catch-up).
        indexes = [models.Index(fields=["room", "id"], name="messages_room_id_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["room", "sender", "client_msg_id"], name="messages_room_sender_client_msg_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.id} in {self.room_id} by {self.sender_id}"
