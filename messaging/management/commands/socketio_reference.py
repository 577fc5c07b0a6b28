"""`manage.py socketio_reference`: rewrite the generated Socket.IO tables of README.md and docs/socketio.md."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from messaging.realtime.docs import DOCUMENTS, regenerate


class Command(BaseCommand):
    help = "Rewrite the Socket.IO event and error tables of the docs from the code (--check: only compare)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="change nothing; fail if a file is out of date")

    def handle(self, *args: Any, **options: Any) -> None:
        stale = []
        for name in DOCUMENTS:
            path = settings.BASE_DIR / name
            text = path.read_text()
            current = regenerate(text)
            if current != text:
                stale.append(name)
                if not options["check"]:
                    path.write_text(current)
        if options["check"] and stale:
            raise CommandError(f"out of date: {', '.join(stale)}; run manage.py socketio_reference")
        self.stdout.write(f"{'rewrote' if stale and not options['check'] else 'up to date'}: {', '.join(DOCUMENTS)}")
