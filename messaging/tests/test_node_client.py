"""The official JavaScript client, socket.io-client 4.x, against a real server: tests/node/ run by `node --test`."""

import os
import shutil
import subprocess

import pytest

from chatbackend.testing import BASE_DIR, make_room, make_user, token_for

NODE_TESTS = BASE_DIR / "tests" / "node"
CLIENT_PACKAGE = BASE_DIR / "node_modules" / "socket.io-client" / "package.json"


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_official_javascript_client_works_against_the_server(live_server_url: str) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is required: install Node 20+ so that `node` is on PATH."
    assert CLIENT_PACKAGE.exists(), "socket.io-client is not installed: run `npm ci` in the repository root."
    user_a = make_user(name="Node A")
    user_b = make_user(name="Node B")
    room = make_room(creator=user_a, members=(user_b,))
    private_room = make_room(creator=user_a, private=True)
    env = {
        **os.environ,
        "SERVER_URL": live_server_url,
        "TOKEN_A": token_for(user_a),
        "TOKEN_B": token_for(user_b),
        "USER_A_ID": str(user_a.id),
        "USER_B_ID": str(user_b.id),
        "ROOM_ID": str(room.id),
        "PRIVATE_ROOM_ID": str(private_room.id),
        "NO_COLOR": "1",
    }

    result = subprocess.run(
        [node, "--test", "--test-reporter=spec", str(NODE_TESTS)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, f"node --test failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
