"""Sign-in abuse limits: login and register throttled per client IP and per account, wrong invite codes too."""

import json
from typing import Any

import pytest
from django.core.cache import cache

from tests.support import TEST_PASSWORD, client_for, make_room, make_user


@pytest.fixture
def rates(settings: Any) -> Any:
    """Set throttle rates for one test, with empty counters before and after."""
    cache.clear()

    def set_rates(**rates: str) -> None:
        settings.CHAT = {**settings.CHAT, "THROTTLE_RATES": {**settings.CHAT["THROTTLE_RATES"], **rates}}

    yield set_rates
    cache.clear()


def login(email: str, password: str, ip: str = "10.0.0.1") -> Any:
    return client_for().post("/api/auth/login", {"email": email, "password": password}, format="json", REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_login_is_throttled_per_account_across_addresses(rates: Any) -> None:
    rates(login_account="3/minute")
    user = make_user()
    statuses = [login(user.email, "wrong-password", ip=f"10.0.0.{i}").status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    refused = login(user.email.upper(), TEST_PASSWORD, ip="10.0.0.99")
    assert refused.status_code == 429
    body = refused.json()["error"]
    assert body["code"] == "rate_limited" and body["retryAfterMs"] > 0
    assert int(refused["Retry-After"]) > 0
    # Another account is unaffected.
    assert login(make_user().email, TEST_PASSWORD, ip="10.0.0.99").status_code == 200


@pytest.mark.django_db
def test_login_is_throttled_per_client_address(rates: Any) -> None:
    rates(login_ip="3/minute")
    emails = [make_user().email for _ in range(4)]
    statuses = [login(email, TEST_PASSWORD, ip="10.0.0.7").status_code for email in emails]
    assert statuses == [200, 200, 200, 429]
    assert login(emails[3], TEST_PASSWORD, ip="10.0.0.8").status_code == 200


@pytest.mark.django_db
def test_forwarded_for_is_not_trusted_without_configured_proxies(rates: Any) -> None:
    rates(login_ip="2/minute")
    user = make_user()
    client = client_for()
    statuses = [
        client.post(
            "/api/auth/login",
            {"email": user.email, "password": TEST_PASSWORD},
            format="json",
            REMOTE_ADDR="10.0.0.9",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}",
        ).status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]


@pytest.mark.django_db
def test_register_is_throttled_per_client_address(rates: Any) -> None:
    rates(register_ip="2/hour")
    statuses = [
        client_for()
        .post(
            "/api/auth/register",
            {"name": "N", "email": f"throttle{i}@example.com", "password": TEST_PASSWORD},
            format="json",
            REMOTE_ADDR="10.0.1.1",
        )
        .status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]


@pytest.mark.django_db
def test_register_is_throttled_per_email_across_addresses(rates: Any) -> None:
    rates(register_account="2/hour")
    taken = make_user().email
    statuses = [
        client_for()
        .post(
            "/api/auth/register",
            {"name": "N", "email": taken.upper() if i % 2 else taken, "password": TEST_PASSWORD},
            format="json",
            REMOTE_ADDR=f"10.0.2.{i}",
        )
        .status_code
        for i in range(3)
    ]
    assert statuses == [409, 409, 429]


@pytest.mark.django_db
def test_login_does_not_reveal_whether_an_email_exists(rates: Any) -> None:
    user = make_user()
    unknown = login("nobody-here@example.com", TEST_PASSWORD)
    wrong = login(user.email, "not-the-password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


@pytest.mark.django_db
def test_wrong_invite_codes_are_throttled_per_user(rates: Any) -> None:
    rates(invite_code_failures="3/hour")
    guesser = make_user()
    room = make_room(private=True)
    client = client_for(guesser)
    statuses = [
        client.post(f"/api/rooms/{room.id}/join", {"inviteCode": f"guess-{i}"}, format="json").status_code
        for i in range(2)
    ] + [client.post("/api/rooms/join", {"inviteCode": "guess-by-code"}, format="json").status_code]
    assert statuses == [403, 403, 403]
    # Even the right code is refused now: guessing cannot go on.
    blocked = client.post(f"/api/rooms/{room.id}/join", {"inviteCode": room.invite_code}, format="json")
    assert blocked.status_code == 429 and blocked.json()["error"]["code"] == "rate_limited"
    # Others are unaffected.
    other = client_for(make_user()).post("/api/rooms/join", {"inviteCode": room.invite_code}, format="json")
    assert other.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["a b@example.com", "x" * 400 + "@example.com", "\ud800@example.com", "ünï@例え.jp"])
def test_any_email_text_is_throttled_safely(rates: Any, email: str) -> None:
    rates(login_account="1/minute", register_account="1/minute")

    def post(path: str, body: dict[str, str], ip: str) -> int:
        # json.dumps escapes a lone surrogate as \ud800, as a client's JSON may carry it.
        raw = json.dumps(body)
        return int(client_for().generic("POST", path, raw, content_type="application/json", REMOTE_ADDR=ip).status_code)

    credentials = {"email": email, "password": TEST_PASSWORD}
    assert post("/api/auth/login", credentials, "10.0.3.1") in (400, 401)
    assert post("/api/auth/login", credentials, "10.0.3.2") == 429
    assert post("/api/auth/register", {"name": "N", **credentials}, "10.0.3.3") == 400
    assert post("/api/auth/register", {"name": "N", **credentials}, "10.0.3.4") == 429
