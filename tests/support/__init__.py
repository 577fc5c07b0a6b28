"""Test support: factories for the data a test needs, and real server processes to test against."""

import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from rest_framework.test import APIClient

from accounts.authentication import token_pair
from accounts.models import User
from messaging.models import Message
from messaging.services import import_messages
from rooms.models import Room, RoomMember

TEST_PASSWORD = "correct-horse-battery-staple"
# The keys of a message in every answer and event (messaging.serializers.message_json).
MESSAGE_FIELDS = {
    "id",
    "roomId",
    "senderId",
    "content",
    "createdAt",
    "editedAt",
    "deletedAt",
    "reactions",
    "replyToId",
    "replyCount",
    "attachments",
}
_sequence = itertools.count(1)
BASE_DIR = Path(__file__).resolve().parents[2]


def make_user(*, name: str | None = None, email: str | None = None, password: str = TEST_PASSWORD) -> User:
    n = next(_sequence)
    return User.objects.create_user(
        email or f"user{n}-{time.time_ns()}@example.com", password, name=name or f"User {n}"
    )


def make_room(
    *, creator: User | None = None, private: bool = False, members: tuple[User, ...] = (), name: str = ""
) -> Room:
    creator = creator or make_user()
    room = Room.objects.create(name=name or f"room {next(_sequence)}", is_private=private, created_by=creator)
    RoomMember.objects.create(room=room, user=creator, role=RoomMember.Role.OWNER)
    for member in members:
        RoomMember.objects.create(room=room, user=member)
    return room


def make_messages(room: Room, sender: User, count: int, *, prefix: str = "message") -> list[Message]:
    """Store messages in bulk, with their room sequence positions (not read by the sender: see send_message)."""
    return import_messages(room_id=room.id, messages=[(sender.id, f"{prefix} {i}") for i in range(count)])


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is `{"error": {"code", "message", "details"?}}` with this status and code; returns the error."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    allowed = {"code", "message", "details"} | ({"retryAfterMs"} if code == "rate_limited" else set())
    assert set(error) <= allowed
    if "details" in error:
        assert isinstance(error["details"], dict)
    return dict(error)


def token_for(user: User) -> str:
    return token_pair(user)["token"]


def client_for(user: User | None = None) -> APIClient:
    """A DRF test client, signed in as `user` when given."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a `manage.py` command in its own process, as an operator would, with this environment."""
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """A real server (daphne by default, uvicorn, or `manage.py runserver`) serving chatbackend.asgi on a loopback
    port."""

    def __init__(self, *, database_url: str, env: dict[str, str] | None = None, server: str | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = server or os.environ.get("CHAT_TEST_SERVER", "daphne")
        self.env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(self.port), **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = BASE_DIR / "test-artifacts" / f"server-{self.port}.log"

    def command(self) -> list[str]:
        if self.server == "uvicorn":
            return [
                sys.executable,
                "-m",
                "uvicorn",
                "chatbackend.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--ws-per-message-deflate",
                "false",
                "--no-access-log",
            ]
        if self.server == "runserver":  # Django's development server: daphne, through Channels
            return [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"]
        # -v 0: no access log of daphne's own beside the application's line per request (as `make run`).
        return [
            sys.executable,
            "-m",
            "daphne",
            "-v",
            "0",
            "-b",
            "127.0.0.1",
            "-p",
            str(self.port),
            "chatbackend.asgi:application",
        ]

    def start(self, timeout: float = 120) -> "ServerProcess":
        """Start the process and wait for /api/health. A quiet machine takes 2-3 s (importing the application);
        a loaded one, with the MySQL and SQLite runs side by side (see the Makefile), can take over 30 s."""
        self.log_path.parent.mkdir(exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the life of the process
        self.process = subprocess.Popen(self.command(), cwd=BASE_DIR, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/health", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"server did not answer in {timeout}s; see {self.log_path}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


def database_url_for(settings_dict: dict[str, Any]) -> str:
    """DATABASE_URL for a server process that must use the same database as the test run."""
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(settings_dict['NAME']).resolve()}"
    user = settings_dict.get("USER") or "root"
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{password}" if password else user
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 3306
    return f"mysql://{credentials}@{host}:{port}/{settings_dict['NAME']}"


def run_node_tests(path: Path, *, package: str, env: dict[str, str], timeout: float) -> None:
    """Run `node --test` on a folder of .mjs tests with `env`; fails (never skips) with what is missing or failed."""
    node = shutil.which("node")
    assert node is not None, "Node.js is required: install Node 20+ so that `node` is on PATH."
    assert (BASE_DIR / "node_modules" / package / "package.json").exists(), (
        f"{package} is not installed: run `npm ci` in the repository root."
    )
    result = subprocess.run(
        [node, "--test", "--test-reporter=spec", str(path)],
        cwd=BASE_DIR,
        env={**os.environ, "NO_COLOR": "1", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"node --test {path.name} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    )


BROWSER_TESTS = BASE_DIR / "tests" / "browser"
SCREENSHOT_DIR = BASE_DIR / "test-artifacts" / "screenshots"  # the README shows copies: docs/screenshots/


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(path).exists(), (
        f"Chromium is required for the browser tests and was not found at {path}: install Debian's `chromium`"
        " package (apt-get install chromium; .ci/run does it) or set CHROMIUM_PATH."
    )
    return path


def run_browser_test(name: str, *, server_url: str, env: dict[str, str], timeout: float = 180) -> None:
    """Run tests/browser/<name> (node's test runner, playwright-core, headless Chromium) against a live server."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    browser_env = {"SERVER_URL": server_url, "CHROMIUM_PATH": chromium_path(), "SCREENSHOT_DIR": str(SCREENSHOT_DIR)}
    run_node_tests(BROWSER_TESTS / name, package="playwright-core", env={**browser_env, **env}, timeout=timeout)
