"""Throttles of the sign-in endpoints: per client IP and per account, with rates from settings.CHAT."""

import hashlib
from typing import Any

from rest_framework.request import Request

from accounts.models import normalize_email
from chatbackend.throttling import ChatRateThrottle


class PerIPThrottle(ChatRateThrottle):
    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginIPThrottle(PerIPThrottle):
    scope = "login_ip"


class RegisterIPThrottle(PerIPThrottle):
    scope = "register_ip"


class PerAccountThrottle(ChatRateThrottle):
    """Attempts on one email address, from wherever they come."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        data = request.data
        email = data.get("email") if isinstance(data, dict) else None
        if not isinstance(email, str) or not email.strip():
            return None
        return self.key_for_email(email)

    def key_for_email(self, email: str) -> str:
        # Hashed: an email may hold spaces or any character, which cache keys must not.
        ident = hashlib.sha256(normalize_email(email).encode("utf-8", "surrogatepass")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class LoginAccountThrottle(PerAccountThrottle):
    """Slows password guessing spread over many IPs."""

    scope = "login_account"


class RegisterAccountThrottle(PerAccountThrottle):
    """Slows probing whether an email is registered (each attempt on a taken email answers 409)."""

    scope = "register_account"
