"""Which failures are outages of the database or Redis (`unavailable`, worth a retry) and which are bugs."""

import redis
from django.db import InterfaceError, OperationalError

# MySQL/MariaDB errors that say the server is out of reach or briefly overloaded, not that the statement is wrong:
# can't connect (2002, 2003), gone away or lost (2006, 2013, 2055), shutting down (1053), killed (1927), too many
# connections (1040), lock wait timeout and deadlock (1205, 1213), timed out idle (4031).
MYSQL_OUTAGE_CODES = frozenset({1040, 1053, 1205, 1213, 1927, 2002, 2003, 2006, 2013, 2055, 4031})
# SQLite's equivalents: another writer holds the file past the busy timeout, or the file or disk fails.
SQLITE_OUTAGE_MESSAGES = ("database is locked", "database table is locked", "unable to open database", "disk i/o")


def is_backend_unavailable(exc: BaseException) -> bool:
    """The database or Redis cannot be reached (or dropped the connection): the client may retry later.

    Other database errors (a statement the database rejects, a missing table) are bugs or a broken deployment,
    which a retry does not fix: they are logged with their traceback and reach the client as `internal`.
    """
    if isinstance(exc, (InterfaceError, redis.ConnectionError, redis.TimeoutError)):
        return True
    if not isinstance(exc, OperationalError):
        return False
    code = exc.args[0] if exc.args else None
    if isinstance(code, int):
        return code in MYSQL_OUTAGE_CODES
    return str(exc).lower().startswith(SQLITE_OUTAGE_MESSAGES)
