"""The demo client at / works end to end in a real browser: headless Chromium driven by playwright-core.

The scenario is tests/browser/demo_client.test.mjs; it saves screenshots to test-artifacts/screenshots/.
"""

import pytest

from tests.support import SCREENSHOT_DIR, TEST_PASSWORD, make_messages, make_room, make_user, run_browser_test


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_two_users_chat_in_the_demo_client_in_headless_chromium(live_server_url: str) -> None:
    bob = make_user(name="Bob")
    room = make_room(creator=bob, name="general")
    history = make_messages(room, bob, 45, prefix="history")
    env = {
        "ROOM_ID": str(room.id),
        "HISTORY_COUNT": str(len(history)),
        "BOB_EMAIL": bob.email,
        "BOB_PASSWORD": TEST_PASSWORD,
        "BOB_ID": str(bob.id),
    }

    run_browser_test("demo_client.test.mjs", server_url=live_server_url, env=env)
    assert (SCREENSHOT_DIR / "demo-chat.png").stat().st_size > 10_000
