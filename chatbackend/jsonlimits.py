"""Hostile JSON stopped before it is parsed: nesting deeper than JSON_MAX_DEPTH is refused, REST and Socket.IO.

Python's json module recurses once per nesting level, so a 2 KB body of `[[[[...` raises RecursionError (a 500,
or an engine.io traceback) before any serializer sees it. The scan below is linear and reads only the bytes that
matter (brackets, quotes, backslashes); bodies with fewer brackets than the limit skip it altogether.
"""

import json
import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings

from chatbackend.errors import MalformedRequest

_SPECIAL_BYTES = re.compile(rb'[\[\]{}"\\]')
_SPECIAL_CHARS = re.compile(r'[\[\]{}"\\]')
_OPENING = frozenset((ord("["), ord("{"), "[", "{"))
_CLOSING = frozenset((ord("]"), ord("}"), "]", "}"))
_QUOTE = frozenset((ord('"'), '"'))
_BACKSLASH = frozenset((ord("\\"), "\\"))


def nesting_exceeds(document: bytes | str, limit: int) -> bool:
    """True if the JSON text opens more than `limit` arrays/objects inside each other (strings are skipped)."""
    tokens: Iterator[re.Match[bytes]] | Iterator[re.Match[str]]
    if isinstance(document, bytes):
        opened = document.count(b"[") + document.count(b"{")
        tokens = _SPECIAL_BYTES.finditer(document)
    else:
        opened = document.count("[") + document.count("{")
        tokens = _SPECIAL_CHARS.finditer(document)
    if opened <= limit:
        return False
    depth, in_string, escaped_at = 0, False, -1
    for token in tokens:
        position = token.start()
        if position == escaped_at:
            continue
        char = document[position]
        if in_string:
            if char in _BACKSLASH:
                escaped_at = position + 1
            elif char in _QUOTE:
                in_string = False
        elif char in _QUOTE:
            in_string = True
        elif char in _OPENING:
            depth += 1
            if depth > limit:
                return True
        elif char in _CLOSING:
            depth -= 1
    return False


def check_nesting(document: bytes | str) -> None:
    """Raise MalformedRequest for JSON nested deeper than JSON_MAX_DEPTH."""
    limit = settings.CHAT["JSON_MAX_DEPTH"]
    if nesting_exceeds(document, limit):
        raise MalformedRequest(f"The JSON is nested deeper than {limit} levels.")


class GuardedJSON:
    """The json module python-socketio and python-engineio decode packets with, with the nesting check first.

    Too deep is a ValueError, as any undecodable JSON is to them: engine.io then keeps the text, and Socket.IO's
    decoding fails, which closes the session (messaging/socket_protocol.py)."""

    @staticmethod
    def loads(document: str | bytes, **options: Any) -> Any:
        limit = settings.CHAT["JSON_MAX_DEPTH"]
        if nesting_exceeds(document, limit):
            raise ValueError(f"JSON nested deeper than {limit} levels")
        return json.loads(document, **options)

    @staticmethod
    def dumps(value: Any, **options: Any) -> str:
        return json.dumps(value, **options)
