"""`make run` on SQLite: it migrates, says where it serves once it listens, stores messages, and logs each request
once (the application's line, not daphne's own beside it)."""

import os
import re
import selectors
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import BASE_DIR, TEST_PASSWORD, free_port
from tests.support.socketio_client import http

pytestmark = pytest.mark.server


class MakeRun:
    """`make run` as a user starts it, in its own process group (make, the announcer and the server)."""

    def __init__(self, database: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "PORT": str(self.port), "REDIS_URL": ""}
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"PORT={self.port}"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.output = ""

    def read_until(self, pattern: str, timeout: float) -> str:
        """The output so far, once it contains `pattern` (a regular expression)."""
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.output):
            remaining = deadline - time.monotonic()
            assert remaining > 0 and self.process.poll() is None, f"no {pattern!r} in:\n{self.output}"
            self._read(remaining)
        return self.output

    def read_for(self, seconds: float) -> str:
        """The output after reading whatever comes for `seconds` more."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            self._read(remaining)
        return self.output

    def _read(self, timeout: float) -> None:
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        if selector.select(timeout):
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:  # the output closed: make exited
                time.sleep(timeout)
            self.output += chunk.decode(errors="replace")
        selector.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[MakeRun]:
    run = MakeRun(tmp_path / "chat.sqlite3")
    yield run
    run.stop()


def test_make_run_announces_its_urls_stores_a_message_and_logs_each_request_once(make_run: MakeRun) -> None:
    output = make_run.read_until(r"chatbackend is serving .*\n(.*\n){5}", timeout=180)
    assert f"http://localhost:{make_run.port}/api/docs/" in output
    assert f"http://localhost:{make_run.port}/api/docs/socketio/" in output

    email = f"first-{uuid.uuid4().hex[:8]}@example.com"
    status, body = http(
        "POST", f"{make_run.url}/api/auth/register", body={"name": "First", "email": email, "password": TEST_PASSWORD}
    )
    assert status == 201, body
    token = body["token"]
    status, room = http("POST", f"{make_run.url}/api/rooms", token=token, body={"name": "first contact"})
    assert status == 201, room
    status, sent = http("POST", f"{make_run.url}/api/rooms/{room['id']}/messages", token=token, body={"content": "hi"})
    assert status == 201, sent
    status, page = http("GET", f"{make_run.url}/api/rooms/{room['id']}/messages", token=token)
    assert status == 200 and [message["content"] for message in page["messages"]] == ["hi"]

    path = f"/api/rooms/{room['id']}/messages"
    make_run.read_until(rf"GET {path} 200", timeout=10)
    output = make_run.read_for(1)  # a second line (daphne's own) would follow at once
    assert len([line for line in output.splitlines() if f"POST {path}" in line]) == 1, output
    assert len([line for line in output.splitlines() if f"GET {path}" in line]) == 1, output
