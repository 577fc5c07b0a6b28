"""The deployment examples stay in step with the code (no Docker engine or nginx here to run them)."""

import re

import yaml

from tests.support import BASE_DIR


def test_compose_runs_app_mysql_and_redis_with_migrations_before_the_app() -> None:
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"app", "mysql", "redis", "migrate"} <= set(services)
    app = services["app"]
    assert app["environment"]["DATABASE_URL"].startswith("mysql://")
    assert app["environment"]["REDIS_URL"].startswith("redis://redis:")
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "migrate --noinput" in " ".join(services["migrate"]["command"])
    for dependency in ("mysql", "redis"):
        assert "healthcheck" in services[dependency]


def test_dockerfile_installs_the_pinned_requirements_and_waits_for_the_database() -> None:
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r /tmp/requirements.txt -r /tmp/requirements-mysql.txt" in dockerfile
    assert re.search(r"CMD .*manage\.py wait_for_db && exec daphne .*chatbackend\.asgi:application", dockerfile)
    assert "/api/live" in dockerfile


def test_systemd_unit_waits_for_the_database_and_serves_the_asgi_app() -> None:
    unit = (BASE_DIR / "deploy" / "chatbackend@.service").read_text()
    assert "ExecStartPre=/srv/chatbackend/.venv/bin/python manage.py wait_for_db" in unit
    assert "chatbackend.asgi:application" in unit


def test_nginx_site_upgrades_websockets_and_keeps_metrics_private() -> None:
    site = (BASE_DIR / "deploy" / "nginx.conf").read_text()
    assert "proxy_set_header Upgrade $http_upgrade;" in site
    assert "proxy_set_header Connection $connection_upgrade;" in site
    assert re.search(r"location = /metrics \{\s*deny all;", site)
