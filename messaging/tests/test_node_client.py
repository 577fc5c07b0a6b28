"""The official JavaScript client, socket.io-client 4.x, against a real server: tests/node/ run by `node --test`."""

import pytest

from tests.support import BASE_DIR, make_room, make_user, run_node_tests, token_for

NODE_TESTS = BASE_DIR / "tests" / "node"


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_official_javascript_client_works_against_the_server(live_server_url: str) -> None:
    user_a = make_user(name="Node A")
    user_b = make_user(name="Node B")
    room = make_room(creator=user_a, members=(user_b,))
    private_room = make_room(creator=user_a, private=True)
    env = {
        "SERVER_URL": live_server_url,
        "TOKEN_A": token_for(user_a),
        "TOKEN_B": token_for(user_b),
        "USER_A_ID": str(user_a.id),
        "USER_B_ID": str(user_b.id),
        "ROOM_ID": str(room.id),
        "PRIVATE_ROOM_ID": str(private_room.id),
    }
    run_node_tests(NODE_TESTS, package="socket.io-client", env=env, timeout=120)
