"""The accounts REST API: register, login, refresh, /users/me, bearer tokens, and how bad requests are refused."""

import json
from datetime import datetime, timedelta
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from tests.support import TEST_PASSWORD, assert_error, client_for, make_user, token_for

STRONG_PASSWORD = "violet-lantern-orbit-42"
USER_FIELDS = {"id", "name", "email", "lastSeen", "createdAt"}


def register(payload: Any, *, client: APIClient | None = None) -> Any:
    return (client or APIClient()).post("/api/auth/register", payload, format="json")


def unique_email(label: str = "new") -> str:
    return f"{label}-{make_user().id}@example.com"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# Register


@pytest.mark.django_db
def test_register_returns_the_user_and_a_token_pair() -> None:
    email = unique_email("ada")
    response = register({"name": "Ada", "email": email, "password": STRONG_PASSWORD})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"user", "token", "refreshToken"}
    assert set(body["user"]) == USER_FIELDS
    assert isinstance(body["user"]["id"], int)
    assert body["user"]["name"] == "Ada"
    assert body["user"]["email"] == email
    assert body["user"]["lastSeen"] is None
    assert body["user"]["createdAt"].endswith("Z")
    datetime.fromisoformat(body["user"]["createdAt"])
    assert bearer(body["token"]).get("/api/users/me").json()["id"] == body["user"]["id"]


@pytest.mark.django_db
def test_register_stores_the_password_hashed_with_bcrypt() -> None:
    email = unique_email()
    register({"name": "Ada", "email": email, "password": STRONG_PASSWORD})

    user = User.objects.get(email=email)
    assert user.password.startswith("bcrypt_sha256$")
    assert STRONG_PASSWORD not in user.password
    assert user.check_password(STRONG_PASSWORD)


@pytest.mark.django_db
def test_register_stores_the_email_lowercased_and_trimmed() -> None:
    email = unique_email()
    response = register({"name": "Ada", "email": f"  {email.upper()} ", "password": STRONG_PASSWORD})

    assert response.status_code == 201
    assert response.json()["user"]["email"] == email
    assert User.objects.filter(email=email).count() == 1


@pytest.mark.django_db
def test_register_refuses_an_email_already_taken() -> None:
    user = make_user()
    response = register({"name": "Other", "email": user.email, "password": STRONG_PASSWORD})

    assert_error(response, 409, "email_taken")
    assert User.objects.filter(email=user.email).count() == 1


@pytest.mark.django_db
def test_register_refuses_an_email_taken_in_another_letter_case() -> None:
    user = make_user()
    response = register({"name": "Other", "email": user.email.upper(), "password": STRONG_PASSWORD})

    assert_error(response, 409, "email_taken")
    assert User.objects.filter(email__iexact=user.email).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "a b@example.com", ""])
def test_register_refuses_an_invalid_email(email: str) -> None:
    response = register({"name": "Ada", "email": email, "password": STRONG_PASSWORD})

    error = assert_error(response, 400, "validation_error")
    assert "email" in error["details"]
    assert not User.objects.filter(name="Ada", email=email.strip().lower()).exists()


@pytest.mark.django_db
def test_register_refuses_an_email_too_long_to_store() -> None:
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"
    assert len(email) > 254

    response = register({"name": "Ada", "email": email, "password": STRONG_PASSWORD})

    error = assert_error(response, 400, "validation_error")
    assert "email" in error["details"]


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["", "abc", "short"])
def test_register_refuses_a_short_password(password: str) -> None:
    email = unique_email()
    response = register({"name": "Ada", "email": email, "password": password})

    error = assert_error(response, 400, "validation_error")
    assert isinstance(error["details"]["password"], list) and error["details"]["password"]
    assert not User.objects.filter(email=email).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["password123", "123456", "secret123"])
def test_register_accepts_the_passwords_clients_of_the_original_api_use(password: str) -> None:
    assert register({"name": "Ada", "email": unique_email(), "password": password}).status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["short", "password", "12345678901", "abc123", "ada-lovelace"])
