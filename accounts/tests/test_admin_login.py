"""The admin's login form is throttled like the REST login, on the same counters (issue 13 #4)."""

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from tests.support import TEST_PASSWORD, client_for


@pytest.fixture
def login_rates(settings: Any) -> Any:
    cache.clear()
    rates = {**settings.CHAT["THROTTLE_RATES"], "login_account": "5/minute", "login_ip": "8/minute"}
    settings.CHAT = {**settings.CHAT, "THROTTLE_RATES": rates}
    yield
    cache.clear()


def staff() -> User:
    return User.objects.create_superuser(f"admin-{User.objects.count()}@example.com", TEST_PASSWORD, name="Admin")


def admin_login(email: str, password: str, ip: str) -> Any:
    return Client(REMOTE_ADDR=ip).post("/admin/login/", {"username": email, "password": password})


@pytest.mark.django_db
def test_wrong_admin_passwords_are_throttled_per_account_and_the_right_one_then_waits(login_rates: None) -> None:
    admin = staff()
    statuses = [admin_login(admin.email, "wrong", ip=f"10.1.0.{i}").status_code for i in range(6)]
    assert statuses == [200, 200, 200, 200, 200, 429]  # the form answers 200 with its error, then 429

    refused = admin_login(admin.email, TEST_PASSWORD, ip="10.1.0.99")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "_auth_user_id" not in Client().session
    # The REST login shares the account's counter.
    rest = client_for().post("/api/auth/login", {"email": admin.email, "password": TEST_PASSWORD}, format="json")
    assert rest.status_code == 429


@pytest.mark.django_db
def test_admin_logins_are_throttled_per_address_across_accounts(login_rates: None) -> None:
    admins = [staff() for _ in range(9)]
    statuses = [admin_login(admin.email, "wrong", ip="10.2.0.1").status_code for admin in admins]
    assert statuses[:8] == [200] * 8 and statuses[8] == 429
    assert admin_login(admins[0].email, TEST_PASSWORD, ip="10.2.0.2").status_code == 302  # elsewhere: logs in


@pytest.mark.django_db
def test_the_admin_login_page_itself_is_not_throttled(login_rates: None) -> None:
    for _ in range(10):
        assert Client(REMOTE_ADDR="10.3.0.1").get("/admin/login/").status_code == 200
