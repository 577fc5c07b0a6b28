"""Test support: private MariaDB and Redis servers that fault tests may kill and restart freely.

The shared servers of the machine are never stopped by a test; these run on their own ports and data directories.
"""

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support import free_port


def _wait(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up in {timeout}s")


class PrivateMariaDB:
    """A throwaway mariadbd with database `chat`, migrated, on a free loopback port."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="chat-mariadb-"))
        self.port = free_port()
        self.url = f"mysql://root@127.0.0.1:{self.port}/chat"
        self.process: subprocess.Popen[bytes] | None = None

    def install(self) -> "PrivateMariaDB":
        subprocess.run(
            ["mariadb-install-db", "--no-defaults", f"--datadir={self.dir / 'data'}", "--user=root",
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        self.start()
        self.sql("CREATE DATABASE chat CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        return self

    def start(self) -> None:
        log = open(self.dir / "server.log", "ab")  # noqa: SIM115 - kept open for the life of the process
        self.process = subprocess.Popen(
            ["/usr/sbin/mariadbd", "--no-defaults", f"--datadir={self.dir / 'data'}", f"--port={self.port}",
             "--bind-address=127.0.0.1", f"--socket={self.dir / 'sock'}", f"--pid-file={self.dir / 'pid'}",
             "--user=root", "--skip-log-bin", "--innodb-buffer-pool-size=64M"],
            stdout=log, stderr=log,
        )  # fmt: skip
        _wait(self.ready, 60, "mariadbd")

    def ready(self) -> bool:
        result = subprocess.run(
            ["mysqladmin", "-h127.0.0.1", f"-P{self.port}", "-uroot", "ping"], capture_output=True, timeout=10
        )
        return result.returncode == 0

    def sql(self, statement: str) -> str:
        result = subprocess.run(
            ["mysql", "-h127.0.0.1", f"-P{self.port}", "-uroot", "-N", "-e", statement],
            check=True, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        return result.stdout

    def kill(self) -> None:
        """Gone at once, as in a crash: open connections break, new ones are refused."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)

    def destroy(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    """A throwaway redis-server on a free loopback port, nothing kept on disk."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "PrivateRedis":
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(self.ready, 30, "redis-server")
        return self

    def ready(self) -> bool:
        result = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, timeout=10)
        return result.stdout.strip() == b"PONG"

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)
