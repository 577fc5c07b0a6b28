"""Sessions end with the account (issue 13 #1, #2, #7): token versions, logout, deactivation, password changes,
and tokens whose claims have the wrong type. REST here; the sockets are in test_sessions_realtime.py."""

import time
from typing import Any

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.authentication import token_pair
from accounts.models import User
from accounts.services import change_password, deactivate_user
from tests.support import TEST_PASSWORD, assert_error, client_for, make_user


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def refresh(refresh_token: str) -> Any:
    return APIClient().post("/api/auth/refresh", {"refreshToken": refresh_token}, format="json")


@pytest.mark.django_db
def test_a_new_password_ends_the_old_tokens_on_rest_and_refresh() -> None:
    user = make_user()
    old = token_pair(user)
    assert bearer(old["token"]).get("/api/users/me").status_code == 200

    change_password(user=user, password="another-long-password")

    assert_error(bearer(old["token"]).get("/api/users/me"), 401, "invalid_token")
    assert_error(refresh(old["refreshToken"]), 401, "invalid_token")
    login = APIClient().post(
        "/api/auth/login", {"email": user.email, "password": "another-long-password"}, format="json"
    )
    assert bearer(login.json()["token"]).get("/api/users/me").status_code == 200


@pytest.mark.django_db
def test_a_password_set_anywhere_ends_the_old_tokens() -> None:
    """The admin form and `manage.py changepassword` call set_password + save: the version moves with it."""
    user = make_user()
    old = token_pair(user)
    user.set_password("set-elsewhere-123")
    user.save()
    assert_error(bearer(old["token"]).get("/api/users/me"), 401, "invalid_token")


@pytest.mark.django_db
def test_logout_revokes_the_refresh_token_and_the_access_tokens() -> None:
    user = make_user()
    tokens = APIClient().post("/api/auth/login", {"email": user.email, "password": TEST_PASSWORD}, format="json").json()

    response = APIClient().post("/api/auth/logout", {"refreshToken": tokens["refreshToken"]}, format="json")

    assert response.status_code == 204
    assert_error(refresh(tokens["refreshToken"]), 401, "invalid_token")
    assert_error(bearer(tokens["token"]).get("/api/users/me"), 401, "invalid_token")
    again = APIClient().post("/api/auth/logout", {"refreshToken": tokens["refreshToken"]}, format="json")
    assert_error(again, 401, "invalid_token")
    assert_error(
        APIClient().post("/api/auth/logout", {"refreshToken": tokens["token"]}, format="json"), 401, "invalid_token"
    )


@pytest.mark.django_db
def test_a_deactivated_user_s_tokens_are_refused_everywhere() -> None:
    user = make_user()
    tokens = token_pair(user)

    deactivate_user(user=user)

    assert not User.objects.get(id=user.id).is_active
    assert_error(bearer(tokens["token"]).get("/api/rooms"), 401, "invalid_token")
    assert_error(refresh(tokens["refreshToken"]), 401, "invalid_token")


def _signed(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, str(settings.SIMPLE_JWT["SIGNING_KEY"]), algorithm="HS256")


def _claims(user: User, token_type: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"token_type": token_type, "exp": now + 600, "iat": now, "jti": "x" * 32, "user_id": str(user.id)}
    return {**base, **overrides}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": str(int(time.time()) + 600)},
        {"exp": [1]},
        {"iat": "yesterday"},
        {"exp": True},
        {"user_id": {"id": 1}},
        {"ver": "0"},
        {"jti": 5},
    ],
)
def test_tokens_whose_claims_have_the_wrong_type_are_invalid_not_a_500(overrides: dict[str, Any]) -> None:
    user = make_user()
    access = _signed(_claims(user, "access", **overrides))
    refresh_token = _signed(_claims(user, "refresh", **overrides))

    assert_error(bearer(access).get("/api/users/me"), 401, "invalid_token")
    assert_error(refresh(refresh_token), 401, "invalid_token")
    logout = APIClient().post("/api/auth/logout", {"refreshToken": refresh_token}, format="json")
    assert_error(logout, 401, "invalid_token")


@pytest.mark.django_db
def test_tokens_from_before_versions_still_work_until_the_first_session_end() -> None:
    user = make_user()
    legacy = _signed(_claims(user, "access"))  # no "ver" claim
    assert client_for(user).get("/api/users/me").status_code == 200
    assert bearer(legacy).get("/api/users/me").status_code == 200
    deactivate_user(user=user)
    assert_error(bearer(legacy).get("/api/users/me"), 401, "invalid_token")
