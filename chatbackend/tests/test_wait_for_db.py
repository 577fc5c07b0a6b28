"""`manage.py wait_for_db` returns once the database answers, and gives up (exit 1) after its timeout."""

import os
import re
import subprocess
import sys
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from pytest_django import DjangoDbBlocker

from chatbackend.tests.test_health import unreachable_database
from tests.support import BASE_DIR


def test_returns_when_the_database_answers(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> None:
    with django_db_blocker.unblock():
        call_command("wait_for_db", "--timeout", "5")


def test_gives_up_after_the_timeout_with_a_clear_message(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker, caplog: pytest.LogCaptureFixture
) -> None:
    with django_db_blocker.unblock(), unreachable_database(), pytest.raises(CommandError, match="unreachable after"):
        call_command("wait_for_db", "--timeout", "0.3", "--interval", "0.1")
    assert "waiting for the database" in caplog.text


@pytest.mark.mysql
@pytest.mark.parametrize(
    # An unknown database is 1049, or 1044 (access denied to it) for a user whose grants do not cover that name.
    ("setting", "value", "error"),
    [("USER", "no_such_user", "1045"), ("NAME", "no_such_db", "(1049|1044)")],
)
def test_a_wrong_password_or_unknown_database_fails_at_once_in_one_line(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker, setting: str, value: str, error: str
) -> None:
    original = connection.settings_dict[setting]
    connection.close()
    connection.settings_dict[setting] = value
    started = time.monotonic()
    try:
        with django_db_blocker.unblock(), pytest.raises(CommandError) as raised:
            call_command("wait_for_db", "--timeout", "30", "--interval", "0.1")
    finally:
        connection.close()
        connection.settings_dict[setting] = original

    assert time.monotonic() - started < 5
    message = str(raised.value)
    assert message.startswith("the database refused the connection: ") and re.search(error, message)
    assert "\n" not in message


@pytest.mark.parametrize("url", ["postgres://chat@db/chat", "mysqlx://chat@db/chat", "chat.sqlite3"])
def test_an_unknown_database_url_scheme_names_the_supported_ones_in_one_line(url: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "chatbackend.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Configuration error: DATABASE_URL has an unsupported scheme")
    assert "mysql://" in line and "sqlite://" in line