def test_strict_validation_refuses_weak_passwords(settings: Any, password: str) -> None:
    validation = "django.contrib.auth.password_validation."
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": validation + name}
        for name in (
            "UserAttributeSimilarityValidator",
            "MinimumLengthValidator",
            "CommonPasswordValidator",
            "NumericPasswordValidator",
        )
    ]
    email = f"ada-lovelace-{unique_email()}"
    response = register({"name": "Ada Lovelace", "email": email, "password": password})

    error = assert_error(response, 400, "validation_error")
    assert error["details"]["password"]
    assert not User.objects.filter(email=email).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["name", "email", "password"])
def test_register_refuses_a_missing_field(missing: str) -> None:
    payload = {"name": "Ada", "email": unique_email(), "password": STRONG_PASSWORD}
    del payload[missing]

    error = assert_error(register(payload), 400, "validation_error")
    assert missing in error["details"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", 123),
        ("name", None),
        ("name", ["Ada"]),
        ("email", 5),
        ("email", {"a": 1}),
        ("password", None),
        ("password", 12345678901234),
        ("password", True),
    ],
)
def test_register_refuses_wrong_types_without_coercing(field: str, value: Any) -> None:
    payload: dict[str, Any] = {"name": "Ada", "email": unique_email(), "password": STRONG_PASSWORD}
    payload[field] = value

    error = assert_error(register(payload), 400, "validation_error")
    assert field in error["details"]
    assert not User.objects.filter(email=payload["email"]).exists()


@pytest.mark.django_db
def test_register_refuses_a_name_over_100_characters() -> None:
    email = unique_email()
    error = assert_error(
        register({"name": "n" * 101, "email": email, "password": STRONG_PASSWORD}), 400, "validation_error"
    )
    assert "name" in error["details"]
    assert not User.objects.filter(email=email).exists()


@pytest.mark.django_db
def test_register_accepts_a_name_of_exactly_100_characters() -> None:
    response = register({"name": "n" * 100, "email": unique_email(), "password": STRONG_PASSWORD})

    assert response.status_code == 201
    assert response.json()["user"]["name"] == "n" * 100


@pytest.mark.django_db
def test_register_strips_control_characters_and_whitespace_from_the_name() -> None:
    email = unique_email()
    response = register({"name": "  A\x00d\x07a\x1b  ", "email": email, "password": STRONG_PASSWORD})

    assert response.status_code == 201
    assert response.json()["user"]["name"] == "Ada"
    assert User.objects.get(email=email).name == "Ada"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["", "   ", "\x00\x07\x1b", "\t\n"])
def test_register_refuses_a_name_that_is_empty_once_cleaned(name: str) -> None:
    error = assert_error(
        register({"name": name, "email": unique_email(), "password": STRONG_PASSWORD}), 400, "validation_error"
    )
    assert "name" in error["details"]


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["name", "email", "password"])
def test_register_refuses_text_that_is_not_valid_unicode(field: str) -> None:
    values = {"name": '"Ada"', "email": json.dumps(unique_email()), "password": json.dumps(STRONG_PASSWORD)}
    values[field] = '"bad \\ud800 text"'  # a lone surrogate: valid JSON, but no UTF-8 encoding exists
    body = "{" + ", ".join(f'"{key}": {value}' for key, value in values.items()) + "}"

    response = APIClient().post("/api/auth/register", body, content_type="application/json")

    error = assert_error(response, 400, "validation_error")
    assert field in error["details"]


# Login


@pytest.mark.django_db
def test_login_returns_a_token_pair_and_the_user() -> None:
    user = make_user()
    response = APIClient().post("/api/auth/login", {"email": user.email, "password": TEST_PASSWORD}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "refreshToken", "user"}
    assert set(body["user"]) == USER_FIELDS
    assert body["user"]["id"] == user.id
    assert bearer(body["token"]).get("/api/users/me").json()["email"] == user.email


