"""Only an outage of the database is `unavailable`; any other database error is a bug, logged with its traceback."""

import logging

import pytest
from django.db import DatabaseError, OperationalError, connection
from pytest_django import DjangoDbBlocker

from chatbackend.exception_handler import as_chat_error
from chatbackend.tests.test_health import unreachable_database


def database_error(sql: str) -> DatabaseError:
    """The error the real database raises for this statement."""
    with pytest.raises(DatabaseError) as raised, connection.cursor() as cursor:
        cursor.execute(sql)
    return raised.value


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql", ["UPDATE rooms AS r JOIN (SELECT 1) AS v SET", "SELECT * FROM no_such_table", "SELECT no_such_column"]
)
def test_a_statement_the_database_rejects_is_an_internal_error_logged_with_its_traceback(
    sql: str, caplog: pytest.LogCaptureFixture
) -> None:
    error = database_error(sql)

    with caplog.at_level(logging.ERROR, logger="chatbackend"):
        chat_error = as_chat_error(error)

    assert chat_error.code == "internal"
    [record] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert record.exc_info is not None and record.exc_info[1] is error


def test_a_database_that_cannot_be_reached_is_unavailable(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker, caplog: pytest.LogCaptureFixture
) -> None:
    with django_db_blocker.unblock(), unreachable_database(), pytest.raises(OperationalError) as raised:
        connection.ensure_connection()

    assert as_chat_error(raised.value).code == "unavailable"
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (OperationalError(2006, "MySQL server has gone away"), "unavailable"),
        (OperationalError(1213, "Deadlock found when trying to get lock"), "unavailable"),
        (OperationalError("database is locked"), "unavailable"),
        (OperationalError(1054, "Unknown column 'x' in 'field list'"), "internal"),
        (OperationalError('near "JOIN": syntax error'), "internal"),
    ],
)
def test_outages_are_told_from_bugs_by_the_error_the_driver_reports(error: OperationalError, code: str) -> None:
    assert as_chat_error(error).code == code
