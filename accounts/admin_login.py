"""The admin's login form, throttled as the REST login is: per client IP and per account, on the same counters.

Sharing the counters (scopes `login_ip` and `login_account`) means the admin form is no second door: attempts
on either count against one budget per IP and per account.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape

from accounts.throttles import LoginAccountThrottle, LoginIPThrottle


class AdminLoginAccountThrottle(LoginAccountThrottle):
    """The account of an admin login attempt is the form's `username` (the email)."""

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        email = request.POST.get("username")
        return self.key_for_email(email) if isinstance(email, str) and email.strip() else None


def throttled_admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """admin.site.login, after the throttles: a POST over either rate gets 429 and is not tried."""
    if request.method == "POST":
        for throttle in (LoginIPThrottle(), AdminLoginAccountThrottle()):
            if not throttle.allow_request(request, None):  # type: ignore[arg-type]
                seconds = max(1, int(throttle.wait() or 1))
                page = f"<h1>Too many login attempts</h1><p>Try again in {escape(seconds)} seconds.</p>"
                return HttpResponse(page, status=429, headers={"Retry-After": str(seconds)})
    return admin.site.login(request, extra_context)
