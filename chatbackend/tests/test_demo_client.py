"""The demo client at / works end to end in a real browser: headless Chromium driven by playwright-core.

The scenario is tests/browser/demo_client.test.mjs; it saves screenshots to test-artifacts/screenshots/.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.support import BASE_DIR, TEST_PASSWORD, make_messages, make_room, make_user, run_node_tests

BROWSER_TESTS = BASE_DIR / "tests" / "browser"
SCREENSHOT_DIR = BASE_DIR / "test-artifacts" / "screenshots"  # the README shows a copy: docs/screenshots/


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(path).exists(), (
        f"Chromium is required for the browser test and was not found at {path}: install Debian's `chromium`"
        " package (apt-get install chromium; .ci/run does it) or set CHROMIUM_PATH."
    )
    return path


@pytest.mark.server
@pytest.mark.django_db(transaction=True)
def test_two_users_chat_in_the_demo_client_in_headless_chromium(live_server_url: str) -> None:
    browser = chromium_path()
    bob = make_user(name="Bob")
    room = make_room(creator=bob, name="general")
    history = make_messages(room, bob, 45, prefix="history")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    env = {
        "SERVER_URL": live_server_url,
        "CHROMIUM_PATH": browser,
        "SCREENSHOT_DIR": str(SCREENSHOT_DIR),
        "ROOM_ID": str(room.id),
        "HISTORY_COUNT": str(len(history)),
        "BOB_EMAIL": bob.email,
        "BOB_PASSWORD": TEST_PASSWORD,
        "BOB_ID": str(bob.id),
    }

    run_node_tests(BROWSER_TESTS, package="playwright-core", env=env, timeout=180)
    assert (SCREENSHOT_DIR / "demo-chat.png").stat().st_size > 10_000
