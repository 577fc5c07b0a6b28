"""Account state changes: registering, signing in, refreshing tokens, and the last-seen time."""

from datetime import datetime

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User, normalize_email
from chatbackend.errors import EmailTaken, InvalidCredentials, InvalidTokenError, ValidationFailed
from chatbackend.validation import FieldErrors, clean_text

EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length or 254
# The emails `register` accepts, as the OpenAPI schema states them: the ASCII dot-atom form of Django's
# validate_email (it also takes quoted local parts, IP literals and international domains), blanks around allowed
# (they are trimmed). A property test holds every string of this pattern to be accepted.
_EMAIL_BLANK = r"[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_EMAIL_ATOM = r"[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+"
_EMAIL_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = (
    f"^{_EMAIL_BLANK}*{_EMAIL_ATOM}(?:\\.{_EMAIL_ATOM})*@{_EMAIL_LABEL}(?:\\.{_EMAIL_LABEL})*"
    f"\\.[A-Za-z](?:[A-Za-z-]{{0,61}}[A-Za-z]){_EMAIL_BLANK}*$"
)


def register(*, name: str, email: str, password: str) -> User:
    """Create an account with a bcrypt-hashed password; raises EmailTaken for an email in any letter case, and one
    ValidationFailed naming every bad field (name, email, password) at once."""
    fields = FieldErrors()
    clean_name = fields.check(clean_text, name, field="name", max_length=settings.CHAT["NAME_MAX_LENGTH"])
    clean_email = fields.check(_valid_email, email)
    user = User(name=clean_name or "", email=clean_email or "")
    fields.check(_valid_password, password, user)
    fields.raise_any()
    email = user.email
    if User.objects.filter(email=email).exists():
        raise EmailTaken()
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration of the same email won the race
        raise EmailTaken() from exc
    return user


def _valid_email(email: str) -> str:
    email = normalize_email(email)
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise ValidationFailed("email: Enter a valid email address.", email=exc.messages) from exc
    if len(email) > EMAIL_MAX_LENGTH:  # validate_email allows longer addresses than the column holds
        raise ValidationFailed(
            f"email: must be at most {EMAIL_MAX_LENGTH} characters.",
            email=[f"Ensure this field has no more than {EMAIL_MAX_LENGTH} characters."],
        )
    return email


def _valid_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(f"password: {exc.messages[0]}", password=exc.messages) from exc


def login(*, email: str, password: str) -> User:
    """The user with these credentials; the same refusal whether the email is unknown or the password wrong."""
    user = authenticate(username=normalize_email(email), password=password)
    if not isinstance(user, User):
        raise InvalidCredentials()
    return user


def refresh_access_token(*, refresh_token: str) -> str:
    """A new access token from a valid refresh token."""
    try:
        refresh = RefreshToken(refresh_token)  # type: ignore[arg-type]
        user_id = str(refresh.payload.get("user_id", ""))
    except TokenError as exc:
        raise InvalidTokenError() from exc
    if not user_id.isdigit() or not User.objects.filter(id=int(user_id), is_active=True).exists():
        raise InvalidTokenError()
    return str(refresh.access_token)


def mark_last_seen(*, user_id: int, when: datetime) -> None:
    User.objects.filter(id=user_id).update(last_seen=when)


def deactivate_user(*, user: User) -> None:
    """Switch the account off: it can no longer sign in, and its tokens are refused from then on."""
    user.is_active = False
    user.save(update_fields=["is_active"])
