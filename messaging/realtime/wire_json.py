"""The JSON codec of the Socket.IO packets (python-socketio's `json=`): orjson, with the standard library behind it.

orjson encodes a message event ~5x faster. It refuses what the standard module accepts and the contract allows
through: lone UTF-16 surrogates in a client's payload (which validation then refuses with validation_error, not a
dropped packet) and non-string keys or integers past 64 bits on the way out. Those fall back to `json`.
"""

import json
from typing import Any

import orjson


def dumps(obj: Any, **_kwargs: Any) -> str:
    try:
        return orjson.dumps(obj).decode()
    except TypeError:
        return json.dumps(obj, separators=(",", ":"))


def loads(text: str | bytes, **_kwargs: Any) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
