"""Sending messages: the one place where a message is checked, rate limited and stored.

Every send takes the same two steps, whoever calls it:
- `prepare_send`: the checks that need no database (room id, content, clientMsgId), before a send is queued;
- `store_messages`: membership, retries, replies (messaging/threads.py), the rate limit and the write, for a whole
  batch in one transaction.
The REST send and management commands call `send_message` (a batch of one); the Socket.IO handlers hand prepared
sends to the process's group-commit writer (messaging/realtime/writer.py), which stores many with one `store_messages`.
Like every service, storing publishes its events on commit: each new message goes to its room as `receive_message`,
whoever sent it, and a reply's parent as `thread_updated`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from chatbackend.errors import NotRoomMember, RoomNotFound
from chatbackend.events import publish_on_commit, room_channel
from chatbackend.metrics import MESSAGES_STORED
from chatbackend.validation import FieldErrors, clean_text
from messaging import attachments, threads
from messaging.inserts import insert_messages
from messaging.models import Message
from messaging.positions import lock_message_seqs, record_new_messages, record_sends
from messaging.ratelimit import rate_limiter
from messaging.send_lookups import RetryKey, earlier_sends
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
    reply_to_id: int | None = None  # a reply to this message, checked with the batch (messaging/threads.py)
    member: bool = False  # the sender's membership was decided at subscription: no query with the batch
    attachment_ids: tuple[int, ...] = ()  # uploads of the sender to attach (messaging.attachments)

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
    *,
    sender: User,
    room_id: int,
    content: str,
    client_msg_id: str | None = None,
    reply_to_id: int | None = None,
    member: bool = False,
    attachment_ids: Sequence[int] = (),
) -> SendDraft:
    """Check and clean a send without the database; raises RoomNotFound (impossible id) or ValidationFailed.

    `member`: the caller holds the sender's membership of the room, decided when its connection subscribed and
    revoked by unsubscribing it when the membership ends; then the batch does not query it again. A send checked
    this way just before a removal commits may still be stored, as with a check-then-insert: one batch at most.
    """
    check_room_id(room_id)
    fields = FieldErrors()
    ids = fields.check(attachments.check_ids, attachment_ids) or ()
    cleaned = fields.check(
        clean_text, content, field="content", max_length=settings.CHAT["MESSAGE_MAX_LENGTH"], allow_empty=bool(ids)
    )
    if client_msg_id is not None:  # cleaned as any text is, so that the OpenAPI pattern states the one rule
        client_msg_id = fields.check(
            clean_text, client_msg_id, field="clientMsgId", max_length=settings.CHAT["CLIENT_MSG_ID_MAX_LENGTH"]
        )
    reply_to_id = fields.check(threads.check_reply_to_id, reply_to_id)
    fields.raise_any()
    assert cleaned is not None
    return SendDraft(
        sender.id, room_id, cleaned, client_msg_id, reply_to_id=reply_to_id, member=member, attachment_ids=ids
    )


def send_message(
    *,
    sender: User,
    room_id: int,
    content: str,
    client_msg_id: str | None = None,
    reply_to_id: int | None = None,
    attachment_ids: Sequence[int] = (),
) -> tuple[Message, bool]:
    """Store a message from a member, delivered to its room once committed. Returns (message, created).

    A retry with the same client_msg_id returns the first message, stores nothing and counts no rate. Raises
    ChatError on any refusal, before anything is stored. A batch of one: see `store_messages`.
    """
    draft = prepare_send(
        sender=sender,
        room_id=room_id,
        content=content,
        client_msg_id=client_msg_id,
        reply_to_id=reply_to_id,
        attachment_ids=attachment_ids,
    )
    return store_messages([draft])[0].unwrap()


def store_messages(drafts: Sequence[SendDraft]) -> list[SendResult]:
    """Store prepared sends in one transaction; returns one result per draft, in order.

    Per send: the room must exist and the sender be a member (else RoomNotFound, also for a private room of
    others, or NotRoomMember); a retry of a stored clientMsgId, or a repeat of one earlier in the batch, returns the
    first message and counts no rate; a reply needs its parent (messaging/threads.py: ReplyTargetNotFound,
    ReplyTargetDeleted); the rest is rate limited (RateLimited), then stored. A refusal concerns its own send only.
    A database failure raises: then nothing of the batch is stored. A room's messages take positions in the order
    of `drafts`, and their ids rise with their positions.
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
    earlier = earlier_sends(draft.retry_key for draft in drafts if draft.retry_key is not None)
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
    parents, refusals = threads.check_replies([(drafts[i].room_id, drafts[i].reply_to_id) for i in to_store])
    to_store = _refuse(to_store, refusals, results)
    wanted = {index: (drafts[index].sender_id, drafts[index].attachment_ids) for index in to_store}
    claims = attachments.lock_claims({index: send for index, send in wanted.items() if send[1]})
    for index, claimed in claims.items():
        if isinstance(claimed, Exception):  # not the sender's uploads to attach
            results[index] = SendResult(error=claimed)
    to_store = [index for index in to_store if results[index] is None]
    if count_rate and to_store:
        to_store = _refuse(
            to_store, rate_limiter().hit_many([(drafts[i].sender_id, drafts[i].room_id) for i in to_store]), results
        )

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
                reply_to_id=draft.reply_to_id,
                seq=next_seq[draft.room_id],
                created_at=now,
                reactions={},
                attachment_count=len(draft.attachment_ids),
            )
        )
    if messages:
        # One multi-row INSERT: its rows get ascending ids in this order, so ids rise with positions in a room.
        insert_messages(messages)
        for index, message in zip(to_store, messages, strict=True):
            if isinstance(rows := claims.get(index), list):
                attachments.claim(message, rows)
        newest: dict[int, tuple[int, int]] = {}
        read_to: dict[tuple[int, int], tuple[int, int]] = {}
        for message in messages:
            newest[message.room_id] = (message.seq, message.id)
            # Writing in a room reads it: the sender's own messages are never unread.
            read_to[(message.room_id, message.sender_id)] = (message.id, message.seq)
        record_sends(newest=newest, read_to=read_to)
    published = _publish_new(messages)  # before count_replies: a room hears of a reply before its thread update
    if messages:
        threads.count_replies(messages, parents)
    for index, message, payload in zip(to_store, messages, published, strict=True):
        results[index] = SendResult(message=message, created=True, published=payload)
    for index, first in repeats:
        settled = results[first]
        assert settled is not None
        results[index] = SendResult(message=settled.message, error=settled.error)


def _refuse(to_store: list[int], refusals: Sequence[Exception | None], results: list[SendResult | None]) -> list[int]:
    """Settle the refused sends (a refusal per index of `to_store`) into `results`; the indexes still to store."""
    for index, refusal in zip(to_store, refusals, strict=True):
        if refusal is not None:
            results[index] = SendResult(error=refusal)
    return [index for index, refusal in zip(to_store, refusals, strict=True) if refusal is None]


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
