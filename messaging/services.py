"""Sending messages: the one place where a message is checked, rate limited and stored.

Every send takes the same two steps, whoever calls it:
- `prepare_send`: the checks that need no database (room id, content, clientMsgId), before a send is queued;
- `store_messages`: membership, retries, the rate limit and the write, for a whole batch in one transaction.
The REST send and management commands call `send_message` (a batch of one); the Socket.IO handlers hand prepared
sends to the process's group-commit writer (messaging/realtime/writer.py), which stores many with one `store_messages`.
Like every service, storing publishes its events on commit: each new message goes to its room as `receive_message`,
whoever sent it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from chatbackend.db import values_table
from chatbackend.errors import NotRoomMember, RoomNotFound
from chatbackend.events import publish_on_commit, room_channel
from chatbackend.metrics import MESSAGES_STORED
from chatbackend.validation import FieldErrors, clean_text
from messaging.models import Message
from messaging.positions import lock_message_seqs, record_new_messages, record_sends
from messaging.ratelimit import rate_limiter
from messaging.selectors import RetryKey, stored_sends
from messaging.serializers import message_json
from rooms.access import members_among
from rooms.selectors import check_room_id, private_room_ids


@dataclass(frozen=True)
class SendDraft:
    """A send that passed the checks needing no database, waiting to be stored."""

    sender_id: int
    room_id: int
    content: str
    client_msg_id: str | None
    member: bool = False  # the sender's membership was decided at subscription: no query with the batch

    @property
    def retry_key(self) -> RetryKey | None:
        return None if self.client_msg_id is None else (self.room_id, self.sender_id, self.client_msg_id)


@dataclass(frozen=True)
class SendResult:
    """What became of one send: its stored message (`created`, or the first one of a retry) or its refusal."""

    message: Message | None = None
    created: bool = False
    error: Exception | None = None
    published: dict[str, Any] | None = None  # a created message's JSON, as its room was sent it

    def message_json(self) -> dict[str, Any]:
        """The message's JSON: the one its room was sent, else built (a retry's first message)."""
        message, _ = self.unwrap()
        return self.published if self.published is not None else message_json(message)

    def unwrap(self) -> tuple[Message, bool]:
        """(message, created), or raise the refusal."""
        if self.error is not None:
            raise self.error
        assert self.message is not None
        return self.message, self.created


def prepare_send(
    *, sender: User, room_id: int, content: str, client_msg_id: str | None = None, member: bool = False
) -> SendDraft:
    """Check and clean a send without the database; raises RoomNotFound (impossible id) or ValidationFailed.

    `member`: the caller holds the sender's membership of the room, decided when its connection subscribed and
    revoked by unsubscribing it when the membership ends; then the batch does not query it again. A send checked
    this way just before a removal commits may still be stored, as with a check-then-insert: one batch at most.
    """
    check_room_id(room_id)
    fields = FieldErrors()
    cleaned = fields.check(clean_text, content, field="content", max_length=settings.CHAT["MESSAGE_MAX_LENGTH"])
    if client_msg_id is not None:  # cleaned as any text is, so that the OpenAPI pattern states the one rule
        client_msg_id = fields.check(
            clean_text, client_msg_id, field="clientMsgId", max_length=settings.CHAT["CLIENT_MSG_ID_MAX_LENGTH"]
        )
    fields.raise_any()
    assert cleaned is not None
    content = cleaned
    return SendDraft(sender_id=sender.id, room_id=room_id, content=content, client_msg_id=client_msg_id, member=member)


def send_message(*, sender: User, room_id: int, content: str, client_msg_id: str | None = None) -> tuple[Message, bool]:
    """Store a message from a member, delivered to its room once committed. Returns (message, created).

    A retry with the same client_msg_id returns the first message, stores nothing and counts no rate. Raises
    ChatError on any refusal, before anything is stored. A batch of one: see `store_messages`.
    """
    draft = prepare_send(sender=sender, room_id=room_id, content=content, client_msg_id=client_msg_id)
    return store_messages([draft])[0].unwrap()


def store_messages(drafts: Sequence[SendDraft]) -> list[SendResult]:
    """Store prepared sends in one transaction; returns one result per draft, in order.

    Per send: the room must exist and the sender be a member (else RoomNotFound, also for a private room of
    others, or NotRoomMember); a retry of a
    stored clientMsgId, or a repeat of one earlier in the batch, returns the first message and counts no rate;
    the rest is rate limited (RateLimited), then stored. A refusal concerns its own send only. A database failure
    raises: then nothing of the batch is stored. A room's messages take positions in the order of `drafts`, and
    their ids rise with their positions.
    """
    results: list[SendResult | None] = [None] * len(drafts)
    try:
        with transaction.atomic():
            _store(drafts, results, count_rate=True)
    except IntegrityError:
        # A retry of one of these sends was stored meanwhile by another request or process (the unique index
        # caught it). Store the sends still unsettled one at a time, so that the duplicate fails alone. Their
        # rate was counted by the attempt that was rolled back.
        for index, draft in enumerate(drafts):
            settled = results[index]
            if settled is None or settled.created:  # created: rolled back with the batch
                results[index] = _store_alone(draft)
    return [result if result is not None else SendResult(error=RuntimeError("send not settled")) for result in results]


def import_messages(*, room_id: int, messages: Sequence[tuple[int, str]]) -> list[Message]:
    """Store existing history in bulk, as (sender id, content) oldest first: for seeding and imports.

    Positions and the room's last message are kept right, as for sends; there is no membership check, rate limit,
    cleaning or delivery (they count as stored). Ids are filled in where the backend returns them (MariaDB).
    """
    with transaction.atomic():
        first = lock_message_seqs([room_id])[room_id] + 1
        stored = Message.objects.bulk_create(
            Message(room_id=room_id, sender_id=sender_id, content=content, seq=first + index)
            for index, (sender_id, content) in enumerate(messages)
        )
        if stored:
            newest = Message.objects.filter(room_id=room_id).latest("id")
            record_new_messages(newest={room_id: (newest.seq, newest.id)})
        transaction.on_commit(lambda: MESSAGES_STORED.inc(len(stored)))
    return stored


def _store_alone(draft: SendDraft) -> SendResult:
    results: list[SendResult | None] = [None]
    try:
        with transaction.atomic():
            _store([draft], results, count_rate=False)
    except IntegrityError as exc:
        if draft.client_msg_id is not None:
            earlier = Message.objects.filter(
                room_id=draft.room_id, sender_id=draft.sender_id, client_msg_id=draft.client_msg_id
            ).first()
            if earlier is not None:
                return SendResult(message=earlier)  # a concurrent retry stored it first
        return SendResult(error=exc)
    assert results[0] is not None
    return results[0]


def _store(drafts: Sequence[SendDraft], results: list[SendResult | None], *, count_rate: bool) -> None:
    """Settle every draft into `results` (in a transaction). A few queries per batch, however large it is."""
    next_seq = lock_message_seqs(draft.room_id for draft in drafts)  # also: which rooms exist
    members = members_among(
        (draft.room_id, draft.sender_id) for draft in drafts if draft.room_id in next_seq and not draft.member
    )
    earlier = stored_sends(draft.retry_key for draft in drafts if draft.retry_key is not None)
    outsiders = {
        d.room_id for d in drafts if d.room_id in next_seq and not d.member and (d.room_id, d.sender_id) not in members
    }
    hidden = private_room_ids(outsiders) if outsiders else set()  # a query only when someone sends as an outsider
    first_with_key: dict[RetryKey, int] = {}
    repeats: list[tuple[int, int]] = []  # (index, index of the first send with the same retry key)
    to_store: list[int] = []
    for index, draft in enumerate(drafts):
        key = draft.retry_key
        if draft.room_id not in next_seq or (
            not draft.member and draft.room_id in hidden and (draft.room_id, draft.sender_id) not in members
        ):
            results[index] = SendResult(error=RoomNotFound())
        elif not draft.member and (draft.room_id, draft.sender_id) not in members:
            results[index] = SendResult(error=NotRoomMember())
        elif key is not None and key in earlier:
            results[index] = SendResult(message=earlier[key])
        elif key is not None and key in first_with_key:
            repeats.append((index, first_with_key[key]))
        else:
            if key is not None:
                first_with_key[key] = index
            to_store.append(index)
    if count_rate and to_store:
        refusals = rate_limiter().hit_many([(drafts[index].sender_id, drafts[index].room_id) for index in to_store])
        for index, refusal in zip(to_store, refusals, strict=True):
            if refusal is not None:
                results[index] = SendResult(error=refusal)
        to_store = [index for index, refusal in zip(to_store, refusals, strict=True) if refusal is None]

    messages = []
    now = timezone.now()
    for index in to_store:
        draft = drafts[index]
        next_seq[draft.room_id] += 1
        messages.append(
            Message(
                room_id=draft.room_id,
                sender_id=draft.sender_id,
                content=draft.content,
                client_msg_id=draft.client_msg_id,
                seq=next_seq[draft.room_id],
                created_at=now,
                reactions={},
            )
        )
    if messages:
        # One multi-row INSERT: its rows get ascending ids in this order, so ids rise with positions in a room.
        _insert(messages)
        newest: dict[int, tuple[int, int]] = {}
        read_to: dict[tuple[int, int], tuple[int, int]] = {}
        for message in messages:
            newest[message.room_id] = (message.seq, message.id)
            # Writing in a room reads it: the sender's own messages are never unread.
            read_to[(message.room_id, message.sender_id)] = (message.id, message.seq)
        record_sends(newest=newest, read_to=read_to)
    for index, message, published in zip(to_store, messages, _publish_new(messages), strict=True):
        results[index] = SendResult(message=message, created=True, published=published)
    for index, first in repeats:
        settled = results[first]
        assert settled is not None
        results[index] = SendResult(message=settled.message, error=settled.error)


def _insert(messages: list[Message]) -> None:
    """INSERT the new messages in one statement, in SQL: `bulk_create` compiled it for longer than the database
    took to run it, on every batch. Ids come back with RETURNING (MariaDB, SQLite) or are read back (MySQL 8)."""
    columns = ("room_id", "sender_id", "content", "created_at", "client_msg_id", "seq", "reactions")
    created_at = connection.ops.adapt_datetimefield_value(messages[0].created_at)
    params: list[Any] = []
    for message in messages:
        params += [message.room_id, message.sender_id, message.content, created_at, message.client_msg_id]
        params += [message.seq, "{}"]
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    returning = connection.features.can_return_rows_from_bulk_insert
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Message._meta.db_table} ({', '.join(columns)}) VALUES {', '.join([row] * len(messages))}"
            + (" RETURNING id" if returning else ""),
            params,
        )
        if returning:
            for message, (message_id,) in zip(messages, cursor.fetchall(), strict=True):
                message.id = int(message_id)
    if not returning:
        _read_back_ids(messages)  # MySQL 8: no RETURNING
    for message in messages:  # as bulk_create leaves them: stored rows
        message._state.adding = False
        message._state.db = connection.alias


def _publish_new(messages: list[Message]) -> list[dict[str, Any]]:
    """Once committed: each new message to its room as `receive_message`, and counted as stored. Returns the
    messages' JSON, built once for the room and the sender's ack alike."""
    if not messages:
        return []
    transaction.on_commit(lambda: MESSAGES_STORED.inc(len(messages)))
    payloads = [message_json(message) for message in messages]
    for message, payload in zip(messages, payloads, strict=True):
        publish_on_commit("receive_message", payload, to=room_channel(message.room_id))
    return payloads


def _read_back_ids(messages: list[Message]) -> None:
    """Fill in the ids of just inserted messages by their (room, seq), unique per row: the positions were handed
    out under the rooms' locks, which this transaction still holds."""
    spans: dict[int, tuple[int, int]] = {}
    for message in messages:
        low, high = spans.get(message.room_id, (message.seq, message.seq))
        spans[message.room_id] = (min(low, message.seq), max(high, message.seq))
    wanted, params = values_table(
        ("room_id", "low", "high"), ((room, low, high) for room, (low, high) in spans.items())
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.room_id, m.seq, m.id FROM ({wanted}) AS v JOIN {Message._meta.db_table} AS m "
            "ON m.room_id = v.room_id AND m.seq BETWEEN v.low AND v.high",
            params,
        )
        ids = {(int(room_id), int(seq)): int(message_id) for room_id, seq, message_id in cursor.fetchall()}
    for message in messages:
        message.id = ids[(message.room_id, message.seq)]
