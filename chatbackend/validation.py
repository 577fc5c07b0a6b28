"""Input rules shared by every entry point: what an id is, page sizes, strict JSON types at the edge, and one way
to clean user text. Length limits are settings.CHAT's (the model fields read them too)."""

import re
from collections.abc import Callable
from typing import Any, ParamSpec, TypeGuard, TypeVar

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chatbackend.errors import ValidationFailed

# C0 and C1 control characters and DEL, except tab and newline (kept as the user wrote them).
_CONTROL = r"\x00-\x08\x0b-\x1f\x7f-\x9f"
_CONTROL_CHARS = re.compile(f"[{_CONTROL}]")
# What str.strip() removes that is not a control character above.
_BLANK = r"\t\n \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Lone UTF-16 surrogates: JSON may carry them ("\ud800"), but no UTF-8 encoding exists, so the database and
# the password hasher would fail on them with a 500.
SURROGATES = re.compile(r"[\ud800-\udfff]")

# Ids are positive BIGINTs, in JSON, URLs, query strings and cursors alike.
MAX_ID = 2**63 - 1
# Bounds on raw JSON strings, checked before any cleaning so that a huge value costs nothing: well above the
# cleaned limits (cleaning may remove characters), and low enough for the code that reads the value whole.
RAW_TEXT_MAX_LENGTH = 100_000  # message content
RAW_LINE_MAX_LENGTH = 10_000  # names, emails, tokens
RAW_IDS_MAX_ITEMS = 100  # lists of ids (attachmentIds)
RAW_WORD_MAX_LENGTH = 1_000  # passwords (validators compare them with the name and email), codes, emoji, roles


def is_id(value: object, *, allow_zero: bool = False) -> TypeGuard[int]:
    """True for an int (not a bool) that a row id can be: 1 to MAX_ID, or 0 too with `allow_zero`."""
    return isinstance(value, int) and not isinstance(value, bool) and (0 if allow_zero else 1) <= value <= MAX_ID


def id_from_text(text: str, *, allow_zero: bool = False) -> int | None:
    """The id that a string of ASCII digits spells (a URL, a query parameter, a cursor); None for anything else."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if is_id(value, allow_zero=allow_zero) else None


def page_limit(raw: str | None) -> int:
    """The page size asked for: the default when absent, capped at the maximum, a 400 when not a positive integer."""
    chat = settings.CHAT
    if raw is None or raw == "":
        return int(chat["HISTORY_DEFAULT_LIMIT"])
    maximum = int(chat["HISTORY_MAX_LIMIT"])
    digits = raw.lstrip("0")  # "0000000" is zero however long; a huge number is not parsed, only capped
    if not (raw.isascii() and raw.isdigit()) or not digits:
        raise ValidationFailed("limit: must be a positive integer.", limit=["Must be a positive integer."])
    return min(int(digits), maximum) if len(digits) <= 6 else maximum


P = ParamSpec("P")
T = TypeVar("T")


class FieldErrors:
    """The refusals of several fields, gathered so that one ValidationFailed names every bad field at once."""

    def __init__(self) -> None:
        self._refusals: list[ValidationFailed] = []

    def check(self, rule: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        """`rule(...)`'s result, or None (the refusal kept for `raise_any`) if it raises ValidationFailed."""
        try:
            return rule(*args, **kwargs)
        except ValidationFailed as refusal:
            self._refusals.append(refusal)
            return None

    def raise_any(self) -> None:
        """Raise one ValidationFailed whose details hold every field refused so far, if any was."""
        if not self._refusals:
            return
        details: dict[str, Any] = {}
        for refusal in self._refusals:
            details.update(refusal.details)
        raise ValidationFailed("; ".join(refusal.message for refusal in self._refusals), **details)


def clean_text(value: str, *, field: str, max_length: int, allow_empty: bool = False) -> str:
    """Strip control characters (not newline or tab) and surrounding whitespace; refuse too long text, and empty
    text unless `allow_empty`."""
    cleaned = _CONTROL_CHARS.sub("", value).strip()
    if not cleaned and not allow_empty:
        raise ValidationFailed(f"{field} must not be empty.", **{field: ["This field may not be blank."]})
    if len(cleaned) > max_length:
        raise ValidationFailed(
            f"{field} must be at most {max_length} characters.",
            **{field: [f"Ensure this field has no more than {max_length} characters."]},
        )
    return cleaned


