"""The full-text index of message content, one per database vendor.

MySQL/MariaDB: an InnoDB FULLTEXT index on `messages.content`, kept by InnoDB itself (every INSERT, including the
send path's hand-written multi-row INSERT, every edit and every tombstone). Its built-in parser splits words at
spaces and punctuation: text written without spaces (Chinese, Japanese, Thai) is one long token per run. MySQL's
`ngram` parser would cut it into bigrams, but MariaDB has no ngram parser, so the index is the same on both; words
shorter than `innodb_ft_min_token_size` (3) and InnoDB's stopwords are not indexed (see messaging/search.py).

SQLite: an FTS5 external-content table `messages_fts` over `messages` (rowid = message id, tokenizer unicode61,
diacritics folded), kept in sync by triggers on insert, on every change of content (an edit, a tombstone's empty
content) and on delete. Django rebuilds a SQLite table to alter it (a new table, copied, renamed), which drops
its triggers: `ensure_sqlite_index` runs after every `migrate` and puts them back (and rebuilds the index then).
"""

from django.db.backends.base.base import BaseDatabaseWrapper

MYSQL_INDEX = "messages_content_ft"
SQLITE_TABLE = "messages_fts"

_SQLITE_TRIGGERS = {
    "messages_fts_insert": "AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content); END",
    "messages_fts_delete": "AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content); END",
    "messages_fts_update": "AFTER UPDATE OF content ON messages BEGIN "
    "INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content); "
    "INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content); END",
}


def create_index(connection: BaseDatabaseWrapper) -> None:
    """Create the vendor's full-text index over the existing messages (the migration's forward step)."""
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            # InnoDB adds its hidden FTS_DOC_ID column: on a large table this rebuilds it once.
            cursor.execute(f"ALTER TABLE messages ADD FULLTEXT INDEX {MYSQL_INDEX} (content)")
        elif connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_TABLE} USING fts5(content, content='messages', "
                "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
            )
    ensure_sqlite_index(connection)


def drop_index(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute(f"ALTER TABLE messages DROP INDEX {MYSQL_INDEX}")
        elif connection.vendor == "sqlite":
            for name in _SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {SQLITE_TABLE}")


def ensure_sqlite_index(connection: BaseDatabaseWrapper) -> bool:
    """On SQLite, (re)create any missing sync trigger and then rebuild the index from `messages`; True if it had
    to. Nothing to do elsewhere, or before the FTS table exists (the migration creates both)."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name LIKE 'messages_fts%'"
        )
        present = {row[0] for row in cursor.fetchall()}
        if SQLITE_TABLE not in present:
            return False
        missing = [name for name in _SQLITE_TRIGGERS if name not in present]
        for name in missing:
            cursor.execute(f"CREATE TRIGGER {name} {_SQLITE_TRIGGERS[name]}")
        if missing:
            cursor.execute(f"INSERT INTO {SQLITE_TABLE} ({SQLITE_TABLE}) VALUES ('rebuild')")
    return bool(missing)
