"""schemathesis against a live server, with every one of its checks: no 5xx; every status, content type, header
and body as the OpenAPI schema at /api/schema/ documents them; every request the schema allows accepted and every
one it forbids refused (the schema states the server's real rules); a missing token refused; an undocumented
method answered 405 with its Allow header."""

import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Ok

from tests.support import make_messages, make_room, make_user, token_for

PATH, HEADER, BODY = ParameterLocation.PATH, ParameterLocation.HEADER, ParameterLocation.BODY
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.server]

EXAMPLES_PER_MODE = 25  # per operation, once with valid data and once with data the schema forbids


def label_media(case: Any) -> str:
    """The media type a case was sent as ("" without a body)."""
    return str(getattr(case, "media_type", "") or "")


def test_rest_api_answers_every_generated_request_as_its_schema_says(live_server_url: str) -> None:
    member = make_user()
    public = make_room(creator=member)
    other = make_user()
    private = make_room(creator=other, private=True, members=(member,))
    strangers_private = make_room(private=True)
    make_messages(public, member, 60)
    make_messages(private, member, 3)
    token = token_for(member)
    # Requests go out signed in as the member mostly, sometimes with a forged token or none (the 401 paths).
    authorizations = st.sampled_from([f"Bearer {token}"] * 4 + ["Bearer not-a-token", None])
    # Generated room ids almost never exist: half of the cases aim at a room the member can or cannot see.
    room_ids = st.one_of(st.none(), st.sampled_from([public.id, private.id, strangers_private.id]))

    schema = schemathesis.openapi.from_url(f"{live_server_url}/api/schema/?format=json")
    results = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), results
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert {operation.label for operation in operations} >= {
        "POST /api/auth/register",
        "GET /api/rooms",
        "POST /api/rooms/{room_id}/messages",
        "GET /api/rooms/{room_id}/messages",
    }

    failures: list[str] = []
    statuses: dict[int, int] = {}
    started = time.monotonic()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES_PER_MODE,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],  # a failure is reported as found, not shrunk over HTTP
                suppress_health_check=list(HealthCheck),
            )
            @given(
                case=operation.as_strategy(generation_mode=mode),
                room_id=room_ids,
                authorization=authorizations,
                label=st.just(f"{operation.label} ({mode.value})"),
            )
            def exercise(case: Any, room_id: int | None, authorization: str | None, label: str) -> None:
                # A part generated to break the schema is sent as generated: replacing it would make a negative
                # case valid and its acceptance look like a failure.
                negative = case.meta.is_negative_at
                if room_id is not None and "room_id" in (case.path_parameters or {}) and not negative(PATH):
                    case.path_parameters["room_id"] = room_id
                headers = {"Authorization": authorization} if authorization and not negative(HEADER) else {}
                if isinstance(case.body, dict) and case.body.get("userId") == member.id and not negative(BODY):
                    case.body["userId"] = other.id  # "not with yourself" (POST /api/dms) is no rule a schema states
                response = case.call(base_url=live_server_url, headers=headers, timeout=10)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code == 400 and not response.content and "multipart" in label_media(case):
                    return  # daphne (Twisted) refuses a multipart body it cannot parse itself, before the app
                try:  # no `checks=`: all of schemathesis' built-in checks run
                    case.validate_response(
                        response,
                        headers=headers,
                        transport_kwargs={"base_url": live_server_url, "headers": headers, "timeout": 10},
                    )
                except FailureGroup as failure:
                    failures.append(f"{label}: {failure}")

            try:
                exercise()
            except Unsatisfiable:  # nothing to break: no body and no parameters (GET /api/rooms, /api/health)
                assert mode is GenerationMode.NEGATIVE, operation.label
    elapsed = time.monotonic() - started

    requests = sum(statuses.values())
    print(f"schemathesis: {requests} requests over {len(operations)} operations in {elapsed:.1f}s: {statuses}")
    assert not failures, f"{len(failures)} findings:\n\n" + "\n\n".join(failures[:10])
    assert requests >= len(operations) * EXAMPLES_PER_MODE
    assert not any(status >= 500 for status in statuses)
