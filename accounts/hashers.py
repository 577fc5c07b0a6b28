"""Django's bcrypt hasher with its work factor taken from settings (BCRYPT_ROUNDS), so tests can run it cheaply."""

from django.conf import settings
from django.contrib.auth import hashers


class BCryptSHA256PasswordHasher(hashers.BCryptSHA256PasswordHasher):
    @property  # type: ignore[override]
    def rounds(self) -> int:
        return int(settings.BCRYPT_ROUNDS)
