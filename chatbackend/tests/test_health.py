"""Liveness answers while the process serves; health and readiness report the database (and migrations, Redis)."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import override_settings
from pytest_django import DjangoDbBlocker

from chatbackend.health import _Migrations
from tests.support import client_for, free_port


@contextmanager
def unreachable_database() -> Iterator[None]:
    """Point the default connection where no database answers (a loopback port where nothing listens, or a SQLite
    file in a folder that does not exist); restore it on the way out."""
    keys = ("HOST", "PORT", "NAME")
    original = {key: connection.settings_dict[key] for key in keys}
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict.update(NAME=f"/nonexistent-{free_port()}/db.sqlite3")
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=free_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(original)


@pytest.mark.django_db
def test_liveness_is_ok_and_checks_nothing_outside_the_process() -> None:
    response = client_for().get("/api/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_health_is_ok_with_the_database_reachable() -> None:
    response = client_for().get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_health_checks_redis_when_configured() -> None:
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"):
        down = client_for().get("/api/health")
    assert down.status_code == 503
    assert down.json() == {"status": "unavailable", "database": "ok", "redis": "unavailable"}


@pytest.mark.django_db
def test_health_path_answers_with_a_trailing_slash_too() -> None:
    assert client_for().get("/api/health/").status_code == 200


@pytest.mark.django_db
def test_ready_when_the_database_answers_and_migrations_are_applied() -> None:
    response = client_for().get("/api/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "migrations": "ok"}


@pytest.mark.django_db
def test_ready_reports_pending_migrations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_Migrations, "applied", False)
    monkeypatch.setattr("django.db.migrations.executor.MigrationExecutor.migration_plan", lambda self, targets: [1])
    response = client_for().get("/api/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "migrations": "pending"}


@pytest.mark.django_db
def test_ready_checks_redis_when_configured() -> None:
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"):
        down = client_for().get("/api/ready")
    assert down.status_code == 503
    assert down.json()["redis"] == "unavailable"


def test_liveness_stays_ok_and_health_and_readiness_fail_while_the_database_is_unreachable(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> None:
    # No django_db mark: the test's own transaction would not survive the connection being closed under it.
    with django_db_blocker.unblock():
        with unreachable_database():
            alive = client_for().get("/api/live")
            unhealthy = client_for().get("/api/health")
            down = client_for().get("/api/ready")
        up = client_for().get("/api/ready")

    assert alive.status_code == 200
    assert unhealthy.status_code == 503
    assert unhealthy.json() == {"status": "unavailable", "database": "unavailable"}
    assert down.status_code == 503
    assert down.json() == {"status": "unavailable", "database": "unavailable"}
    assert up.status_code == 200
    assert up.json()["status"] == "ok"
