"""The deployment files agree with each other, with the settings and with docs/deployment.md, and the server
script really serves and drains within the stop timeouts (no Docker engine, systemd or nginx runs here: the guide
says which of those were checked by hand, and how)."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from tests.support import BASE_DIR, free_port

DEPLOY = BASE_DIR / "deploy"
GUIDE = (BASE_DIR / "docs" / "deployment.md").read_text()
COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
DOCKERFILE = (BASE_DIR / "Dockerfile").read_text()
UNIT = (DEPLOY / "chatbackend@.service").read_text()
MIGRATE_UNIT = (DEPLOY / "chatbackend-migrate.service").read_text()
SERVE = (DEPLOY / "serve").read_text()
GRACE_S = settings.CHAT["SHUTDOWN_GRACE_MS"] / 1000


def seconds(value: str) -> float:
    return float(value.rstrip("s"))


def test_the_server_command_lives_in_deploy_serve_only() -> None:
    assert "--backlog 2048" in SERVE
    assert "--ws-per-message-deflate false" in SERVE and "--no-access-log" in SERVE
    assert SERVE.count("exec ") == 1 and "manage.py wait_for_db" in SERVE
    assert os.access(DEPLOY / "serve", os.X_OK)
    assert 'CMD ["deploy/serve"]' in DOCKERFILE
    assert "pip install --no-cache-dir -r /tmp/requirements.txt -r /tmp/requirements-mysql.txt" in DOCKERFILE
    assert "ExecStart=/srv/chatbackend/deploy/serve" in UNIT
    for text in (DOCKERFILE, UNIT, yaml.safe_dump(COMPOSE)):
        assert "daphne" not in text and "uvicorn " not in text, "name the server in deploy/serve only"
    assert "command" not in COMPOSE["services"]["app"]


def test_the_servers_extras_are_pinned_runtime_requirements() -> None:
    pins = dict(
        line.split("==", 1) for line in (BASE_DIR / "requirements.txt").read_text().splitlines() if "==" in line
    )
    for package in ("uvicorn", "uvloop", "httptools", "websockets"):
        assert pins.get(package), f"{package} is not pinned in requirements.txt"


def test_stop_timeouts_are_longer_than_the_drain() -> None:
    (stop,) = re.findall(r"^TimeoutStopSec=(\d+)", UNIT, re.M)
    assert float(stop) >= GRACE_S + 10
    assert seconds(COMPOSE["services"]["app"]["stop_grace_period"]) >= GRACE_S + 10
    assert "STOPSIGNAL SIGTERM" in DOCKERFILE and "KillSignal=SIGTERM" in UNIT


def test_compose_scales_the_app_behind_its_proxy_without_a_host_port() -> None:
    services = COMPOSE["services"]
    app, proxy = services["app"], services["proxy"]
    assert "ports" not in app and app["expose"] == ["3000"]
    assert [port.split(":")[-1] for port in proxy["ports"]] == ["80"]
    for volume in proxy["volumes"]:
        assert (BASE_DIR / volume.split(":")[0]).exists(), volume
    assert app["environment"]["NUM_PROXIES"] == "1"
    assert app["environment"]["DATABASE_URL"].startswith("mysql://")
    assert app["environment"]["REDIS_URL"].startswith("redis://redis:")
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "migrate --noinput" in " ".join(services["migrate"]["command"])
    assert services["migrate"]["image"] == app["image"]
    for dependency in ("mysql", "redis"):
        assert "healthcheck" in services[dependency]


def test_nginx_sites_share_one_set_of_locations() -> None:
    locations = (DEPLOY / "nginx-locations.conf").read_text()
    assert "proxy_set_header Upgrade $http_upgrade;" in locations
    assert "proxy_set_header Connection $connection_upgrade;" in locations
    assert re.search(r"location = /metrics \{\s*deny all;", locations)
    for site in ("nginx.conf", "nginx-compose.conf"):
        text = (DEPLOY / site).read_text()
        assert "include /etc/nginx/snippets/chatbackend-locations.conf;" in text, site
        assert "map $http_upgrade $connection_upgrade" in text and "set $chatbackend " in text, site
        assert "client_max_body_size 1m;" in text and settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 1024 * 1024, site


def test_the_nginx_upstream_lists_the_instances_the_guide_starts() -> None:
    upstream_ports = re.findall(r"server 127\.0\.0\.1:(\d+);", (DEPLOY / "nginx.conf").read_text())
    started = re.search(r"systemctl enable --now ((?:chatbackend@\d+ ?)+)", GUIDE)
    assert started, "the guide starts the instances"
    assert upstream_ports == re.findall(r"chatbackend@(\d+)", started.group(1))


def test_the_guide_cites_only_files_of_this_repository_and_ships_every_deploy_file() -> None:
    # No path of the machine the project is developed on (its checkout lives under a top-level "work" folder).
    assert "/".join(("", "work", "")) not in GUIDE and "FINDINGS" not in GUIDE
    for link in re.findall(r"\]\(\.\./([^)#]+)\)", GUIDE):
        assert (BASE_DIR / link).exists(), link
    for path in DEPLOY.iterdir():
        assert f"deploy/{path.name}" in GUIDE, f"the guide does not use deploy/{path.name}"
    for step in (
        "python3 -m venv",
        "pip install -r requirements.txt",
        "useradd",
        "/etc/chatbackend/env",
        "systemctl start chatbackend-migrate",
        "nginx -t",
        "redis-server",
        "mariadb-server",
    ):
        assert step in GUIDE, step
    assert "migrate --noinput" in MIGRATE_UNIT and "collectstatic" in MIGRATE_UNIT


@pytest.mark.server
def test_deploy_serve_serves_and_drains_within_the_stop_timeout(test_database_url: str) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": test_database_url, "PORT": str(port), "REDIS_URL": ""}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    server = subprocess.Popen(
        [str(DEPLOY / "serve")], cwd="/", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/ready", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "deploy/serve did not come up"
                time.sleep(0.2)
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=GRACE_S + 10)
        assert time.monotonic() - started < GRACE_S + 10
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
