"""The parsers of the API: strict JSON, multipart for uploads, and size limits that hold however the body arrives."""

from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from rest_framework.parsers import JSONParser, MultiPartParser

from chatbackend.errors import PayloadTooLarge
from chatbackend.jsonlimits import check_nesting


class LimitedJSONParser(JSONParser):
    """JSONParser that refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with 413, and JSON nested deeper than
    JSON_MAX_DEPTH with 400, before parsing.

    DRF hands the raw stream to the parser, so Django's own body limit never applies to API requests. Throttles
    read `request.data` before the view runs: they come through here too, so the guard precedes them.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        check_nesting(body)
        return super().parse(BytesIO(body), media_type, parser_context)


# Room for the multipart framing around an upload: boundaries, part headers and the file name.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class UploadSizeLimit(FileUploadHandler):
    """The first upload handler of a multipart body: refuses it with 413 as soon as more than `limit` bytes of
    files arrived, before the handlers after it store them (in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, on disk
    beyond)."""

    def __init__(self, request: Any = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            raise PayloadTooLarge(f"A file is at most {self.limit} bytes.")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class LimitedMultiPartParser(MultiPartParser):
    """MultiPartParser for uploads, capped at UPLOAD_MAX_BYTES of files: a body whose Content-Length says it is
    bigger is refused before it is parsed, and one that grows past it (chunked) while it is parsed."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {})["request"]
        limit = settings.UPLOAD_MAX_BYTES
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > limit + MULTIPART_OVERHEAD_BYTES:
            raise PayloadTooLarge(f"A file is at most {limit} bytes.")
        request.upload_handlers.insert(0, UploadSizeLimit(request, limit=limit))
        return super().parse(stream, media_type, parser_context)
