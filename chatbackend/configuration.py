"""Settings that need more than a default: the database of DATABASE_URL (MySQL/MariaDB, or SQLite set up for a
server), the token signing key and the logging."""

import importlib.util
import secrets
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

MYSQL_ENGINE = "chatbackend.mysql_backend"
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
    database["ENGINE"] = MYSQL_ENGINE  # Django's, with START TRANSACTION for atomic blocks
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


JWT_SECRET_MIN_LENGTH = 32


def signing_key(secret: str, *, key_file: Path, production: bool) -> str:
    """The token signing key: JWT_SECRET, else the key kept in `key_file` (.jwt_secret, which `make run` and the
    embedded default generate once), so that the server and every `manage.py` command of a checkout sign alike.

    Production (DEBUG off, DATABASE_URL set) never generates one, and refuses a key shorter than 32 characters.
    """
    if secret:
        key = secret
    elif key_file.exists():
        key = key_file.read_text().strip()
    elif production:
        raise ImproperlyConfigured(
            f"JWT_SECRET is required when DEBUG is off and DATABASE_URL is set (or a key in {key_file}, as `make run`"
            " writes): set it to a long random string."
        )
    else:
        try:  # exclusive create: of several processes starting at once, one writes the key and all read it
            with open(key_file, "x") as new_file:
                key_file.chmod(0o600)
                new_file.write(secrets.token_urlsafe(48))
        except FileExistsError:
            pass
        key = key_file.read_text().strip()
    if production and len(key) < JWT_SECRET_MIN_LENGTH:
        raise ImproperlyConfigured(
            f"JWT_SECRET is {len(key)} characters long; production needs at least {JWT_SECRET_MIN_LENGTH} (for example"
            " `python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
        )
    return key


def logging_config(*, log_format: str, level: str, access_level: str, event_level: str) -> dict[str, Any]:
    """LOGGING: plain lines, or one JSON object per line ("json"), each with the request or connection id."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "chatbackend.logcontext.RequestIdFilter"},
            "one_line": {"()": "chatbackend.logcontext.OneLineFilter"},
            "repeats": {"()": "chatbackend.logcontext.Repeats"},
        },
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
            "json": {  # `time` in ISO 8601 UTC with microseconds, e.g. 2026-12-01T21:57:52.786123+00:00
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(request_id)s %(message)s",
                "timestamp": "time",
                "rename_fields": {"levelname": "level", "name": "logger"},
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if log_format == "json" else "plain",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.server": {"level": "WARNING"},
            "daphne": {"level": "WARNING"},
            # Malformed packets from clients: one line each, never a traceback (see OneLineFilter).
            "engineio.server": {"filters": ["one_line"]},
            # One line per HTTP request, per Socket.IO connect, disconnect and refused event; ACCESS_LOG_LEVEL=WARNING
            # keeps only server errors. Events that went well are DEBUG lines: EVENT_LOG_LEVEL=DEBUG logs them too.
            "chatbackend.access": {"level": access_level},
            "chatbackend.events": {"level": event_level},
            "channels_redis.pubsub": {"filters": ["repeats"]},
        },
    }
