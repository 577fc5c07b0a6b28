"""Settings of the test run: the project's settings with cheap bcrypt and a fixed signing key.

The key is put in the environment so that server processes started by the tests verify the same tokens.
"""

import os

os.environ.setdefault("BCRYPT_ROUNDS", "4")
os.environ.setdefault("JWT_SECRET", "test-signing-key-" + "x" * 40)

from chatbackend.settings import *  # noqa: F403
