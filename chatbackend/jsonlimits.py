"""Hostile JSON stopped before it is parsed: nesting deeper than JSON_MAX_DEPTH is refused, REST and Socket.IO.

Python's json module recurses once per nesting level, so a 2 KB body of `[[[[...` raises RecursionError (a 500,
or an engine.io traceback) before any serializer sees it. The scan below is linear and runs at C speed (one regex
pass that drops strings, then a running sum over the brackets left); documents with fewer brackets than the limit
skip it. Measured under load on the 2-core machine: ~1 us for a typical event, ~10-350 ms for a crafted 1 MB body.
"""

import re
from itertools import accumulate

from django.conf import settings

from chatbackend.errors import MalformedRequest

# A JSON string, escapes included; one that never closes runs to the end (such a document is invalid anyway), so
# each string is matched once and the scan stays linear whatever the input.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def nesting_exceeds(document: bytes | str, limit: int) -> bool:
    """True if the JSON text opens more than `limit` arrays/objects inside each other (strings are skipped)."""
    raw = document if isinstance(document, bytes) else document.encode("utf-8", "surrogatepass")
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit


def check_nesting(document: bytes | str) -> None:
    """Raise MalformedRequest for JSON nested deeper than JSON_MAX_DEPTH."""
    limit = settings.CHAT["JSON_MAX_DEPTH"]
    if nesting_exceeds(document, limit):
        raise MalformedRequest(f"The JSON is nested deeper than {limit} levels.")
