"""Property tests of the input rules: text cleaning, the strict JSON fields, payload parsing and history parameters."""

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from accounts.api import LoginIn, RefreshIn, RegisterIn
from chatbackend.errors import ValidationFailed
from chatbackend.validation import (
    StrictBooleanField,
    StrictCharField,
    StrictIdField,
    StrictIntegerField,
    clean_text,
    page_limit,
    parse,
)
from messaging import selectors
from messaging.serializers import JoinRoomIn, MessageIn, RoomRefIn, SendMessageIn, TypingIn
from rooms.api import CreateRoomIn
from rooms.api import JoinRoomIn as RestJoinRoomIn
from rooms.invites_api import CreateInviteIn, JoinByCodeIn
from tests.support import client_for, make_room, make_user

MAX = 4000
MAX_ID = 2**63 - 1


def is_control(char: str) -> bool:
    """The characters the contract strips: C0 and C1 controls and DEL, but not newline or tab."""
    code = ord(char)
    return (code < 0x20 and char not in "\n\t") or 0x7F <= code <= 0x9F


# Text as clients send it: any code point (lone surrogates included, as JSON can carry them), with control
# characters, whitespace, emoji, HTML and bidi marks made common rather than left to chance.
characters = st.one_of(
    st.characters(),
    st.characters(categories=["Cc", "Cs", "Zs", "Zl", "Zp", "Cf"]),
    st.sampled_from(
        ["\x00", "\n", "\t", "\r", "\x7f", "\x85", " ", "\u200f", "\u202e", "\u00a0", "😀", "👩", "\u200d", "<"]
    ),
)
texts = st.text(characters, max_size=300)
storable = characters.filter(lambda char: not 0xD800 <= ord(char) <= 0xDFFF)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**80),
    st.floats(),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


# clean_text


@given(texts)
def test_clean_text_leaves_no_control_characters_and_no_surrounding_space(text: str) -> None:
    try:
        cleaned = clean_text(text, field="content", max_length=MAX)
    except ValidationFailed:
        return
    assert not any(is_control(char) for char in cleaned)
    assert cleaned == cleaned.strip()
    assert 0 < len(cleaned) <= MAX


@given(texts)
def test_clean_text_removes_control_characters_and_trims_nothing_else(text: str) -> None:
    expected = "".join(char for char in text if not is_control(char)).strip()
    try:
        assert clean_text(text, field="content", max_length=MAX) == expected
    except ValidationFailed:
        assert not expected


@given(texts)
def test_clean_text_is_idempotent(text: str) -> None:
    try:
        cleaned = clean_text(text, field="content", max_length=MAX)
    except ValidationFailed:
        return
    assert clean_text(cleaned, field="content", max_length=MAX) == cleaned


@given(st.text(st.sampled_from(" \t\n\r\x00\x01\x1b\x7f\x85\x9f\u00a0\u2028\u3000"), max_size=50))
def test_clean_text_refuses_text_that_is_empty_once_cleaned(text: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        clean_text(text, field="content", max_length=MAX)
    assert refused.value.details == {"content": ["This field may not be blank."]}


@given(st.integers(min_value=1, max_value=300), st.integers(min_value=1, max_value=50), texts)
def test_clean_text_refuses_text_longer_than_the_limit_once_cleaned(limit: int, extra: int, padding: str) -> None:
    text = padding + "x" * (limit + extra) + padding
    with pytest.raises(ValidationFailed) as refused:
        clean_text(text, field="name", max_length=limit)
    assert "name" in refused.value.details


@given(
    st.text(st.sampled_from(" \t\n\x00\x07\x1f\x7f\x9b"), max_size=10),
    st.text(characters.filter(lambda char: not is_control(char)), min_size=1, max_size=200),
    st.text(st.sampled_from(" \t\n\x00\x07\x1f\x7f\x9b"), max_size=10),
)
def test_clean_text_keeps_the_text_between_its_ends_as_written(head: str, core: str, tail: str) -> None:
    """Emoji, HTML, bidi marks, inner spaces and newlines reach storage exactly as the user wrote them."""
    core = f"<b>{core}</b>\u200f👩\u200d💻"
    assert clean_text(head + core + tail, field="content", max_length=MAX) == core


# The strict fields: exactly their JSON type, never coerced


def accepts(field: serializers.Field, value: Any) -> tuple[bool, Any]:
    try:
        return True, field.run_validation(value)
    except serializers.ValidationError:
        return False, None


@given(json_values)
def test_strict_char_field_accepts_strings_unchanged_and_refuses_everything_else(value: Any) -> None:
    accepted, result = accepts(StrictCharField(max_length=10_000), value)
    if isinstance(value, str) and not any(0xD800 <= ord(char) <= 0xDFFF for char in value):
        assert accepted and result == value
    else:
        assert not accepted


@given(json_values)
def test_strict_boolean_field_accepts_only_booleans(value: Any) -> None:
    accepted, result = accepts(StrictBooleanField(), value)
    assert accepted == isinstance(value, bool)
    if accepted:
        assert result is value


@given(st.one_of(json_values, st.integers(min_value=-5, max_value=5), st.from_regex(r"\A-?[0-9]{1,22}\Z")))
def test_strict_id_field_accepts_positive_integers_and_their_digit_strings_only(value: Any) -> None:
    accepted, result = accepts(StrictIdField(), value)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        assert not accepted
    elif isinstance(value, int):
        assert accepted == (1 <= value <= MAX_ID)
    elif accepted:
        assert value.isascii() and value.isdigit() and result == int(value)
    if accepted:
        assert type(result) is int and 1 <= result <= MAX_ID


@given(st.one_of(json_values, st.integers(min_value=-5, max_value=20), st.integers()))
def test_strict_integer_field_accepts_json_integers_within_its_bounds_only(value: Any) -> None:
    accepted, result = accepts(StrictIntegerField(min_value=1, max_value=10), value)
    if isinstance(value, bool) or not isinstance(value, int):
        assert not accepted
    else:
        assert accepted == (1 <= value <= 10)
    if accepted:
        assert type(result) is int and result == value


# parse: any JSON payload either parses or is refused with ValidationFailed

SERIALIZERS = [
    MessageIn,
    SendMessageIn,
    RoomRefIn,
    JoinRoomIn,
    TypingIn,
    CreateRoomIn,
    RestJoinRoomIn,
    JoinByCodeIn,
    CreateInviteIn,
    RegisterIn,
    LoginIn,
    RefreshIn,
]
FIELD_NAMES: list[str] = sorted({str(name) for serializer in SERIALIZERS for name in serializer().fields})
payloads = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=5),
    st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), scalars, max_size=6),
)


