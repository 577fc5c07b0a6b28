"""REST entry points of accounts: register, login, refresh, logout, and the user's JSON shape."""

from typing import Any

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


class ProfileIn(serializers.Serializer[Any]):
    name = StrictCharField(max_length=RAW_LINE_MAX_LENGTH)


class RegisterIn(serializers.Serializer[Any]):
    name = StrictCharField(max_length=RAW_LINE_MAX_LENGTH)
    email = StrictCharField(max_length=RAW_LINE_MAX_LENGTH)
    password = StrictCharField(max_length=RAW_WORD_MAX_LENGTH)


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
        user = services.register(**parse(RegisterIn, request.data))
        return Response({"user": UserOut(user).data, **token_pair(user)}, status=201)


class Login(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [LoginIPThrottle, LoginAccountThrottle]

    @extend_schema(request=LoginIn, responses={200: AuthOut, **errors(400, 401, 413, 415, 429)})
    def post(self, request: Request) -> Response:
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
        payload = parse(RefreshIn, request.data)
        return Response({"token": services.refresh_access_token(refresh_token=payload["refreshToken"])})


class Logout(APIView):
    """Sign out: the refresh token and every other token of the account stop working; open sockets close."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(request=RefreshIn, responses={204: None, **errors(400, 401, 413, 415)})
    def post(self, request: Request) -> Response:
        payload = parse(RefreshIn, request.data)
        services.logout(refresh_token=payload["refreshToken"])
        return Response(status=204)


class Me(APIView):
    @extend_schema(responses={200: UserOut, **errors(401)})
    def get(self, request: Request) -> Response:
        return Response(UserOut(current_user(request)).data)

    @extend_schema(request=ProfileIn, responses={200: UserOut, **errors(400, 401, 415)})
    def patch(self, request: Request) -> Response:
        payload = parse(ProfileIn, request.data)
        return Response(UserOut(profiles.update_profile(user=current_user(request), name=payload["name"])).data)


class UserProfile(APIView):
    @extend_schema(responses={200: PublicUserOut, **errors(401, 404)})
    def get(self, request: Request, user_id: int) -> Response:
        return Response(PublicUserOut(profiles.public_profile(viewer=current_user(request), user_id=user_id)).data)
