"""`manage.py purge_uploads [--older-than-hours N]`: delete uploads no message claimed, rows and files.

Run it from cron (hourly is plenty); by default it purges those older than ORPHAN_UPLOAD_HOURS.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from messaging.attachments import purge_orphans


class Command(BaseCommand):
    help = "Delete uploads that were never attached to a message (older than ORPHAN_UPLOAD_HOURS by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than-hours", type=int, default=None, help="Instead of ORPHAN_UPLOAD_HOURS.")

    def handle(self, *args: Any, **options: Any) -> None:
        purged = purge_orphans(older_than_hours=options["older_than_hours"])
        self.stdout.write(f"Purged {purged} unattached upload(s).")
