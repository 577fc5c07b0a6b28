import pytest

from chatbackend.testing import client_for


@pytest.mark.django_db
def test_health_is_ok_with_the_database_reachable() -> None:
    response = client_for().get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
