"""Production settings pass Django's deployment checklist."""

import os
import subprocess
import sys

from tests.support import BASE_DIR

PRODUCTION_ENV = {
    "DEBUG": "false",
    "DATABASE_URL": "mysql://chat:secret@127.0.0.1:3306/chat",
    "JWT_SECRET": "a-long-random-production-signing-key-0123456789abcdef",
    "ALLOWED_HOSTS": "chat.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "DJANGO_SETTINGS_MODULE": "chatbackend.settings",
}


def test_check_deploy_is_clean_with_production_settings() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("THROTTLE_", "BCRYPT"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={**env, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_signing_key() -> None:
    env = {key: value for key, value in os.environ.items() if key != "JWT_SECRET"}
    env = {**env, **PRODUCTION_ENV}
    del env["JWT_SECRET"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "JWT_SECRET is required" in result.stderr
