"""Account state changes: registering, signing in, refreshing tokens, ending sessions, and the last-seen time."""

from datetime import datetime

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from rest_framework_simplejwt.exceptions import TokenError

from accounts.models import User, normalize_email
from accounts.signals import sessions_ended
from accounts.tokens import ChatRefreshToken, token_version
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


def _session_of(refresh_token: str) -> tuple[ChatRefreshToken, User]:
    """The verified refresh token and its active user, if the session is current; raises InvalidTokenError."""
    try:
        refresh = ChatRefreshToken(refresh_token)  # type: ignore[arg-type]
        user_id = str(refresh.payload.get("user_id", ""))
    except TokenError as exc:
        raise InvalidTokenError() from exc
    user = User.objects.filter(id=int(user_id), is_active=True).first() if user_id.isdigit() else None
    if user is None or token_version(refresh) != user.token_version:
        raise InvalidTokenError()
    return refresh, user


def refresh_access_token(*, refresh_token: str) -> str:
    """A new access token from a refresh token of a current session."""
    refresh, _ = _session_of(refresh_token)
    return str(refresh.access_token)


def logout(*, refresh_token: str) -> None:
    """Sign out: this refresh token, and every token of the account, stop working; its sockets are closed.

    Tokens are revoked by the account's version (see accounts/tokens.py), so signing out ends the account's
    sessions on every device: the per-user version costs no query where tokens are checked, which a per-token
    deny list would. Raises InvalidTokenError for a token that is not of a current session.
    """
    _, user = _session_of(refresh_token)
    end_sessions(user=user)


def end_sessions(*, user: User) -> None:
    """Invalidate every token of the user and, once committed, close their open sockets in every process."""
    with transaction.atomic():
        User.objects.filter(id=user.id).update(token_version=F("token_version") + 1)
        user.refresh_from_db(fields=["token_version"])
        _disconnect_on_commit(user.id)


def deactivate_user(*, user: User) -> None:
    """Turn the account off: is_active off, every token refused, every open socket of the user closed."""
    with transaction.atomic():
        User.objects.filter(id=user.id).update(is_active=False)
        user.is_active = False
        end_sessions(user=user)


def change_password(*, user: User, password: str) -> None:
    """Set a new password (Django's validators apply): every session of the account ends, sockets included; the
    user signs in again with the new password."""
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(f"password: {exc.messages[0]}", password=exc.messages) from exc
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        end_sessions(user=user)  # raises the stored version itself: this instance's may be stale


def delete_user(*, user: User) -> None:
    """Delete the account; its open sockets are closed once the deletion is committed."""
    with transaction.atomic():
        user_id = user.id
        user.delete()
        _disconnect_on_commit(user_id)


def _disconnect_on_commit(user_id: int) -> None:
    """Once committed, tell the layers above (presence closes the user's sockets in every process)."""
    transaction.on_commit(lambda: sessions_ended.send(sender=User, user_id=user_id))


def mark_last_seen(*, user_id: int, when: datetime) -> None:
    User.objects.filter(id=user_id).update(last_seen=when)
