"""`manage.py deactivate_user EMAIL`: turn an account off; its tokens stop working and its open sockets close.

With REDIS_URL the sockets are closed live in every server process (through python-socketio's Redis channel).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User, normalize_email
from accounts.services import deactivate_user


class Command(BaseCommand):
    help = "Deactivate a user: tokens refused, open Socket.IO connections closed in every process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=normalize_email(options["email"])).first()
        if user is None:
            raise CommandError(f"No user with email {options['email']}.")
        deactivate_user(user=user)
        self.stdout.write(f"Deactivated {user.email}.")
