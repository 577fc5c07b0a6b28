"""Full-text search of the messages of the caller's rooms: newest first, keyset-paginated like history.

The query is never handed to the database's query language: it is cut into words (runs of letters and digits,
case folded, at most MAX_TERMS), and a message matches when it holds every word. So operators of MySQL's
boolean mode (`+-<>()~*"@`) or of FTS5 (`AND`, `NEAR`, `^`, quotes) are plain punctuation here.

SQLite: one FTS5 query walks the index newest first (descending rowid = message id) and stops at the page.

MySQL/MariaDB: an InnoDB FULLTEXT search costs in proportion to the number of messages holding the word (a word in
half of 1M messages takes seconds, measured in bench/README.md), and its result cannot be read in id order nor
combined with the room index. A search therefore runs in two steps:
1. a bounded scan of the newest messages of the caller's rooms (the (room, id) index, per room), in growing windows
   up to SCAN_ROWS, checked word by word here and stopped at the page's end: a common word fills the page from it;
2. only when the page is not full, the FULLTEXT search, below the oldest id the scan covered completely: a word
   that did not fill a page in SCAN_ROWS messages is rare, and rare words are what FULLTEXT finds cheaply.
Words InnoDB does not index (shorter than `innodb_ft_min_token_size`, 3 by default, or a stopword such as "the")
are checked by the scan of step 1 and, with an indexed word beside them, on the rows FULLTEXT returned. A search
of such words only is the bounded scan alone: a page may then be short, even empty, with a `nextCursor` that goes
on further back (the scan's bound) until the oldest message.
"""

import functools
import re
from collections.abc import Callable, Sequence

from django.db import connection

from accounts.models import User
from chatbackend.errors import ValidationFailed
from chatbackend.validation import clean_text
from messaging.models import Message
from messaging.search_index import SQLITE_TABLE
from messaging.selectors import OLDER, HistoryPage, decode_cursor, encode_cursor
from rooms import access
from rooms.models import RoomMember

QUERY_MAX_LENGTH = 200
# Search pages go back in time only: a cursor is "m" and the id the next page is older than (see selectors).
SEARCH_CURSOR_PATTERN = r"^m[1-9][0-9]{0,17}$"
MAX_TERMS = 10
# Step 1 (MySQL) checks the newest messages of the caller's rooms in windows of FIRST_WINDOW, then 4 times more
# each, SCAN_ROWS in all; a window is shared among the rooms.
FIRST_WINDOW, SCAN_ROWS = 200, 2_000
_WORD = re.compile(r"[^\W_]+")
# InnoDB's default stopword list (INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD): not indexed.
_STOPWORDS = (
    "a about an are as at be by com de en for from how i in is it la of on or that the this to was what when where"
)
INNODB_STOPWORDS = frozenset(f"{_STOPWORDS} who will with und www".split(" "))


def words_of(text: str) -> list[str]:
    """The distinct words of a text, case folded, in order."""
    return list(dict.fromkeys(_WORD.findall(text.casefold())))


def parse_query(raw: str | None) -> list[str]:
    """The words to search for in q (trimmed, 1 to QUERY_MAX_LENGTH characters): none for punctuation only."""
    q = clean_text(raw or "", field="q", max_length=QUERY_MAX_LENGTH)
    return words_of(q)[:MAX_TERMS]


def search_page(
    *, user: User, q: str | None, limit: int, room_id: int | None = None, cursor: str | None = None
) -> HistoryPage:
    """One page of the messages of the caller's rooms (or of one of them) holding every word of q, newest first,
    tombstones never. Members only: a public room the caller has not joined is not searched (NotRoomMember),
    a private one is not found (RoomNotFound), as `access.member_room` says."""
    terms = parse_query(q)
    before = None
    if cursor:
        direction, before = decode_cursor(cursor)
        if direction != OLDER:
            raise ValidationFailed("cursor: not a cursor of a search.", cursor=["Invalid cursor."])
    if room_id is not None:
        room_ids = [access.member_room(user=user, room_id=room_id).id]
    else:
        room_ids = list(RoomMember.objects.filter(user=user).order_by("room_id").values_list("room_id", flat=True))
    if not room_ids or not terms:  # no rooms, or a q of punctuation only: nothing holds no word
        return HistoryPage(messages=[], next_cursor=None)
    if connection.vendor == "sqlite":
        ids, next_before = _sqlite_ids(terms, room_ids, before, limit)
    else:
        ids, next_before = _mysql_ids(terms, room_ids, before, limit)
    by_id = Message.objects.in_bulk(ids)
    return HistoryPage(
        messages=[by_id[i] for i in ids if i in by_id],
        next_cursor=encode_cursor(next_before) if next_before is not None else None,
    )


def _page(ids: list[int], limit: int) -> tuple[list[int], int | None]:
    """The first `limit` ids, and the cursor bound when there are more."""
    return ids[:limit], (ids[limit - 1] if len(ids) > limit else None)


def _in(column: str, values: Sequence[int]) -> str:
    return f"{column} IN ({', '.join(['%s'] * len(values))})"


