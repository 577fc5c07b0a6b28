"""Running ORM work from async code: a bounded pool of threads, each holding its own database connection.

Django's async ORM and `sync_to_async(thread_sensitive=True)` funnel every call of a process through one thread and
one connection, so concurrent handlers queue behind each other. Here each unit of work runs on one of DB_THREADS
threads (so at most that many connections per process), wrapped in `close_old_connections()` so that a
connection broken by a database restart or `wait_timeout` is replaced instead of failing every later call. The
health check (a ping, CONN_HEALTH_CHECKS) is skipped for a connection that finished a unit without error less than
`FRESH_CONNECTION_S` ago: under load that is one round trip less per unit (per group-commit batch). A connection
lost within that second fails its unit (an outage: `unavailable`), and Django's error tracking has the next unit
check and replace it.
The caller's context (the request/connection id of the log lines) goes along to the thread, and the time of each
unit, queueing included, is observed by the `chat_db_seconds` metric. Events the unit publishes on commit come back
with its result and are sent from the loop.
"""

import asyncio
import contextvars
import functools
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar, cast

from django.conf import settings
from django.db import close_old_connections, connection, models
from django.db.backends.base.base import BaseDatabaseWrapper

from chatbackend.metrics import DB_SECONDS
from chatbackend.outbox import Handover, collected, run_in_order

P = ParamSpec("P")
R = TypeVar("R")


@functools.cache
def db_executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=settings.CHAT["DB_THREADS"], thread_name_prefix="db")


@dataclass
class _Outcome(Generic[R]):
    """What a unit of work left: its result or its exception, and the events it published on commit (a unit that
    raises may have committed before: its events go out all the same)."""

    published: list[Handover]
    result: R | None = None
    error: Exception | None = None

    def unwrap(self) -> R:
        if self.error is not None:
            raise self.error
        return cast(R, self.result)


FRESH_CONNECTION_S = 1.0  # a connection that worked this recently is used without a ping


class _LastGood(threading.local):
    """This thread's connection that last finished a unit of work without error, and until when it counts as
    alive."""

    connection: Any = None
    until = 0.0


_last_good = _LastGood()


