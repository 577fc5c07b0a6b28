"""Socket.IO payload definitions: one frozen dataclass per client event, checked by plain code.

The socket hot path gets no DRF: a serializer instance deep-copies its fields on every event, which cost more than
the rest of a send's handler. A definition is a dataclass whose fields say their JSON type (`int` ids, `str`,
`bool`, optional with `| None`) and limits (`field(metadata=...)` through `id_field`/`text_field`/`flag_field`),
so the event reference can be generated from `dataclasses.fields()`. The rules are those of the strict DRF fields
in chatbackend/validation.py, with the same messages, so a client sees the same `validation_error` either way;
cleaning text (trim, control characters, length) stays in the services, shared with REST.
"""

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from chatbackend.errors import ValidationFailed
from chatbackend.validation import SURROGATES, id_from_text, is_id

P = TypeVar("P")
REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."


class _Invalid(Exception):
    pass


def _check_id(allow_zero: bool) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        # URL ids are strings: a numeric string is accepted, as on REST (StrictIdField)
        number = id_from_text(value, allow_zero=allow_zero) if isinstance(value, str) else value
        if not is_id(number, allow_zero=allow_zero):
            raise _Invalid("Must be a positive integer id.")
        return int(number)

    return check


def _check_text(max_length: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise _Invalid("Must be a string.")
        if len(value) > max_length:
            raise _Invalid(f"Must be at most {max_length} characters.")
        if SURROGATES.search(value):
            raise _Invalid("Must be valid Unicode text.")
        return value

    return check


def _check_ids(max_items: int) -> Callable[[Any], tuple[int, ...]]:
    check_id = _check_id(False)

    def check(value: Any) -> tuple[int, ...]:
        if not isinstance(value, list):
            raise _Invalid("Must be a list of ids.")
        if len(value) > max_items:
            raise _Invalid(f"Must hold at most {max_items} ids.")
        return tuple(check_id(item) for item in value)

    return check


def _check_flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("Must be a boolean.")
    return value


def id_field(*, allow_zero: bool = False, **kwargs: Any) -> Any:
    """A positive JSON integer id (0 too with `allow_zero`)."""
    return dataclasses.field(metadata={"check": _check_id(allow_zero), "json": "integer"}, **kwargs)


def text_field(*, max_length: int, **kwargs: Any) -> Any:
    """A JSON string of at most `max_length` characters before cleaning (a bound well above every cleaned limit)."""
    return dataclasses.field(metadata={"check": _check_text(max_length), "json": "string"}, **kwargs)


def id_list_field(*, max_items: int, **kwargs: Any) -> Any:
    """A JSON array of at most `max_items` positive integer ids (a bound above every limit the services apply)."""
    return dataclasses.field(metadata={"check": _check_ids(max_items), "json": "integers"}, **kwargs)


def flag_field(**kwargs: Any) -> Any:
    """A JSON boolean: true or false, nothing coerced."""
    return dataclasses.field(metadata={"check": _check_flag, "json": "boolean"}, **kwargs)


def _plan(definition: type) -> list[tuple[str, Callable[[Any], Any], bool, Any, bool]]:
    """(name, check, required, default, nullable) per field, worked out once per definition."""
    plan = []
    for item in dataclasses.fields(definition):
        required = item.default is dataclasses.MISSING
        nullable = "None" in str(item.type)
        plan.append((item.name, item.metadata["check"], required, None if required else item.default, nullable))
    return plan


_PLANS: dict[type, list[tuple[str, Callable[[Any], Any], bool, Any, bool]]] = {}


def parse_payload(definition: type[P], data: Any) -> P:
    """The checked payload of an event, or ValidationFailed naming each bad field (first one in the message)."""
    if not isinstance(data, dict):
        raise ValidationFailed("The payload must be a JSON object.")
    plan = _PLANS.get(definition)
    if plan is None:
        plan = _PLANS[definition] = _plan(definition)
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, check, required, default, nullable in plan:
        if name not in data:
            if required:
                errors[name] = [REQUIRED]
            else:
                values[name] = default
            continue
        value = data[name]
        if value is None:
            if nullable:
                values[name] = None
            else:
                errors[name] = [NOT_NULL]
            continue
        try:
            values[name] = check(value)
        except _Invalid as exc:
            errors[name] = [str(exc)]
    if errors:
        first_field, first_errors = next(iter(errors.items()))
        raise ValidationFailed(f"{first_field}: {first_errors[0]}", **errors)
    return definition(**values)