def clean_text_pattern(max_length: int) -> str:
    """The regular expression (ECMA and Python alike) of the text `clean_text` accepts with this max_length.

    Control characters are dropped and blanks trimmed, so the text must hold a character that is neither, and
    from the first such character to the last at most max_length characters that are not control characters.
    The OpenAPI schema states it, so that clients and schema-driven tests know the exact rule.
    """
    drop, edge, keep = f"[{_CONTROL}]", f"[{_CONTROL}{_BLANK}]", f"[^{_CONTROL}{_BLANK}]"
    middle = f"[^{_CONTROL}]"
    core = keep if max_length < 2 else f"(?:{keep}(?:{drop}*{middle}){{0,{max_length - 2}}}{drop}*{keep}|{keep})"
    return f"^{edge}*{core}{edge}*$"


class StrictCharField(serializers.Field):
    """A JSON string and nothing else: numbers, booleans, lists and objects are refused, not coerced.

    Cleaning (control characters, trimming, length) is left to the service through `clean_text`;
    `cleaned_max_length` says which limit it applies, `min_length`, `choices` and `pattern` what else the service
    requires:
    they only document the rules (the OpenAPI schema shows them), the service enforces them.
    """

    default_error_messages = {
        "invalid": "Must be a string.",
        "too_long": "Must be at most {max_length} characters.",
        "not_unicode": "Must be valid Unicode text.",
    }

    def __init__(
        self,
        *,
        max_length: int | None = None,
        cleaned_max_length: int | None = None,
        min_length: int | None = None,
        choices: tuple[str, ...] = (),
        pattern: str | None = None,
        **kwargs: Any,
    ) -> None:
        # A bound well above every cleaned limit, so that huge values fail before any processing.
        self.max_length = max_length
        self.cleaned_max_length = cleaned_max_length
        self.min_length = min_length
        self.choices = choices
        self.pattern = pattern
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("too_long", max_length=self.max_length)
        if SURROGATES.search(data):
            self.fail("not_unicode")
        return data

    def to_representation(self, value: Any) -> str:
        return str(value)


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanField(serializers.Field):
    """A JSON boolean: `true` or `false`, not "yes", 1 or "true"."""

    default_error_messages = {"invalid": "Must be a boolean."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> bool:
        return bool(value)


class StrictIdField(serializers.Field):
    """A positive JSON integer id (a numeric string is accepted too, as URL ids are strings)."""

    default_error_messages = {"invalid": "Must be a positive integer id."}

    def __init__(self, *, allow_zero: bool = False, **kwargs: Any) -> None:
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        value = id_from_text(data, allow_zero=self.allow_zero) if isinstance(data, str) else data
        if not is_id(value, allow_zero=self.allow_zero):
            self.fail("invalid")
        return int(value)

    def to_representation(self, value: Any) -> int:
        return int(value)


class StrictIdListField(serializers.Field):
    """A JSON array of at most `max_items` positive integer ids, as a tuple. `cleaned_max_items` says the limit the
    service enforces, with no repeats (the OpenAPI schema shows it; the service applies it)."""

    default_error_messages = {
        "not_a_list": "Must be a list of ids.",
        "too_many": "Must hold at most {max_items} ids.",
        "invalid": "Must be a positive integer id.",
    }

    def __init__(self, *, max_items: int, cleaned_max_items: int, **kwargs: Any) -> None:
        self.max_items = max_items
        self.cleaned_max_items = cleaned_max_items
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> tuple[int, ...]:
        if not isinstance(data, list):
            self.fail("not_a_list")
        if len(data) > self.max_items:
            self.fail("too_many", max_items=self.max_items)
        checked = []
        for item in data:
            value = id_from_text(item) if isinstance(item, str) else item
            if not is_id(value):
                self.fail("invalid")
            checked.append(int(value))
        return tuple(checked)

    def to_representation(self, value: Any) -> list[int]:
        return [int(item) for item in value]


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer within `min_value`..`max_value`: not 1.5, "1" or true (DRF's IntegerField coerces them)."""

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("invalid")
        return int(super().to_internal_value(data))


def parse(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """Validate `data` with a serializer and return its clean values, or raise ValidationFailed."""
    if not isinstance(data, dict):
        raise ValidationFailed("The payload must be a JSON object.")
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        errors = {
            key: [str(item) for item in value] if isinstance(value, list) else str(value)
            for key, value in serializer.errors.items()
        }
        first_field, first_errors = next(iter(errors.items()))
        first = first_errors[0] if isinstance(first_errors, list) else first_errors
        raise ValidationFailed(f"{first_field}: {first}", **errors)
    return dict(serializer.validated_data)
