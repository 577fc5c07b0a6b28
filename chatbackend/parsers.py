"""The JSON parser of the API: strict JSON, and a body size limit that holds however the body arrives."""

from io import BytesIO
from typing import Any

from django.conf import settings
from rest_framework.parsers import JSONParser

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
