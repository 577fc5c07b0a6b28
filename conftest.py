"""Shared fixtures: the real server processes of the realtime tests (settings: chatbackend/settings_test.py)."""

import os
import uuid
from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

from messaging.ratelimit import rate_limiter
from tests.support import ServerProcess, database_url_for

# Short windows so that tests can wait them out.
SERVER_ENV = {
    "MESSAGE_RATE_LIMIT": "5",
    "MESSAGE_RATE_WINDOW_MS": "1000",
    "TYPING_TIMEOUT_MS": "800",
    "PRESENCE_HEARTBEAT_MS": "300",
    "PRESENCE_TTL_MS": "1500",
    "MAX_CONNECTIONS_PER_USER": "5",
}

# Tests bound to the wall clock: a killed process, a Redis restart or a drain observed within a deadline, the
# cross-process rate limit, the typing timeout, the soak. They carry the `timing` marker, and `make test` runs
# them in a phase of their own, after the rest of the MySQL and SQLite runs (which run side by side): see the
# Makefile. A file, or one test of a file (every parameter of it).
TIMING_BOUND = (
    "messaging/tests/test_scale_out.py",
    "messaging/tests/test_soak.py",
    "messaging/tests/test_shutdown.py",
    "chatbackend/tests/test_faults.py",
    "chatbackend/tests/test_channels_manager.py",
    "presence/tests/test_startup.py",
    "accounts/tests/test_sessions_realtime.py::test_deactivation_closes_the_user_s_sockets_in_every_process",
    "messaging/tests/test_realtime.py::test_rate_limit_refuses_the_sixth_message_and_recovers_after_the_window",
    "messaging/tests/test_realtime.py::test_typing_clears_itself_when_the_typer_goes_quiet",
)


def pytest_itemcollected(item: pytest.Item) -> None:
    """Mark the tests of TIMING_BOUND `timing` (before `-m` selects by marker)."""
    if any(item.nodeid == bound or item.nodeid.startswith((f"{bound}::", f"{bound}[")) for bound in TIMING_BOUND):
        item.add_marker(pytest.mark.timing)


@pytest.fixture(autouse=True)
def fresh_process_counters() -> Iterator[None]:
    """Each test starts with this process's rate-limit windows and throttle counters empty.

    SQLite hands out the ids of a rolled-back test again (MySQL's auto-increment never goes back), so the
    counters of one test's (user, room) would otherwise still be full for the next test's.
    """
    yield
    rate_limiter.cache_clear()
    if isinstance(caches["default"], LocMemCache):  # never a shared Redis cache: clear() would flush its database
        caches["default"].clear()


@pytest.fixture(scope="session")
def test_database_url(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> str:
    from django.db import connection

    return database_url_for(connection.settings_dict)


@pytest.fixture(scope="session")
def live_server_url(test_database_url: str) -> Iterator[str]:
    """One server process, in-memory mode (no REDIS_URL), on the test database."""
    server = ServerProcess(database_url=test_database_url, env={**SERVER_ENV, "REDIS_URL": ""}).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def uvicorn_server_url(test_database_url: str) -> Iterator[str]:
    """The same application under uvicorn (permessage-deflate off), in-memory mode."""
    env = {**SERVER_ENV, "REDIS_URL": ""}
    server = ServerProcess(database_url=test_database_url, env=env, server="uvicorn").start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def second_redis_shard() -> Iterator[str]:
    """A private redis-server, the second shard of the channel layer in the two-shard runs."""
    from tests.support.private_servers import PrivateRedis

    shard = PrivateRedis().start()
    yield shard.url
    shard.kill()


@pytest.fixture(params=["one Redis", "two Redis shards"])
def redis_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """The environment of processes sharing one Redis, or fanning out over two shards (a fresh prefix per test)."""
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    env = {**SERVER_ENV, "REDIS_URL": redis_url, "SOCKETIO_CHANNEL": f"chat-test-{uuid.uuid4().hex[:8]}"}
    if request.param == "two Redis shards":
        env["REDIS_SHARD_URLS"] = f"{redis_url},{request.getfixturevalue('second_redis_shard')}"
    return env


@pytest.fixture
def redis_servers(test_database_url: str, redis_env: dict[str, str]) -> Iterator[list[ServerProcess]]:
    """Two server processes on Redis (every test runs with one Redis and with two channel-layer shards)."""
    servers = [ServerProcess(database_url=test_database_url, env=redis_env) for _ in range(2)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """On CI a skipped test is a failure: everything must run for real."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.environ.get("CI") and skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter:
            reporter.write_line(f"CI: {skipped} test(s) skipped; nothing may be skipped on CI.", red=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On SQLite, leave out the tests about MySQL itself (deselected, not skipped: CI fails on a skip)."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return
    mysql_only = [item for item in items if item.get_closest_marker("mysql")]
    if mysql_only:
        config.hook.pytest_deselected(items=mysql_only)
        items[:] = [item for item in items if not item.get_closest_marker("mysql")]
