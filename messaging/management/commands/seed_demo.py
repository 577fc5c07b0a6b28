"""`manage.py seed_demo`: demo users, rooms and a history of messages; running it again changes nothing."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from messaging.models import Message
from messaging.services import import_messages
from rooms.models import Room, RoomMember

DEMO_PASSWORD = "demo-password-123"
USERS = [("alice@example.com", "Alice"), ("bob@example.com", "Bob"), ("carol@example.com", "Carol")]
ROOMS = [("general", False), ("random", False), ("secret-plans", True)]
LINES = [
    "Welcome to the demo! 👋",
    "History pages load newest first; scroll up for more.",
    "Emoji round-trip: 🎉🚀✨",
    "Private rooms need their invite code.",
]


class Command(BaseCommand):
    help = f"Create demo users (password: {DEMO_PASSWORD}), public and private rooms and their history."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--messages", type=int, default=60, help="messages per room (default 60)")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        users = []
        for email, name in USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, DEMO_PASSWORD, name=name)
            users.append(user)
        owner = users[0]
        for name, private in ROOMS:
            room, _ = Room.objects.get_or_create(name=name, created_by=owner, defaults={"is_private": private})
            members = users if not private else users[:2]
            for index, user in enumerate(members):
                role = RoomMember.Role.OWNER if index == 0 else RoomMember.Role.MEMBER
                RoomMember.objects.get_or_create(room=room, user=user, defaults={"role": role})
            if not Message.objects.filter(room=room).exists():
                history = [
                    (members[i % len(members)].id, f"{LINES[i % len(LINES)]} (#{i + 1})")
                    for i in range(options["messages"])
                ]
                import_messages(room_id=room.id, messages=history)
            self.stdout.write(
                f"room #{room.id} {room.name} ({'private, code ' + room.invite_code if private else 'public'})"
            )
        self.stdout.write(self.style.SUCCESS(f"demo users: {', '.join(e for e, _ in USERS)} / {DEMO_PASSWORD}"))