@pytest.mark.django_db
def test_login_accepts_the_email_in_any_letter_case() -> None:
    user = make_user()
    response = APIClient().post(
        "/api/auth/login", {"email": f" {user.email.upper()} ", "password": TEST_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["user"]["id"] == user.id


@pytest.mark.django_db
def test_login_refuses_a_wrong_password_and_an_unknown_email_alike() -> None:
    user = make_user()
    client = APIClient()
    wrong_password = client.post("/api/auth/login", {"email": user.email, "password": "nope-nope-nope"}, format="json")
    unknown_email = client.post(
        "/api/auth/login", {"email": "nobody-" + user.email, "password": TEST_PASSWORD}, format="json"
    )

    assert_error(wrong_password, 401, "invalid_credentials")
    assert wrong_password.json() == unknown_email.json()
    assert unknown_email.status_code == 401


@pytest.mark.django_db
def test_login_refuses_a_deactivated_user() -> None:
    user = make_user()
    User.objects.filter(id=user.id).update(is_active=False)

    response = APIClient().post("/api/auth/login", {"email": user.email, "password": TEST_PASSWORD}, format="json")

    assert_error(response, 401, "invalid_credentials")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"email": "a@example.com"},
        {"password": "x"},
        {"email": 1, "password": "x"},
        {"email": "a@example.com", "password": None},
    ],
)
def test_login_refuses_missing_or_mistyped_fields(payload: dict[str, Any]) -> None:
    assert_error(APIClient().post("/api/auth/login", payload, format="json"), 400, "validation_error")


# Refresh


@pytest.mark.django_db
def test_refresh_returns_a_new_working_access_token() -> None:
    user = make_user()
    refresh = str(RefreshToken.for_user(user))

    response = APIClient().post("/api/auth/refresh", {"refreshToken": refresh}, format="json")

    assert response.status_code == 200
    assert set(response.json()) == {"token"}
    assert bearer(response.json()["token"]).get("/api/users/me").json()["id"] == user.id


@pytest.mark.django_db
def test_refresh_refuses_an_access_token() -> None:
    response = APIClient().post("/api/auth/refresh", {"refreshToken": token_for(make_user())}, format="json")

    assert_error(response, 401, "invalid_token")


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
def test_refresh_refuses_a_token_that_is_not_a_token(token: str) -> None:
    assert_error(APIClient().post("/api/auth/refresh", {"refreshToken": token}, format="json"), 401, "invalid_token")


@pytest.mark.django_db
def test_refresh_refuses_the_token_of_a_deleted_user() -> None:
    user = make_user()
    refresh = str(RefreshToken.for_user(user))
    user.delete()

    assert_error(APIClient().post("/api/auth/refresh", {"refreshToken": refresh}, format="json"), 401, "invalid_token")


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [{}, {"refreshToken": None}, {"refreshToken": 5}])
def test_refresh_refuses_a_missing_or_mistyped_token(payload: dict[str, Any]) -> None:
    assert_error(APIClient().post("/api/auth/refresh", payload, format="json"), 400, "validation_error")


# /users/me and bearer tokens


@pytest.mark.django_db
def test_me_returns_the_signed_in_user() -> None:
    user = make_user(name="Grace")
    response = client_for(user).get("/api/users/me")

    assert response.status_code == 200
    assert response.json() == {
        "id": user.id,
        "name": "Grace",
        "email": user.email,
        "lastSeen": None,
        "createdAt": user.created_at.isoformat().replace("+00:00", "Z"),
    }


