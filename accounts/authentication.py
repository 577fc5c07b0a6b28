"""Bearer JWT authentication for the API, and the token pair handed out at register and login."""

from typing import Any

from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from accounts.models import User
from accounts.tokens import ChatAccessToken, refresh_token_for, token_version
from chatbackend.errors import InvalidTokenError


class BearerAuthentication(JWTAuthentication):
    """simplejwt's authentication; an unknown or deactivated user, or a token of an ended session (its `ver` is
    older than the account's), is an invalid token, not a 500."""

    def authenticate(self, request: Request) -> Any:
        result = super().authenticate(request)
        if result is not None and not result[0].is_active:
            raise InvalidTokenError()
        return result

    def get_user(self, validated_token: Any) -> Any:
        try:
            user = super().get_user(validated_token)
        except (AuthenticationFailed, InvalidToken, ValueError, TypeError) as exc:
            # An unknown, inactive or malformed user id; a database outage propagates (503, not 401).
            raise InvalidTokenError() from exc
        if token_version(validated_token) != getattr(user, "token_version", None):
            raise InvalidTokenError("The session has ended: sign in again.")
        return user


def current_user(request: Request) -> User:
    """The signed-in user of a request that passed IsAuthenticated."""
    user = request.user
    assert isinstance(user, User)
    return user


def token_pair(user: User) -> dict[str, str]:
    refresh = refresh_token_for(user)
    return {"token": str(refresh.access_token), "refreshToken": str(refresh)}


def validate_access_token(raw_token: str) -> ChatAccessToken:
    """The verified access token (signature, expiry, type, claim types); raises InvalidTokenError. CPU only."""
    try:
        return ChatAccessToken(raw_token)  # type: ignore[arg-type]
    except TokenError as exc:
        raise InvalidTokenError() from exc


def user_for_token(token: ChatAccessToken) -> User:
    """The active user a verified token names, if its session has not ended; raises InvalidTokenError. One query."""
    user = BearerAuthentication().get_user(token)
    if not user.is_active:
        raise InvalidTokenError()
    return user
