"""The user of the chat: email is the login, stored lowercased so that it is unique case-insensitively."""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


def normalize_email(email: str) -> str:
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "User":
        fields.setdefault("name", email.split("@")[0])
        return self.create_user(email, password, is_staff=True, is_superuser=True, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=settings.CHAT["NAME_MAX_LENGTH"])
    last_seen = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    # Every token names the version it was issued under (claim "ver"); raising it ends every session of the
    # account at once: access and refresh tokens, on REST and at the Socket.IO handshake (accounts/tokens.py).
    token_version = models.PositiveIntegerField(default=0)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        db_table = "users"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def set_password(self, raw_password: str | None) -> None:
        """A new password ends the account's sessions, whichever way it is set (API, admin, changepassword)."""
        super().set_password(raw_password)
        if self.pk is not None:
            self.token_version += 1

    @classmethod
    def normalize_username(cls, username: str) -> str:
        """Forms (the admin's included) store the email lowercased, as the API does."""
        return normalize_email(super().normalize_username(username))
