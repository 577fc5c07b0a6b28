"""Messages of a room."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from chatbackend.db import ExactCharField


class Message(models.Model):
    room = models.ForeignKey("rooms.Room", on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    content = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    # Set by clients that retry sends: (room, sender, client_msg_id) is stored once; compared byte for byte, so
    # "Msg-1" and "msg-1" are two messages.
    client_msg_id = ExactCharField(max_length=settings.CHAT["CLIENT_MSG_ID_MAX_LENGTH"], null=True, blank=True)
    # The message's position in its room (1, 2, 3, ...), taken from Room.message_seq when it is stored.
    seq = models.BigIntegerField(default=0)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Soft delete: content is emptied and the tombstone stays in history.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # {emoji: count}, rewritten from the Reaction rows under a row lock on every change, so that history pages
    # show counts without a query per page.
    reactions = models.JSONField(default=dict, blank=True)
    # A reply names the message of its room that it answers (messaging/threads.py); that message counts its direct
    # replies, tombstones included, as the thread lists them. SET_NULL: messages are tombstoned, never deleted one by
    # one; a row goes only with its room or its sender's account, and then the replies of others stay, on their own.
    # No index of its own: (reply_to, id) below serves the foreign key and the thread pages.
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies", db_index=False
    )
    reply_count = models.IntegerField(default=0)
    last_reply_at = models.DateTimeField(null=True, blank=True)
    # How many Attachment rows point here (0 for text-only messages): history and sends look attachments up only
    # for messages that have some, so a page of text costs no extra query.
    attachment_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "messages"
        ordering = ["-id"]
        # History pages are keyset scans of one room by id, newest first (and oldest first for catch-up).
        # (room, seq) finds the rows a batch just inserted on MySQL 8, where INSERT returns no ids. A thread's
        # pages are keyset scans of (reply_to, id), oldest first.
        indexes = [
            models.Index(fields=["room", "id"], name="messages_room_id_idx"),
            models.Index(fields=["room", "seq"], name="messages_room_seq_idx"),
            models.Index(fields=["reply_to", "id"], name="messages_reply_to_id_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["room", "sender", "client_msg_id"], name="messages_room_sender_client_msg_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.id} in {self.room_id} by {self.sender_id}"

    @property
    def attachment_list(self) -> list["Attachment"]:
        """Its attachments: none without a query when it has none, those loaded with it (a send, a history page:
        messaging.attachments.prefetch), else one query."""
        if not self.attachment_count:
            return []
        loaded = getattr(self, "_attachments", None)
        if loaded is None:
            loaded = self._attachments = list(Attachment.objects.filter(message_id=self.id))
        return list(loaded)


class Reaction(models.Model):
    """One user's emoji on one message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reaction_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=settings.CHAT["REACTION_MAX_LENGTH"])
    # The emoji's UTF-8 bytes in hex. utf8mb4_unicode_ci weighs most emoji equal (all characters outside the
    # BMP compare equal), so uniqueness and grouping use this ASCII key, never the emoji column.
    emoji_key = models.CharField(max_length=256)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "message_reactions"
        constraints = [
            models.UniqueConstraint(fields=["message", "user", "emoji_key"], name="reactions_message_user_emoji_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.emoji} by {self.user_id} on {self.message_id}"


class Attachment(models.Model):
    """An uploaded file: its uploader's until a message claims it (once), then readable by whoever reads the room.

    `file` is a name in the default storage (STORAGES["default"]): random, never served by a public path; the
    bytes are served by messaging/uploads_api.py after an access check. `content_type` was sniffed from the
    bytes at upload, never taken from the client.
    """

    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="attachment_rows"
    )
    file = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=127)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "message_attachments"
        ordering = ["id"]
        indexes = [models.Index(fields=["message_id", "created_at"], name="attachments_msg_created_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.size} bytes) by {self.uploader_id}"
