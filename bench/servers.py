"""Server processes under test: the real app or the bare baseline, under daphne or uvicorn, pinned to a core."""

import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
LOG_DIR = BASE_DIR / "bench" / "results" / "logs"
REAL_APP = "chatbackend.asgi:application"
BASELINE_APP = "bench.baseline_server:application"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Ten thousand connections need ten thousand descriptors in the server and in the load generator.
NOFILE = 16_384


def raise_nofile() -> None:
    """Raise this process's open-file limit (inherited by the load generator and the servers it starts)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = NOFILE if hard == resource.RLIM_INFINITY else min(NOFILE, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def task_cpu_seconds(pid: int) -> float:
    """CPU time of every thread of a process, at nanosecond resolution (/proc/<pid>/task/*/schedstat): fine enough
    for a nearly idle process, where utime+stime move in 10 ms ticks."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # a thread that just ended
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


class BenchRedis:
    """A private redis-server on a free port, pinned to `core`, so that its CPU is this run's alone."""

    def __init__(self, *, core: int) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.core = core
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "BenchRedis":
        command = ["taskset", "-c", str(self.core), "redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen([*command, "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def cpu_seconds(self) -> float:
        assert self.process is not None
        return task_cpu_seconds(self.process.pid)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


class BenchServer:
    """One server process pinned to `core` with `taskset`, serving `app` on a loopback port."""

    def __init__(self, *, app: str, asgi: str, env: dict[str, str], core: int, label: str) -> None:
        self.app = app
        self.asgi = asgi
        self.core = core
        self.label = label
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "PORT": str(self.port)}
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = LOG_DIR / f"{label}-{asgi}-{self.port}.log"

    def command(self) -> list[str]:
        if self.asgi == "uvicorn":
            server = [
                "-m",
                "uvicorn",
                self.app,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--backlog",
                "2048",
                "--ws-per-message-deflate",
                "false",
                "--no-access-log",
                "--log-level",
                "warning",
            ]
        else:  # daphne's default listen backlog of 50 drops connects in a burst (FINDINGS.md)
            server = ["-m", "daphne", "-e", f"tcp:port={self.port}:interface=127.0.0.1:backlog=2048", self.app]
        return ["taskset", "-c", str(self.core), sys.executable, *server]

    def start(self, timeout: float = 60) -> "BenchServer":
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the life of the process
        # taskset execs the server, so the pid is the server's; the raised descriptor limit is inherited.
        self.process = subprocess.Popen(self.command(), cwd=BASE_DIR, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        probe = f"{self.url}/socket.io/?EIO=4&transport=polling"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.label} exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(probe, timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.label} did not answer in {timeout}s; see {self.log_path}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (fields 14 and 15 of /proc/<pid>/stat)."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def stop(self, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "BenchServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
