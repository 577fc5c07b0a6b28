"""REST entry points of accounts: register, login, refresh, logout, and the user's JSON shape."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.authentication import current_user, token_pair
from accounts.models import User
from accounts.throttles import LoginAccountThrottle, LoginIPThrottle, RegisterAccountThrottle, RegisterIPThrottle
from chatbackend.schema import errors
from chatbackend.validation import RAW_LINE_MAX_LENGTH, RAW_WORD_MAX_LENGTH, StrictCharField, parse
from rooms import profiles


class UserOut(serializers.ModelSerializer[User]):
    # A plain string, not format "email": it is the address as registered (Django's validate_email, lowercased),
    # which allows forms JSON Schema's email format does not (a local part over 64 characters).
    email = serializers.CharField(help_text="Lowercased, as registered.")
    lastSeen = serializers.DateTimeField(source="last_seen", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = User
        fields = ["id", "name", "email", "lastSeen", "createdAt"]


class PublicUserOut(serializers.ModelSerializer[User]):
    """What a co-member sees: no email."""

    lastSeen = serializers.DateTimeField(source="last_seen", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = User
        fields = ["id", "name", "lastSeen", "createdAt"]


NAME_MAX_LENGTH = settings.CHAT["NAME_MAX_LENGTH"]


class ProfileIn(serializers.Serializer[Any]):
    name = StrictCharField(max_length=RAW_LINE_MAX_LENGTH, cleaned_max_length=NAME_MAX_LENGTH)


class RegisterIn(serializers.Serializer[Any]):
    name = StrictCharField(max_length=RAW_LINE_MAX_LENGTH, cleaned_max_length=NAME_MAX_LENGTH)
    email = StrictCharField(max_length=services.EMAIL_MAX_LENGTH, pattern=services.EMAIL_PATTERN)
    password = StrictCharField(max_length=RAW_WORD_MAX_LENGTH, min_length=settings.PASSWORD_MIN_LENGTH)


class LoginIn(serializers.Serializer[Any]):
    email = StrictCharField(max_length=RAW_LINE_MAX_LENGTH)
    password = StrictCharField(max_length=RAW_WORD_MAX_LENGTH)


class RefreshIn(serializers.Serializer[Any]):
    refreshToken = StrictCharField(max_length=RAW_LINE_MAX_LENGTH)


class AuthOut(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="Access token: send as Authorization: Bearer <token>.")
    refreshToken = serializers.CharField(help_text="Refresh token for POST /api/auth/refresh.")
    user = UserOut()


class Register(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [RegisterIPThrottle, RegisterAccountThrottle]

    @extend_schema(request=RegisterIn, responses={201: AuthOut, **errors(400, 409, 413, 415, 429)})
    def post(self, request: Request) -> Response:
        """Create an account.

        Registers a user with a name (1 to 100 characters after trimming), an email (unique in any letter case)
        and a password (PASSWORD_MIN_LENGTH characters, 6 by default; more rules with
        PASSWORD_VALIDATION=strict), and signs them in: the answer carries an access token and a refresh token.
        Attempts are throttled per client IP and per email.
        """
        user = services.register(**parse(RegisterIn, request.data))
        return Response({"user": UserOut(user).data, **token_pair(user)}, status=201)


class Login(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [LoginIPThrottle, LoginAccountThrottle]

    @extend_schema(request=LoginIn, responses={200: AuthOut, **errors(400, 401, 413, 415, 429)})
    def post(self, request: Request) -> Response:
        """Sign in.

        Exchanges an email (any letter case) and password for an access token (send it as `Authorization: Bearer
        <token>` and as the Socket.IO `auth.token`) and a refresh token. A wrong password and an unknown email
        get the same 401 `invalid_credentials`. Attempts are throttled per client IP and per account.
        """
        user = services.login(**parse(LoginIn, request.data))
        return Response({**token_pair(user), "user": UserOut(user).data})


class Refresh(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(
        request=RefreshIn,
        responses={200: inline_serializer("AccessTokenOut", {"token": serializers.CharField()}), **errors(400, 401)},
    )
    def post(self, request: Request) -> Response:
        """Refresh the access token.

        Turns a refresh token (from register or login) into a new access token. A refresh token is never
        accepted as an access token, and one of a deactivated user is refused.
        """
        payload = parse(RefreshIn, request.data)
        return Response({"token": services.refresh_access_token(refresh_token=payload["refreshToken"])})


class Logout(APIView):
    """Sign out: the refresh token and every other token of the account stop working; open sockets close."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(request=RefreshIn, responses={204: None, **errors(400, 401, 413, 415)})
    def post(self, request: Request) -> Response:
        """Sign out.

        Revokes the refresh token and every other token of the account (all devices): they stop working at once,
        and the account's open Socket.IO connections close.
        """
        payload = parse(RefreshIn, request.data)
        services.logout(refresh_token=payload["refreshToken"])
        return Response(status=204)


class Me(APIView):
    @extend_schema(responses={200: UserOut, **errors(401)})
    def get(self, request: Request) -> Response:
        """Your account.

        The signed-in user, with their email.
        """
        return Response(UserOut(current_user(request)).data)

    @extend_schema(request=ProfileIn, responses={200: UserOut, **errors(400, 401, 415)})
    def patch(self, request: Request) -> Response:
        """Change your name.

        Renames the signed-in user (1 to 100 characters after trimming); every co-member's connections get
        `user_updated`.
        """
        payload = parse(ProfileIn, request.data)
        return Response(UserOut(profiles.update_profile(user=current_user(request), name=payload["name"])).data)


class UserProfile(APIView):
    @extend_schema(responses={200: PublicUserOut, **errors(401, 404)})
    def get(self, request: Request, user_id: int) -> Response:
        """A user's public profile.

        Name, last seen and creation time (no email) of a user who shares a room with you; anyone else is 404
        `user_not_found`, so that accounts cannot be enumerated.
        """
        return Response(PublicUserOut(profiles.public_profile(viewer=current_user(request), user_id=user_id)).data)
