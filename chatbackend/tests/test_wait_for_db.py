"""`manage.py wait_for_db` returns once the database answers, and gives up (exit 1) after its timeout."""

import pytest
from django.core.management import CommandError, call_command
from pytest_django import DjangoDbBlocker

from chatbackend.tests.test_health import unreachable_database


def test_returns_when_the_database_answers(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> None:
    with django_db_blocker.unblock():
        call_command("wait_for_db", "--timeout", "5")


def test_gives_up_after_the_timeout_with_a_clear_message(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker, caplog: pytest.LogCaptureFixture
) -> None:
    with django_db_blocker.unblock(), unreachable_database(), pytest.raises(CommandError, match="unreachable after"):
        call_command("wait_for_db", "--timeout", "0.3", "--interval", "0.1")
    assert "waiting for the database" in caplog.text