def _sqlite_ids(terms: list[str], room_ids: list[int], before: int | None, limit: int) -> tuple[list[int], int | None]:
    # Each word a quoted FTS5 string ("" escapes a quote; words hold none): never FTS5 syntax.
    match = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
    bound = "AND f.rowid < %s" if before is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.id FROM {SQLITE_TABLE} AS f JOIN messages AS m ON m.id = f.rowid "
            f"WHERE {SQLITE_TABLE} MATCH %s {bound} AND {_in('m.room_id', room_ids)} AND m.deleted_at IS NULL "
            "ORDER BY f.rowid DESC LIMIT %s",
            [match, *([before] if before is not None else []), *room_ids, limit + 1],
        )
        return _page([row[0] for row in cursor.fetchall()], limit)


@functools.cache
def _token_sizes() -> tuple[int, int]:
    """The lengths of the words InnoDB indexes (innodb_ft_min_token_size and innodb_ft_max_token_size)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@innodb_ft_min_token_size, @@innodb_ft_max_token_size")
        shortest, longest = cursor.fetchone()
        return int(shortest), int(longest)


def _indexed(term: str) -> bool:
    shortest, longest = _token_sizes()
    return shortest <= len(term) <= longest and term not in INNODB_STOPWORDS


def _matcher(terms: list[str]) -> Callable[[str], bool]:
    """Whether a content holds every term as a whole word, case-insensitively (as `words_of` cuts words)."""
    patterns = [re.compile(rf"(?<![^\W_]){re.escape(term)}(?![^\W_])", re.IGNORECASE) for term in terms]
    return lambda content: all(pattern.search(content) for pattern in patterns)


def _mysql_ids(terms: list[str], room_ids: list[int], before: int | None, limit: int) -> tuple[list[int], int | None]:
    # Step 1: windows of the newest messages, FIRST_WINDOW then four times more each, SCAN_ROWS in all.
    holds, found, window, budget = _matcher(terms), [], FIRST_WINDOW, SCAN_ROWS
    while True:
        scanned, complete_from = _recent(room_ids, before, min(window, budget))
        for message_id, content in scanned:
            if holds(content):
                found.append(message_id)
                if len(found) > limit:
                    return _page(found, limit)
        if complete_from is None:  # every message was scanned
            return found, None
        budget -= window
        window *= 4
        before = complete_from
        if budget <= 0:
            break
    indexed = [term for term in terms if _indexed(term)]
    if not indexed:  # the bounded scan alone: go on below what it covered
        return found, complete_from
    # Step 2, below the scanned windows. Words InnoDB does not index are checked by a word-bounded REGEXP (words
    # hold letters and digits only: nothing to escape) on the rows FULLTEXT returned.
    boolean = " ".join(f"+{term}" for term in indexed)  # words only: no operator can reach the query
    unindexed = [term for term in terms if term not in indexed]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM messages WHERE MATCH (content) AGAINST (%s IN BOOLEAN MODE) AND id < %s "
            f"AND {_in('room_id', room_ids)} AND deleted_at IS NULL {' AND content REGEXP %s' * len(unindexed)} "
            "ORDER BY id DESC LIMIT %s",
            [boolean, complete_from, *room_ids, *(rf"\b{term}\b" for term in unindexed), limit + 1 - len(found)],
        )
        found += [row[0] for row in cursor.fetchall()]
    return _page(found, limit)


def _recent(room_ids: list[int], before: int | None, rows: int) -> tuple[list[tuple[int, str]], int | None]:
    """(id, content) of about `rows` newest messages of these rooms (below `before`), newest first, tombstones
    left out, down to the oldest id under which nothing was skipped; that id is None when the rooms hold nothing
    older (the scan was complete).

    Each room gives its newest rows / len(room_ids) (at least 1) from its (room, id) index; a room that gave all
    it was allowed bounds the complete range by its oldest one.
    """
    per_room = max(1, rows // len(room_ids))
    bound = "AND id < %s" if before is not None else ""
    parts = [f"(SELECT id FROM messages WHERE room_id = %s {bound} ORDER BY id DESC LIMIT {per_room})"] * len(room_ids)
    params = [value for room_id in room_ids for value in (room_id, *([before] if before is not None else []))]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.id, m.room_id, m.content, m.deleted_at FROM messages AS m "
            f"JOIN ({' UNION ALL '.join(parts)}) AS recent ON recent.id = m.id ORDER BY m.id DESC",
            params,
        )
        found = cursor.fetchall()
    counts: dict[int, int] = {}
    oldest: dict[int, int] = {}
    for message_id, room_id, _, _ in found:  # newest first: a room's last row is its oldest
        counts[room_id] = counts.get(room_id, 0) + 1
        oldest[room_id] = message_id
    cut = [oldest[room_id] for room_id, count in counts.items() if count == per_room]
    complete_from = max(cut) if cut else None
    return [
        (message_id, content)
        for message_id, _, content, deleted_at in found
        if deleted_at is None and (complete_from is None or message_id >= complete_from)
    ], complete_from
