from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _restore_search_triggers(using: str = "default", **_: Any) -> None:
    """Django rebuilds a SQLite table to alter it, dropping its triggers: put the search index's back."""
    from messaging.search_index import ensure_sqlite_index

    ensure_sqlite_index(connections[using])


class MessagingConfig(AppConfig):
    name = "messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_restore_search_triggers, sender=self, dispatch_uid="messaging-search-triggers")
