"""REST entry points of attachments: uploading a file, and reading one back (the `url` of an attachment)."""

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import current_user
from chatbackend.parsers import LimitedMultiPartParser
from chatbackend.schema import errors
from chatbackend.throttling import ChatRateThrottle
from messaging import attachments
from messaging.serializers import AttachmentOut, attachment_json


class UploadIn(serializers.Serializer[Any]):
    """A multipart body with one file (the schema of the upload; the service checks it)."""

    file = serializers.FileField(help_text="The file's bytes, with its name.")


class UploadThrottle(ChatRateThrottle):
    """Uploads per account (THROTTLE_UPLOADS)."""

    scope = "uploads"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = request.user
        return None if user is None else self.cache_format % {"scope": self.scope, "ident": user.id}


class Uploads(APIView):
    parser_classes = [LimitedMultiPartParser]
    throttle_classes = [UploadThrottle]

    @extend_schema(
        operation_id="uploads_create",
        request={"multipart/form-data": UploadIn},
        responses={201: AttachmentOut, **errors(400, 401, 413, 415, 429)},
    )
    def post(self, request: Request) -> Response:
        """Upload a file.

        A multipart body with the file in the field `file`, at most UPLOAD_MAX_BYTES (10 MB by default; 413
        `payload_too_large` above). The answer's `id` goes in `attachmentIds` of a send (once); until then only
        you can read it, and uploads never attached are purged after ORPHAN_UPLOAD_HOURS. `contentType` is sniffed
        from the bytes, whatever the client says; `name` is the file's name without directories or control
        characters. At most THROTTLE_UPLOADS uploads per account (429 `rate_limited`).
        """
        attachment = attachments.upload(uploader=current_user(request), file=request.FILES.get("file"))
        return Response(attachment_json(attachment), status=201)


class UploadDetail(APIView):
    @extend_schema(
        operation_id="uploads_download",
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file's bytes, as its contentType."),
            **errors(401, 404),
        },
    )
    def get(self, request: Request, attachment_id: int) -> FileResponse:
        """Download a file.

        The bytes of an upload, with your bearer token: for its uploader, and once it is attached for anyone who
        may read the message's room (any signed-in user for a public room, members for a private one); anyone
        else gets 404 `attachment_not_found`, as for an unknown id. Served with the sniffed `Content-Type`,
        `X-Content-Type-Options: nosniff` and a sandboxing `Content-Security-Policy`; anything but a raster image
        comes as `Content-Disposition: attachment`. The files of a deleted message are gone.
        """
        attachment, handle = attachments.readable(user=current_user(request), attachment_id=attachment_id)
        response = FileResponse(
            handle,
            content_type=attachment.content_type,
            as_attachment=attachment.content_type not in attachments.INLINE_TYPES,
            filename=attachment.name,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response
