"""Attachments over REST: uploads (sniffed, capped, named safely), sends that claim them once, downloads only for
the room's readers, and files deleted with their message."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from chatbackend.errors import AttachmentInUse, ChatError
from messaging import attachments, services
from messaging.models import Attachment, Message
from tests.support import assert_error, client_for, make_messages, make_room, make_user

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def upload(user: User | None, content: bytes, *, name: str = "a.png", content_type: str = "text/html") -> Any:
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return client_for(user).post("/api/uploads", {"file": file}, format="multipart")


def send(user: User, room_id: int, content: str, ids: list[Any]) -> Any:
    body = {"content": content, "attachmentIds": ids}
    return client_for(user).post(f"/api/rooms/{room_id}/messages", body, format="json")


def download(user: User | None, url: str) -> Any:
    return client_for(user).get(url)


def test_an_upload_is_sniffed_from_its_bytes_not_the_clients_content_type() -> None:
    user = make_user()
    response = upload(user, PNG, name="../../etc/pic\x00ture.png", content_type="text/html")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "name", "size", "contentType", "url"}
    assert body["contentType"] == "image/png" and body["size"] == len(PNG)
    assert body["name"] == "picture.png"  # no directories; Django drops the NUL itself
    assert body["url"] == f"/api/uploads/{body['id']}"
    served = download(user, body["url"])
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == PNG
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline")


def test_html_is_stored_as_text_and_served_as_a_download() -> None:
    user = make_user()
    body = upload(user, HTML, name="page.html", content_type="text/html").json()
    assert body["contentType"] == "text/plain"
    served = download(user, body["url"])
    assert served["Content-Type"] == "text/plain"
    assert served["Content-Disposition"] == 'attachment; filename="page.html"'
    assert "sandbox" in served["Content-Security-Policy"]
    binary = upload(user, b"\x00\x01\x02binary", name="blob.bin").json()
    assert binary["contentType"] == "application/octet-stream"


def test_sniffing_and_names() -> None:
    assert attachments.sniff_content_type(b"GIF89a" + b"\x00" * 20) == "image/gif"
    assert attachments.sniff_content_type("héllo wörld\n".encode()) == "text/plain"
    assert attachments.sniff_content_type(b"%PDF-1.7\n") == "application/pdf"
    assert attachments.clean_file_name("C:\\Users\\x\\report.pdf") == "report.pdf"
    assert attachments.clean_file_name("") == "file"
    assert attachments.clean_file_name("bell\x07\x1b.txt ") == "bell__.txt"
    assert attachments.clean_file_name('a"b<c>.txt') == "a_b_c_.txt"
    long = attachments.clean_file_name("x" * 500 + ".jpeg")
    assert len(long) == attachments.NAME_MAX_LENGTH and long.endswith(".jpeg")


def test_uploads_over_the_size_limit_are_413_and_store_nothing(settings: Any) -> None:
    settings.UPLOAD_MAX_BYTES = 1000
    user = make_user()
    assert_error(upload(user, b"a" * 1001, name="big.txt"), 413, "payload_too_large")
    assert_error(upload(user, b"a" * 200_000, name="huge.txt"), 413, "payload_too_large")  # by Content-Length
    assert not Attachment.objects.filter(uploader=user).exists()
    assert upload(user, b"a" * 1000, name="fits.txt").status_code == 201


def test_uploads_and_downloads_need_a_token_and_a_file() -> None:
    user = make_user()
    assert_error(upload(None, PNG), 401, "not_authenticated")
    url = upload(user, PNG).json()["url"]
    assert_error(download(None, url), 401, "not_authenticated")
    assert_error(client_for(user).post("/api/uploads", {}, format="multipart"), 400, "validation_error")
    assert_error(client_for(user).post("/api/uploads", {"file": "x"}, format="json"), 415, "unsupported_media_type")
    assert_error(download(user, "/api/uploads/999999999"), 404, "attachment_not_found")


def test_a_send_claims_its_uploads_once_and_the_rooms_readers_download_them() -> None:
    sender, member, outsider = make_user(), make_user(), make_user()
    room = make_room(creator=sender, private=True, members=(member,))
    first, second = upload(sender, PNG).json(), upload(sender, HTML, name="notes.html").json()
    assert_error(download(member, first["url"]), 404, "attachment_not_found")  # not attached yet: the uploader's

    response = send(sender, room.id, "  ", [first["id"], second["id"]])  # content may be empty with attachments

    assert response.status_code == 201, response.content
    message = response.json()
    assert message["content"] == ""
    assert message["attachments"] == [first, second]
    assert download(member, first["url"]).status_code == 200
    assert_error(download(outsider, first["url"]), 404, "attachment_not_found")
    history = client_for(member).get(f"/api/rooms/{room.id}/messages").json()["messages"]
    assert history[0]["attachments"] == [first, second]
    rooms = client_for(member).get("/api/rooms").json()
    assert [entry["lastMessage"] for entry in rooms if entry["id"] == room.id] == [message]  # MessageOut too
    assert_error(send(sender, room.id, "again", [first["id"]]), 409, "attachment_in_use")
    assert_error(send(member, room.id, "mine now", [second["id"]]), 404, "attachment_not_found")


def test_send_rules_of_attachment_ids(settings: Any) -> None:
    settings.CHAT = {**settings.CHAT, "MESSAGE_MAX_ATTACHMENTS": 2}
    sender = make_user()
    room = make_room(creator=sender)
    ids = [upload(sender, PNG).json()["id"] for _ in range(3)]
    assert_error(send(sender, room.id, "three", ids), 400, "validation_error")
    assert_error(send(sender, room.id, "twice", [ids[0], ids[0]]), 400, "validation_error")
    assert_error(send(sender, room.id, "", []), 400, "validation_error")
    error = assert_error(send(sender, room.id, "x", ["a"]), 400, "validation_error")
    assert error["details"] == {"attachmentIds": ["Must be a positive integer id."]}
    assert not Attachment.objects.filter(message__isnull=False).exists()


def test_one_upload_claimed_by_two_sends_of_one_batch_goes_to_the_first() -> None:
    sender = make_user()
    room = make_room(creator=sender)
    upload_id = upload(sender, PNG).json()["id"]
    drafts = [
        services.prepare_send(sender=sender, room_id=room.id, content=text, attachment_ids=[upload_id])
        for text in ("first", "second")
    ]
    first, second = services.store_messages(drafts)
    assert first.created and first.message is not None and first.message.attachment_count == 1
    assert isinstance(second.error, AttachmentInUse)
    assert Attachment.objects.get(id=upload_id).message_id == first.message.id


def test_text_only_history_and_sends_never_look_attachments_up() -> None:
    sender = make_user()
    room = make_room(creator=sender)
    make_messages(room, sender, 5)
    with CaptureQueriesContext(connection) as queries:
        assert send(sender, room.id, "plain", []).status_code == 201
        assert client_for(sender).get(f"/api/rooms/{room.id}/messages").status_code == 200
    assert not [query for query in queries if "message_attachments" in query["sql"]]


def test_deleting_a_message_deletes_its_files(django_capture_on_commit_callbacks: Any) -> None:
    sender, member = make_user(), make_user()
    room = make_room(creator=sender, members=(member,))
    body = upload(sender, PNG).json()
    stored = Attachment.objects.get(id=body["id"]).file
    message = send(sender, room.id, "with a file", [body["id"]]).json()
    assert default_storage.exists(stored)

    with django_capture_on_commit_callbacks(execute=True):
        tombstone = client_for(sender).delete(f"/api/messages/{message['id']}").json()

    assert tombstone["attachments"] == [] and tombstone["deletedAt"] is not None
    assert not default_storage.exists(stored)
    assert not Attachment.objects.filter(id=body["id"]).exists()
    assert_error(download(member, body["url"]), 404, "attachment_not_found")


def test_purge_uploads_deletes_old_unattached_uploads_only(django_capture_on_commit_callbacks: Any) -> None:
    sender = make_user()
    room = make_room(creator=sender)
    old, fresh, sent = (upload(sender, PNG).json()["id"] for _ in range(3))
    send(sender, room.id, "keeps its file", [sent])
    Attachment.objects.filter(id__in=[old, sent]).update(created_at=timezone.now() - timedelta(hours=48))
    old_file = Attachment.objects.get(id=old).file

    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_uploads")

    assert set(Attachment.objects.filter(uploader=sender).values_list("id", flat=True)) == {fresh, sent}
    assert not default_storage.exists(old_file)


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_of_one_upload_attach_it_once() -> None:
    sender = make_user()
    room = make_room(creator=sender)
    upload_id = upload(sender, PNG).json()["id"]
    barrier = threading.Barrier(4)

    def race(index: int) -> str:
        barrier.wait()
        try:
            services.send_message(sender=sender, room_id=room.id, content=f"try {index}", attachment_ids=[upload_id])
            return "sent"
        except ChatError as error:
            return error.code
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(race, range(4)))

    assert outcomes == ["attachment_in_use"] * 3 + ["sent"]
    attached = Attachment.objects.get(id=upload_id)
    assert attached.message_id is not None
    assert Message.objects.filter(room=room, attachment_count=1).count() == 1
