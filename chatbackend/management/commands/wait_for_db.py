"""`manage.py wait_for_db`: wait, bounded and logged, until the database accepts connections.

Only an outage is waited out (the server not up yet, a lost connection): a configuration mistake such as a wrong
password (MySQL error 1045) or an unknown database (1049) fails at once, in one line, since no wait would fix it.
"""

import logging
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from chatbackend.outages import is_backend_unavailable

logger = logging.getLogger("chatbackend.startup")


class Command(BaseCommand):
    help = (
        "Wait until the database answers (at most --timeout seconds, default DB_WAIT_SECONDS); exit 1 if it never does."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--timeout", type=float, default=settings.DB_WAIT_SECONDS, help="seconds to wait at most")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between attempts")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections["default"]
        deadline = time.monotonic() + options["timeout"]
        attempt = 0
        while True:
            attempt += 1
            try:
                connection.ensure_connection()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
            except Exception as exc:
                connection.close()
                if not is_backend_unavailable(exc):
                    raise CommandError(f"the database refused the connection: {exc}") from exc
                if time.monotonic() >= deadline:
                    raise CommandError(f"database unreachable after {options['timeout']:g}s: {exc}") from exc
                logger.warning("waiting for the database (attempt %d): %s", attempt, exc)
                time.sleep(options["interval"])
                continue
            logger.info("database is up (attempt %d)", attempt)
            return