@pytest.mark.parametrize("serializer", SERIALIZERS, ids=lambda serializer: serializer.__name__)
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=payloads)
def test_parse_returns_the_declared_fields_or_refuses_with_a_validation_error(
    serializer: type[serializers.Serializer[Any]], payload: Any
) -> None:
    try:
        values = parse(serializer, payload)
    except ValidationFailed as refused:
        assert refused.message and refused.as_dict()["code"] == "validation_error"
        return
    assert isinstance(payload, dict)
    assert set(values) <= set(serializer().fields)


# History parameters: a value or ValidationFailed, nothing else

query_strings = st.one_of(
    st.text(max_size=40), st.from_regex(r"\A[0-9]{0,25}\Z"), st.text("0123456789-+ _", max_size=25)
)


@given(query_strings)
def test_decode_cursor_returns_a_direction_and_id_or_refuses(cursor: str) -> None:
    try:
        direction, message_id = selectors.decode_cursor(cursor)
    except ValidationFailed:
        return
    assert direction in (selectors.NEWER, selectors.OLDER)
    assert 0 < message_id <= MAX_ID


@given(st.integers(min_value=1, max_value=10**18 - 1), st.sampled_from([selectors.NEWER, selectors.OLDER]))
def test_decode_cursor_reads_back_every_cursor_the_api_hands_out(message_id: int, direction: str) -> None:
    assert selectors.decode_cursor(selectors.encode_cursor(message_id, direction)) == (direction, message_id)


@given(st.one_of(st.none(), query_strings))
def test_history_limit_is_between_one_and_the_maximum_or_refused(raw: str | None) -> None:
    try:
        limit = page_limit(raw)
    except ValidationFailed:
        assert raw is not None and raw != ""
        return
    assert 1 <= limit <= 100
    if raw is not None and raw.isdigit() and int(raw) <= 100:
        assert limit == int(raw)


@given(st.one_of(st.none(), query_strings))
def test_parse_after_is_a_non_negative_id_or_refused(raw: str | None) -> None:
    try:
        after = selectors.parse_after(raw)
    except ValidationFailed:
        return
    if raw in (None, ""):
        assert after is None
    else:
        assert after is not None and 0 <= after <= MAX_ID and after == int(raw)


# REST round trip: what comes back from history is exactly the cleaned text


@pytest.mark.django_db
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.text(storable, min_size=1, max_size=400) | st.text(storable, min_size=3900, max_size=4100))
@example(content="ok \ud800")
def test_history_returns_exactly_the_cleaned_text_of_a_rest_send(content: str) -> None:
    try:
        expected = clean_text(content, field="content", max_length=MAX)
    except ValidationFailed:
        expected = None
    if any(0xD800 <= ord(char) <= 0xDFFF for char in content):
        expected = None  # no UTF-8 for a lone surrogate: refused at the edge
    user = make_user()
    room = make_room(creator=user)  # a fresh room per example: the rate limit counts per user per room
    client = client_for(user)

    # json.dumps escapes what UTF-8 cannot carry (a lone surrogate), as a browser's JSON.stringify does.
    body = json.dumps({"content": content})
    sent = client.post(f"/api/rooms/{room.id}/messages", body, content_type="application/json")

    if expected is None:
        assert sent.status_code == 400, sent.json()
        assert sent.json()["error"]["code"] == "validation_error"
        return
    assert sent.status_code == 201, sent.json()
    assert sent.json()["content"] == expected
    history = client.get(f"/api/rooms/{room.id}/messages").json()
    assert [message["content"] for message in history["messages"]] == [expected]
