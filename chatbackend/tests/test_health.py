"""The health endpoint reports whether the database answers right now, and recovers when it does again."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from pytest_django import DjangoDbBlocker

from chatbackend.testing import client_for, free_port


@contextmanager
def unreachable_database() -> Iterator[None]:
    """Point the default connection at a loopback port where nothing listens; restore it on the way out."""
    original = {key: connection.settings_dict[key] for key in ("HOST", "PORT")}
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=free_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(original)


@pytest.mark.django_db
def test_health_is_ok_with_the_database_reachable() -> None:
    response = client_for().get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_health_path_answers_with_a_trailing_slash_too() -> None:
    assert client_for().get("/api/health/").status_code == 200


def test_health_is_unavailable_while_the_database_is_unreachable(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> None:
    # No django_db mark: the test's own transaction would not survive the connection being closed under it.
    with django_db_blocker.unblock():
        with unreachable_database():
            down = client_for().get("/api/health")
        up = client_for().get("/api/health")

    assert down.status_code == 503
    assert down.json() == {"status": "unavailable", "database": "unavailable"}
    assert up.status_code == 200
    assert up.json() == {"status": "ok", "database": "ok"}