def _unit_of_work(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> _Outcome[R]:
    close_old_connections()
    alive = connection.connection is not None and connection.connection is _last_good.connection
    if alive and time.monotonic() < _last_good.until:
        connection.health_check_done = True  # type: ignore[attr-defined]  # it worked a moment ago: no ping
    try:
        with collected() as published:
            try:
                return _Outcome(published, result=fn(*args, **kwargs))
            except Exception as exc:
                return _Outcome(published, error=exc)
    finally:
        good = connection.connection is not None and not connection.errors_occurred
        _last_good.connection = connection.connection if good else None
        _last_good.until = time.monotonic() + FRESH_CONNECTION_S
        close_old_connections()


def db(fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`await db(service)(**kwargs)`: run a sync ORM function on the DB pool without blocking the event loop.

    The events the function published on commit are sent from the loop before this returns, in order, so a
    handler acknowledges only what its room has been sent (see chatbackend.outbox).
    """

    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()  # run_in_executor does not carry it, unlike asyncio.to_thread
        call = functools.partial(context.run, functools.partial(_unit_of_work, fn, *args, **kwargs))
        started = time.perf_counter()
        try:
            outcome = await loop.run_in_executor(db_executor(), call)
        finally:
            DB_SECONDS.observe(time.perf_counter() - started)
        await run_in_order(outcome.published)
        return outcome.unwrap()

    return run


def any_row(conditions: Sequence[str], rows: Iterable[Sequence[Any]]) -> tuple[str, list[Any]]:
    """SQL matching any of these rows: `(a = %s AND b = %s) OR (...)` for conditions ("a = %s", "b = %s"), with its
    parameters (one per condition per row).

    For hot batch statements written in SQL: building the same condition from one Q object per row costs the ORM
    ~1 ms per 10 rows to compile, far more than the database takes to run it.
    """
    row_sql = "(" + " AND ".join(conditions) + ")"
    params: list[Any] = []
    count = 0
    for row in rows:
        params.extend(row)
        count += 1
    return " OR ".join([row_sql] * count), params


def values_table(columns: Sequence[str], rows: Iterable[Sequence[int]]) -> tuple[str, list[int]]:
    """A derived table of integer rows with these column names, as SQL for the default database, with its parameters.

    Joined on a unique index it is how MySQL and MariaDB match a batch of keys fastest (~1 ms for 200 rows, where
    an OR of 200 conditions takes ~5 and `(a, b) IN (...)` ~10). Integers only: a string column would bring the
    connection's collation into the comparison. MySQL gets `SELECT %s AS a, %s AS b UNION ALL SELECT %s, %s ...`
    (the form every MySQL and MariaDB version reads); SQLite, which allows at most 500 terms in a compound SELECT
    but any number of rows in VALUES, gets `SELECT column1 AS a, column2 AS b FROM (VALUES (%s, %s), ...)`.
    """
    params: list[int] = []
    count = 0
    for row in rows:
        params.extend(int(value) for value in row)
        count += 1
    if connection.vendor == "sqlite":
        named = ", ".join(f"column{i} AS {column}" for i, column in enumerate(columns, start=1))
        row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
        return f"SELECT {named} FROM (VALUES {', '.join([row_sql] * count)})", params
    first = "SELECT " + ", ".join(f"%s AS {column}" for column in columns)
    rest = "SELECT " + ", ".join(["%s"] * len(columns))
    return " UNION ALL ".join([first] + [rest] * (count - 1)), params


def locked_rows(table: str, columns: Sequence[str], ids: Iterable[int]) -> list[tuple[Any, ...]]:
    """The rows of `table` with these ids (their `columns`), locked for the transaction in id order, so that two
    transactions locking some of the same rows wait for each other instead of deadlocking. In SQL, not a queryset:
    compiling the ORM's SELECT ... FOR UPDATE cost more than running it, on every batch. SQLite has no row locks:
    its transactions (IMMEDIATE) hold the whole file."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE id IN ({', '.join(['%s'] * len(wanted))}) "
            f"ORDER BY id{lock}",
            wanted,
        )
        return list(cursor.fetchall())


def update_from_rows(
    table: str,
    *,
    columns: Sequence[str],
    rows: Iterable[Sequence[int]],
    match: Sequence[str],
    assign: dict[str, str],
    where: str = "",
) -> None:
    """Update `table` (alias `t`) from a batch of integer rows (alias `v`, see `values_table`) in one statement.

    `match` names the columns `t` and `v` share that pick the row to update, `assign` maps each column of `t` to the
    column of `v` it takes, and `where` (SQL over `t` and `v`) narrows further. MySQL and MariaDB spell this
    `UPDATE t JOIN v ON ... SET ...`; SQLite (3.33+, as PostgreSQL) `UPDATE t SET ... FROM v WHERE ...`.
    """
    rows_sql, params = values_table(columns, rows)
    if not params:
        return
    on = " AND ".join(f"t.{column} = v.{column}" for column in match)
    condition = f"{on} AND ({where})" if where else on
    if connection.vendor == "mysql":
        sets = ", ".join(f"t.{column} = v.{source}" for column, source in assign.items())
        sql = f"UPDATE {table} AS t JOIN ({rows_sql}) AS v ON {condition} SET {sets}"
    else:
        sets = ", ".join(f"{column} = v.{source}" for column, source in assign.items())
        sql = f"UPDATE {table} AS t SET {sets} FROM ({rows_sql}) AS v WHERE {condition}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


class ExactCharField(models.CharField):  # type: ignore[type-arg]
    """A CharField compared byte for byte on every backend, for identities such as invite codes and clientMsgId.

    MySQL's utf8mb4_unicode_ci ignores letter case (and weighs many characters equal), so "Msg-1" would find
    "msg-1"; the column gets utf8mb4_bin there. SQLite compares bytes already (its BINARY collation).
    """

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "mysql":
            params["collation"] = "utf8mb4_bin"
        return params
