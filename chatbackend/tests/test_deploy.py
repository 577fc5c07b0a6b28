"""Production settings pass Django's deployment checklist."""

import os
import subprocess
import sys
from pathlib import Path

from tests.support import BASE_DIR, manage

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


def production_env(**changes: str) -> dict[str, str]:
    """The test run's environment with production settings, and no key file to fall back on."""
    env = {key: value for key, value in os.environ.items() if key != "JWT_SECRET"}
    return {**env, **PRODUCTION_ENV, "JWT_SECRET_FILE": str(BASE_DIR / "test-artifacts" / "no-such-key"), **changes}


def test_production_refuses_to_start_without_a_signing_key() -> None:
    env = production_env()
    del env["JWT_SECRET"]

    result = manage("check", env=env)

    assert result.returncode != 0 and "JWT_SECRET is required" in result.stderr


def test_production_refuses_a_signing_key_shorter_than_32_characters_in_one_line() -> None:
    result = manage("check", env=production_env(JWT_SECRET="x" * 31))

    assert result.returncode != 0
    assert "JWT_SECRET is 31 characters long; production needs at least 32" in result.stderr.splitlines()[-1]
    assert manage("check", env=production_env(JWT_SECRET="x" * 32)).returncode == 0


def test_manage_py_signs_with_the_key_file_that_make_run_uses(tmp_path: Path) -> None:
    """On MySQL with DEBUG off, a command finds .jwt_secret by itself: tokens it makes verify on the server."""
    key_file = tmp_path / "key"
    key_file.write_text("k" * 48)
    env = production_env(JWT_SECRET_FILE=str(key_file))
    del env["JWT_SECRET"]

    result = manage("shell", "-c", "from django.conf import settings; print(settings.JWT_SECRET)", env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "k" * 48
