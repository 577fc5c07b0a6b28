"""Settings of the test run: the project's settings with cheap bcrypt and a fixed signing key.

The key is put in the environment so that server processes started by the tests verify the same tokens.
"""

import os

os.environ.setdefault("BCRYPT_ROUNDS", "4")
os.environ.setdefault("JWT_SECRET", "test-signing-key-" + "x" * 40)
# Abuse throttles out of the way of ordinary tests; the throttle tests set their own rates.
for scope in ("LOGIN_IP", "LOGIN_ACCOUNT", "REGISTER_IP", "REGISTER_ACCOUNT", "INVITE_CODE_FAILURES", "UPLOADS"):
    os.environ.setdefault(f"THROTTLE_{scope}", "100000/minute")

# Uploads of the test run (and of the servers it starts, which inherit the environment) stay in test-artifacts/.
os.environ.setdefault("MEDIA_ROOT", os.path.join(os.path.dirname(os.path.dirname(__file__)), "test-artifacts", "media"))

from chatbackend.settings import *  # noqa: E402, F403