@pytest.mark.django_db
def test_a_request_without_a_token_is_not_authenticated() -> None:
    response = APIClient().get("/api/users/me")

    assert_error(response, 401, "not_authenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def _claims(user: User) -> dict[str, Any]:
    return dict(AccessToken.for_user(user).payload)


def _forged(user: User) -> str:
    return jwt.encode(_claims(user), "not-the-signing-key-" + "y" * 40, algorithm="HS256")


def _unsigned(user: User) -> str:
    return jwt.encode(_claims(user), "", algorithm="none")


def _expired(user: User) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(from_time=token.current_time - timedelta(days=2), lifetime=timedelta(hours=1))
    return str(token)


def _refresh_as_access(user: User) -> str:
    return str(RefreshToken.for_user(user))


def _tampered(user: User) -> str:
    header, payload, signature = token_for(user).split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["user_id"] = str(int(claims["user_id"]) + 1)
    forged_payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    return f"{header}.{forged_payload}.{signature}"


@pytest.mark.django_db
@pytest.mark.parametrize("make_token", [_forged, _unsigned, _expired, _refresh_as_access, _tampered])
def test_a_bad_token_is_refused_as_invalid(make_token: Any) -> None:
    user = make_user()
    token = make_token(user)

    response = bearer(token).get("/api/users/me")

    assert_error(response, 401, "invalid_token")


@pytest.mark.django_db
def test_the_token_of_a_deleted_user_is_invalid() -> None:
    user = make_user()
    client = client_for(user)
    user.delete()

    assert_error(client.get("/api/users/me"), 401, "invalid_token")


@pytest.mark.django_db
def test_the_token_of_a_deactivated_user_is_invalid() -> None:
    user = make_user()
    client = client_for(user)
    User.objects.filter(id=user.id).update(is_active=False)

    assert_error(client.get("/api/users/me"), 401, "invalid_token")


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer not-a-jwt"])
def test_a_malformed_authorization_header_is_refused(header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert_error(client.get("/api/users/me"), 401, "invalid_token")


# Request bodies


@pytest.mark.django_db
@pytest.mark.parametrize("body", ['{"name": "Ada",', "{'name': 'Ada'}", "not json", '{"a": NaN}', b"\xff\xfe{}"])
def test_malformed_json_is_refused(body: str | bytes) -> None:
    response = APIClient().post("/api/auth/register", body, content_type="application/json")

    assert_error(response, 400, "malformed_request")


@pytest.mark.django_db
def test_a_body_over_the_size_limit_is_refused_with_413() -> None:
    body = json.dumps({"name": "Ada", "email": unique_email(), "password": "p" * 2_000})
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1_000):
        assert len(body.encode()) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        response = APIClient().post("/api/auth/register", body, content_type="application/json")

    assert_error(response, 413, "payload_too_large")


@pytest.mark.django_db
def test_a_body_within_the_size_limit_is_accepted() -> None:
    body = json.dumps({"name": "Ada", "email": unique_email(), "password": STRONG_PASSWORD})
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=len(body.encode())):
        response = APIClient().post("/api/auth/register", body, content_type="application/json")

    assert response.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_json_is_refused_with_415(content_type: str) -> None:
    body = json.dumps({"name": "Ada", "email": unique_email(), "password": STRONG_PASSWORD})
    response = APIClient().post("/api/auth/register", body, content_type=content_type)

    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["[]", '["Ada"]', '"Ada"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_refused(body: str) -> None:
    response = APIClient().post("/api/auth/register", body, content_type="application/json")

    assert_error(response, 400, "validation_error")


@pytest.mark.django_db
def test_an_unsupported_method_is_refused_with_405() -> None:
    assert_error(APIClient().get("/api/auth/register"), 405, "method_not_allowed")


@pytest.mark.django_db
def test_an_unknown_api_path_is_a_json_404() -> None:
    assert_error(client_for(make_user()).get("/api/no-such-thing"), 404, "not_found")


@pytest.mark.django_db
def test_paths_answer_with_a_trailing_slash_too() -> None:
    user = make_user()
    client = APIClient()

    registered = client.post(
        "/api/auth/register/", {"name": "Ada", "email": unique_email(), "password": STRONG_PASSWORD}, format="json"
    )
    logged_in = client.post("/api/auth/login/", {"email": user.email, "password": TEST_PASSWORD}, format="json")
    refreshed = client.post("/api/auth/refresh/", {"refreshToken": logged_in.json()["refreshToken"]}, format="json")
    me = client_for(user).get("/api/users/me/")

    assert registered.status_code == 201
    assert logged_in.status_code == 200
    assert refreshed.status_code == 200
    assert me.json()["id"] == user.id


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {"name": "   ", "email": "not-an-email", "password": "x"},
        {"name": "n" * 101, "email": "a@b", "password": ""},
        {"name": 1, "email": None, "password": ["x"]},
    ],
)
def test_register_names_every_bad_field_at_once(payload: dict[str, Any]) -> None:
    response = register(payload)

    error = assert_error(response, 400, "validation_error")
    assert set(error["details"]) == {"name", "email", "password"}
    assert all(error["details"][field] for field in ("name", "email", "password"))
    assert User.objects.count() == 0
