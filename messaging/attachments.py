"""Attachments: uploading a file, claiming uploads for a message, reading them back, and deleting them.

The one place of every attachment rule, for REST and Socket.IO alike:
- an upload is at most UPLOAD_MAX_BYTES, its content type is sniffed from its bytes (the client's is ignored) and
  its name is cleaned; the bytes go to Django's default storage under a random name;
- a send names at most MESSAGE_MAX_ATTACHMENTS of the sender's own uploads not attached yet (`check_ids` without
  the database, `lock_claims` and `claim` in the send's transaction, so that an upload is attached once however
  many sends race for it);
- a file is read by its uploader while unattached, then by whoever may read the message's room;
- deleting a message deletes its files (after commit), and uploads nobody attached are purged after a while.
"""

import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import IO

import filetype
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from chatbackend.errors import (
    AttachmentInUse,
    AttachmentNotFound,
    ChatError,
    NotRoomMember,
    PayloadTooLarge,
    RoomNotFound,
    ValidationFailed,
)
from chatbackend.validation import is_id
from messaging.models import Attachment, Message
from rooms import access
from rooms.selectors import get_room

NAME_MAX_LENGTH = 200
SNIFF_BYTES = 8192
# Types a browser may show inline: raster images, which run no script. Everything else (HTML, SVG, PDF, text) is
# served as a download, so that an upload can never run as a page of this origin.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp"})
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\"\\/<>:|?*]")


def sniff_content_type(head: bytes) -> str:
    """The content type of a file from its first bytes: a known signature (filetype), else text/plain for UTF-8
    text without control characters, else application/octet-stream."""
    known = filetype.guess_mime(head)
    if known:
        return str(known)
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sniffed bytes is still text.
        if exc.start < len(head) - 3 or len(head) < SNIFF_BYTES:
            return "application/octet-stream"
        text = head[: exc.start].decode("utf-8")
    if any(ord(char) < 32 and char not in "\t\n\r\f" for char in text):
        return "application/octet-stream"
    return "text/plain"


