"""CORS_ORIGIN governs browsers' cross-origin access to both halves: the REST API and Socket.IO."""

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from conftest import SERVER_ENV
from tests.support import ServerProcess

pytestmark = pytest.mark.server
ALLOWED = "http://app.example.com"


@pytest.fixture(scope="module")
def cors_server_url(test_database_url: str) -> Iterator[str]:
    server = ServerProcess(
        database_url=test_database_url, env={**SERVER_ENV, "REDIS_URL": "", "CORS_ORIGIN": ALLOWED}
    ).start()
    yield server.url
    server.stop()


def request(url: str, *, method: str = "GET", origin: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, method=method, headers={"Origin": origin, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return response.status, {key.lower(): value for key, value in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, {key.lower(): value for key, value in error.headers.items()}


def test_rest_preflight_allows_only_the_configured_origin(cors_server_url: str) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    status, headers = request(f"{cors_server_url}/api/rooms", method="OPTIONS", origin=ALLOWED, headers=preflight)
    assert status == 200 and headers.get("access-control-allow-origin") == ALLOWED
    assert "authorization" in headers.get("access-control-allow-headers", "").lower()
    _, headers = request(
        f"{cors_server_url}/api/rooms", method="OPTIONS", origin="http://evil.example", headers=preflight
    )
    assert "access-control-allow-origin" not in {key.lower() for key in headers}


def test_socketio_handshake_allows_only_the_configured_origin(cors_server_url: str) -> None:
    handshake = f"{cors_server_url}/socket.io/?EIO=4&transport=polling"
    status, headers = request(handshake, origin=ALLOWED)
    assert status == 200 and headers.get("access-control-allow-origin") == ALLOWED
    status, _ = request(handshake, origin="http://evil.example")
    assert status == 400
