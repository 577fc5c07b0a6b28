"""Operations endpoints: liveness (`/api/live`), health (`/api/health`), readiness (`/api/ready`), `/metrics`.

Liveness checks nothing outside the process, so that a database outage does not make an orchestrator restart
healthy processes. Health says whether the database (and Redis, when configured) can be reached now: 503 when
not. Readiness adds that every migration is applied, so that a load balancer sends traffic only to processes
that can serve it.
"""

import hmac
from typing import Any

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatbackend.errors import NotAuthenticated, NotFound, error_body


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        connection.close()  # a broken connection is replaced at the next request
        return False


class _Migrations:
    """Whether the database has every migration of the code; once true, it stays true for the process."""

    applied = False

    @classmethod
    def check(cls) -> bool:
        if not cls.applied:
            executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
            cls.applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
        return cls.applied


def _redis_ok() -> bool:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def dependencies() -> dict[str, str]:
    """Whether the database and (when configured) Redis answer: "ok" or "unavailable" each."""
    checks = {"database": "ok" if _database_ok() else "unavailable"}
    if settings.REDIS_URL:
        checks["redis"] = "ok" if _redis_ok() else "unavailable"
    return checks


def readiness() -> dict[str, str]:
    """Each dependency's state: "ok", "unavailable" or (migrations) "pending"."""
    checks = dependencies()
    if checks["database"] == "ok":
        try:
            checks["migrations"] = "ok" if _Migrations.check() else "pending"
        except Exception:
            checks["migrations"] = "unavailable"
    return checks


def _answer(checks: dict[str, str]) -> Response:
    healthy = all(value == "ok" for value in checks.values())
    return Response({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


def _status_schema(name: str, fields: dict[str, Any], example: dict[str, str]) -> dict[str, Any]:
    return {
        "responses": {
            (status, "application/json"): inline_serializer(f"{name}{status}", fields) for status in (200, 503)
        },
        "examples": [OpenApiExample("ready", value=example, response_only=True, status_codes=["200"])],
    }


class Live(APIView):
    """Liveness: 200 while the process serves requests; it checks no dependency."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    may_be_unavailable = False  # no 503 in its schema: it touches neither the database nor Redis

    @extend_schema(
        responses={200: inline_serializer("Live", {"status": serializers.CharField()})},
        examples=[OpenApiExample("alive", value={"status": "ok"}, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        """Liveness.

        200 while the process serves requests; it checks no dependency, so a database outage does not get
        healthy processes restarted.
        """
        return Response({"status": "ok"})


class Health(APIView):
    """Health: 200 when the database and Redis (if configured) answer, 503 when one does not."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(
        **_status_schema(
            "Health",
            {
                "status": serializers.CharField(),
                "database": serializers.CharField(),
                "redis": serializers.CharField(required=False),
            },
            {"status": "ok", "database": "ok", "redis": "ok"},
        )
    )
    def get(self, request: Request) -> Response:
        """Health of the dependencies.

        200 when the database and Redis (when configured) answer; 503 naming the one that does not.
        """
        return _answer(dependencies())


class Ready(APIView):
    """Readiness: 200 when the database answers, migrations are applied and Redis (if configured) answers; else 503."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(
        **_status_schema(
            "Ready",
            {
                "status": serializers.CharField(),
                "database": serializers.CharField(),
                "migrations": serializers.CharField(required=False),
                "redis": serializers.CharField(required=False),
            },
            {"status": "ok", "database": "ok", "migrations": "ok", "redis": "ok"},
        )
    )
    def get(self, request: Request) -> Response:
        """Readiness.

        200 when the database answers, every migration is applied and Redis (when configured) answers; 503
        naming what is not ready. Point load balancer health checks here.
        """
        return _answer(readiness())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text exposition; 404 unless METRICS_ENABLED, and a bearer METRICS_TOKEN when one is set."""
    if not settings.METRICS_ENABLED:
        return JsonResponse(error_body(NotFound()), status=404)
    expected = settings.METRICS_TOKEN
    if expected:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return JsonResponse(error_body(NotAuthenticated("A bearer METRICS_TOKEN is required.")), status=401)
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