def clean_file_name(raw: str | None) -> str:
    """A file name safe to show and to put in a header: no directories, control or quoting characters, at most
    NAME_MAX_LENGTH characters (the extension kept), never empty."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    if len(name) > NAME_MAX_LENGTH:
        stem, dot, extension = name.rpartition(".")
        extension = extension[:20] if dot else ""
        name = (stem if dot else name)[: NAME_MAX_LENGTH - len(extension) - 1].rstrip(" .") + (dot + extension)
    return name or "file"


def upload(*, uploader: User, file: UploadedFile | None) -> Attachment:
    """Store an upload of `uploader`, not attached to any message yet. Raises ValidationFailed (no file) or
    PayloadTooLarge (over UPLOAD_MAX_BYTES; the parser refuses most such bodies before this)."""
    if file is None:
        raise ValidationFailed("file: a multipart field `file` is required.", file=["No file was submitted."])
    limit = settings.UPLOAD_MAX_BYTES
    if file.size is None or file.size > limit:
        raise PayloadTooLarge(f"A file is at most {limit} bytes.")
    file.seek(0)
    content_type = sniff_content_type(file.read(SNIFF_BYTES))
    file.seek(0)
    stored = default_storage.save(f"attachments/{uuid.uuid4().hex}", file)
    try:
        return Attachment.objects.create(
            uploader=uploader, file=stored, name=clean_file_name(file.name), size=file.size, content_type=content_type
        )
    except BaseException:
        default_storage.delete(stored)
        raise


def check_ids(raw: Sequence[int]) -> tuple[int, ...]:
    """The attachment ids of a send, checked without the database: ids, no repeats, at most MESSAGE_MAX_ATTACHMENTS."""
    most = settings.CHAT["MESSAGE_MAX_ATTACHMENTS"]
    if len(raw) > most:
        raise ValidationFailed(
            f"attachmentIds: a message carries at most {most} attachments.",
            attachmentIds=[f"Ensure this field has no more than {most} elements."],
        )
    if not all(is_id(item) for item in raw) or len(set(raw)) != len(raw):
        raise ValidationFailed(
            "attachmentIds: must be distinct upload ids.", attachmentIds=["Must be distinct positive integer ids."]
        )
    return tuple(raw)


def lock_claims(wanted: Mapping[int, tuple[int, Sequence[int]]]) -> dict[int, list[Attachment] | ChatError]:
    """For each send of a batch, by its index, (sender id, attachment ids): the uploads it may attach, locked until
    the transaction ends, or its refusal (AttachmentNotFound: not an upload of the sender; AttachmentInUse:
    attached already, or claimed by an earlier send of the batch). One query, none for a batch without any."""
    all_ids = {item for _, ids in wanted.values() for item in ids}
    if not all_ids:
        return {}
    found = {row.id: row for row in Attachment.objects.select_for_update().filter(id__in=all_ids)}
    taken: set[int] = set()
    results: dict[int, list[Attachment] | ChatError] = {}
    for index, (sender_id, ids) in sorted(wanted.items()):
        rows = [found[item] for item in ids if item in found and found[item].uploader_id == sender_id]
        if len(rows) != len(ids):
            results[index] = AttachmentNotFound()
        elif any(row.message_id is not None or row.id in taken for row in rows):
            results[index] = AttachmentInUse()
        else:
            taken.update(ids)
            results[index] = rows
    return results


def claim(message: Message, attachments: list[Attachment]) -> None:
    """Attach locked, claimable uploads (from `lock_claims`) to a message just inserted, in the same transaction.
    The statement itself refuses uploads attached meanwhile: its row count must be theirs, or the batch rolls back."""
    ids = [attachment.id for attachment in attachments]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Attachment._meta.db_table} SET message_id = %s WHERE id IN ({', '.join(['%s'] * len(ids))})"
            " AND uploader_id = %s AND message_id IS NULL",
            [message.id, *ids, message.sender_id],
        )
        if cursor.rowcount != len(ids):
            raise AttachmentInUse()
    for attachment in attachments:
        attachment.message_id = message.id
    message._attachments = attachments  # type: ignore[attr-defined]  # shown with the new message, no query


def prefetch(messages: Iterable[Message]) -> None:
    """Load the attachments of these messages in one query, for those that have some (none: no query)."""
    with_files = {message.id: message for message in messages if message.attachment_count}
    if not with_files:
        return
    loaded: dict[int | None, list[Attachment]] = {message_id: [] for message_id in with_files}
    for attachment in Attachment.objects.filter(message_id__in=with_files):
        loaded[attachment.message_id].append(attachment)
    for message_id, message in with_files.items():
        message._attachments = loaded[message_id]  # type: ignore[attr-defined]


def readable(*, user: User, attachment_id: int) -> tuple[Attachment, IO[bytes]]:
    """An attachment and its open file, for a reader allowed to see it: its uploader, or (once attached) anyone
    who may read the room's history. Anything else is AttachmentNotFound, as a missing id is (no oracle)."""
    attachment = Attachment.objects.filter(id=attachment_id).first() if is_id(attachment_id) else None
    if attachment is None:
        raise AttachmentNotFound()
    if attachment.uploader_id != user.id:
        if attachment.message_id is None:
            raise AttachmentNotFound()
        room_id = Message.objects.filter(id=attachment.message_id).values_list("room_id", flat=True).first()
        try:
            access.require_readable(user, get_room(room_id or 0))
        except (RoomNotFound, NotRoomMember) as exc:
            raise AttachmentNotFound() from exc
    try:
        return attachment, default_storage.open(attachment.file, "rb")
    except FileNotFoundError as exc:
        raise AttachmentNotFound() from exc


def delete_for_message(message: Message) -> None:
    """In a message's deletion: its attachment rows go now, their files once the deletion commits."""
    if not message.attachment_count:
        return
    files = list(Attachment.objects.filter(message_id=message.id).values_list("file", flat=True))
    Attachment.objects.filter(message_id=message.id).delete()
    message.attachment_count = 0
    message._attachments = []  # type: ignore[attr-defined]
    transaction.on_commit(lambda: _delete_files(files))


def purge_orphans(*, older_than_hours: int | None = None) -> int:
    """Delete the uploads no message claimed within ORPHAN_UPLOAD_HOURS (or `older_than_hours`); returns how many."""
    hours = settings.CHAT["ORPHAN_UPLOAD_HOURS"] if older_than_hours is None else older_than_hours
    with transaction.atomic():
        orphans = list(
            Attachment.objects.select_for_update()
            .filter(message__isnull=True, created_at__lt=timezone.now() - timedelta(hours=hours))
            .values_list("id", "file")
        )
        Attachment.objects.filter(id__in=[attachment_id for attachment_id, _ in orphans]).delete()
        files = [name for _, name in orphans]
        transaction.on_commit(lambda: _delete_files(files))
    return len(orphans)


def _delete_files(names: Iterable[str]) -> None:
    for name in names:
        default_storage.delete(name)
