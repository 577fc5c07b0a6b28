"""The full-text index of message content (messaging/search_index.py): FULLTEXT on MySQL/MariaDB, FTS5 on SQLite."""

from typing import Any

from django.db import migrations

from messaging import search_index


def forwards(apps: Any, schema_editor: Any) -> None:
    search_index.create_index(schema_editor.connection)


def backwards(apps: Any, schema_editor: Any) -> None:
    search_index.drop_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0005_client_msg_id_exact"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
