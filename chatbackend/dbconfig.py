"""The `DATABASES["default"]` of a DATABASE_URL: MySQL/MariaDB, or SQLite (the embedded default) set up for a server."""

import importlib.util
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

SCHEMES = {"mysql": "mysql://user:password@host:3306/name", "sqlite": "sqlite:////absolute/path/to/file.sqlite3"}


def database_settings(url: str | None, *, embedded_file: Path) -> dict[str, Any]:
    """Django's settings of the database at `url`, or of the embedded SQLite file when there is no url.

    Raises ImproperlyConfigured, naming the supported schemes, for any other scheme: django-environ would otherwise
    hand Django an engine it cannot load, which fails much later with a less helpful message.
    """
    if not url:
        return _sqlite({"ENGINE": "django.db.backends.sqlite3", "NAME": str(embedded_file)})
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in SCHEMES:
        supported = "; ".join(f"{name}:// ({example})" for name, example in SCHEMES.items())
        raise ImproperlyConfigured(
            f"DATABASE_URL has an unsupported scheme {scheme or url[:20]!r}: use {supported}, or unset it for the"
            " embedded SQLite file."
        )
    database: dict[str, Any] = dict(environ.Env.db_url_config(url))
    return _sqlite(database) if scheme == "sqlite" else _mysql(database)


def _mysql(database: dict[str, Any]) -> dict[str, Any]:
    if importlib.util.find_spec("MySQLdb") is None:
        raise ImproperlyConfigured(
            "DATABASE_URL is mysql:// but the MySQL driver is not installed: `make run` installs it for such a URL,"
            " or run `.venv/bin/pip install -r requirements-mysql.txt` (it builds against libmariadb-dev)."
        )
    database["OPTIONS"] = {
        **database.get("OPTIONS", {}),
        "charset": "utf8mb4",
        "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
    }
    database["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    return database


def _sqlite(database: dict[str, Any]) -> dict[str, Any]:
    """SQLite for a server: several DB threads (and several processes, in the tests) share one file.

    WAL lets readers go on while one writer commits. Every transaction starts IMMEDIATE, taking the write lock at
    BEGIN: a DEFERRED one that reads and then writes fails at once with "database is locked" when another writer
    got there first, without waiting out the busy timeout. synchronous=NORMAL keeps every commit through a crash
    of the process (a power cut may lose the last ones) at a fraction of the cost of a sync per commit. The test
    database is a file beside this one (not SQLite's in-memory default), so that the server processes started by
    the tests open the same database.
    """
    name = Path(database["NAME"])
    database["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
    database["TEST"] = {"NAME": str(name.with_name(f"test_{name.name}"))}
    return database
