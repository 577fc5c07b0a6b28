"""Django's bcrypt hasher with its work factor taken from settings (BCRYPT_ROUNDS), so tests can run it cheaply."""

from django.conf import settings
from django.contrib.auth import hashers


class BCryptSHA256PasswordHasher(hashers.BCryptSHA256PasswordHasher):
    @property
    def rounds(self) -> int:  # type: ignore[override]
        return int(settings.BCRYPT_ROUNDS)
