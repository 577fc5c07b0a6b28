"""The MySQL backend's transactions: begun by START TRANSACTION, with Django's atomic semantics unchanged."""

from typing import Any

import pytest
from django.db import connection, transaction

from accounts.models import User
from chatbackend.db import _unit_of_work
from tests.support import make_user

pytestmark = [pytest.mark.mysql, pytest.mark.django_db(transaction=True)]


class Statements:
    """The driver-level round trips of the default connection (queries, autocommit switches, pings, commits)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent: list[str] = []
        connection.ensure_connection()
        driver = type(connection.connection)
        for name in ("query", "ping", "commit", "rollback"):
            self._record(monkeypatch, driver, name)
        original = driver.autocommit

        def autocommit(raw: Any, on: bool) -> None:
            if raw.get_autocommit() != bool(on):  # what mysqlclient itself sends
                self.sent.append(f"autocommit {int(on)}")
            original(raw, on)

        monkeypatch.setattr(driver, "autocommit", autocommit)

    def _record(self, monkeypatch: pytest.MonkeyPatch, driver: type, name: str) -> None:
        original = getattr(driver, name)

        def call(raw: Any, *args: Any) -> Any:
            text = args[0].decode() if args and isinstance(args[0], bytes) else (args[0] if args else "")
            self.sent.append(f"{name} {text}".strip())
            return original(raw, *args)

        monkeypatch.setattr(driver, name, call)


def test_an_atomic_block_is_one_start_and_one_commit_in_autocommit_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    user = make_user()
    statements = Statements(monkeypatch)
    with transaction.atomic():
        assert connection.connection.get_autocommit(), "the session stays in autocommit mode"
        assert not connection.get_autocommit(), "Django sees a transaction"
        User.objects.filter(id=user.id).update(name="renamed")
    assert statements.sent[0] == "query START TRANSACTION"
    assert statements.sent[-1] == "commit"
    assert not any(sent.startswith("autocommit") for sent in statements.sent)
    assert User.objects.get(id=user.id).name == "renamed"


def test_a_failed_block_rolls_back_and_a_savepoint_keeps_the_outer_work() -> None:
    user = make_user(name="first")
    with pytest.raises(RuntimeError), transaction.atomic():
        User.objects.filter(id=user.id).update(name="lost")
        raise RuntimeError("rolled back")
    assert User.objects.get(id=user.id).name == "first"
    with transaction.atomic():
        User.objects.filter(id=user.id).update(name="kept")
        with pytest.raises(RuntimeError), transaction.atomic():
            User.objects.filter(id=user.id).update(name="undone")
            raise RuntimeError("to the savepoint")
    assert User.objects.get(id=user.id).name == "kept"
    # Nothing is left open: the session is back in autocommit mode.
    assert connection.connection.get_autocommit() and not connection.in_atomic_block


def test_on_commit_runs_only_after_the_commit() -> None:
    ran: list[str] = []
    with transaction.atomic():
        transaction.on_commit(lambda: ran.append("committed"))
        assert ran == []
    assert ran == ["committed"]
    with pytest.raises(RuntimeError), transaction.atomic():
        transaction.on_commit(lambda: ran.append("never"))
        raise RuntimeError("rolled back")
    assert ran == ["committed"]


def test_manual_transactions_still_turn_autocommit_off() -> None:
    user = make_user(name="first")
    transaction.set_autocommit(False)
    try:
        assert not connection.connection.get_autocommit()
        User.objects.filter(id=user.id).update(name="rolled back")
        transaction.rollback()
    finally:
        transaction.set_autocommit(True)
    assert User.objects.get(id=user.id).name == "first"


def test_a_unit_of_work_on_a_connection_that_just_worked_sends_no_ping(monkeypatch: pytest.MonkeyPatch) -> None:
    user = make_user()

    def rename(name: str) -> None:
        with transaction.atomic():
            User.objects.filter(id=user.id).update(name=name)

    _unit_of_work(rename, "one").unwrap()
    statements = Statements(monkeypatch)
    _unit_of_work(rename, "two").unwrap()
    assert "ping" not in statements.sent
    assert statements.sent == ["query START TRANSACTION", statements.sent[1], "commit"]
