"""`manage.py post_message`: send a message as a user, stored and delivered live like any other send.

Outside the server there is no Socket.IO server to emit through: with REDIS_URL the event goes out through
python-socketio's write-only Redis manager to every server process; without it the message is only stored.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from chatbackend.errors import ChatError
from messaging import services


class Command(BaseCommand):
    help = "Send a message to a room as a user (for bots, announcements and operations)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--room", type=int, required=True, help="room id")
        parser.add_argument("--user", required=True, help="sender's email")
        parser.add_argument("--reply-to", type=int, default=None, help="id of the message of the room it replies to")
        parser.add_argument("content")

    def handle(self, *args: Any, **options: Any) -> None:
        sender = User.objects.filter(email=options["user"].strip().lower(), is_active=True).first()
        if sender is None:
            raise CommandError(f"no active user with email {options['user']}")
        try:
            message, _ = services.send_message(
                sender=sender, room_id=options["room"], content=options["content"], reply_to_id=options["reply_to"]
            )
        except ChatError as error:
            raise CommandError(f"{error.code}: {error.message}") from error
        self.stdout.write(f"message #{message.id} stored in room #{message.room_id}")
