"""History pages read one range of the (room_id, id) index, also for a quiet room below a busier one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.selectors import encode_cursor, history_page
from tests.support import make_messages, make_room, make_user


@pytest.mark.mysql  # EXPLAIN's columns are MySQL's; SQLite's planner takes the index by itself
@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["newest", "older", "after"])
def test_a_history_page_uses_the_room_index_not_the_primary_key(kind: str) -> None:
    member = make_user()
    quiet, busy = make_room(creator=member), make_room(creator=member)
    stored = make_messages(quiet, member, 60)
    make_messages(busy, member, 200)  # later ids: a walk of the primary key from the newest row meets these first
    arguments = {"newest": {}, "older": {"cursor": encode_cursor(stored[-1].id)}, "after": {"after": stored[0].id}}
    with CaptureQueriesContext(connection) as captured:
        page = history_page(user=member, room_id=quiet.id, limit=50, **arguments[kind])  # type: ignore[arg-type]
    assert len(page.messages) == 50 and {message.room_id for message in page.messages} == {quiet.id}
    sql = captured.captured_queries[-1]["sql"]
    # The optimizer's own choice depends on statistics a test's few rows do not reproduce (with 1M rows in the
    # busier room it walked the primary key): the page names the index.
    assert "FORCE INDEX (messages_room_id_idx)" in sql
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        names = [column[0] for column in cursor.description]
        plans = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    assert [plan["key"] for plan in plans] == ["messages_room_id_idx"], plans
