"""The Socket.IO reference, written from the event catalogue (messaging/realtime/reference.py): the page at
/api/docs/socketio/, and the generated tables of docs/socketio.md and the README.

The Markdown files keep their prose; each table sits between `<!-- generated: NAME -->` and `<!-- end generated -->`
and is rewritten by `manage.py socketio_reference --write`. A test fails when a file's tables differ from the code.
"""

import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from messaging.realtime.reference import CLIENT_EVENTS, HANDSHAKE_ERRORS, SERVER_EVENTS, error_codes

DOCUMENTS = ("README.md", "docs/socketio.md")
_BLOCK = re.compile(r"(<!-- generated: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.DOTALL)


def _code(text: str) -> str:
    return "`" + text.replace("|", "\\|") + "`"


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = [_row(*header), _row(*("---" for _ in header)), *(_row(*row) for row in rows)]
    return "\n".join(lines) + "\n"


def tables() -> dict[str, str]:
    """Every generated Markdown table, by block name."""
    return {
        "socketio-client-events": _table(
            ("event", "payload", "ack on success", "error codes"),
            [
                (_code(e.name), _code(e.payload_text()), _code(e.ack_text()), ", ".join(map(_code, e.errors)))
                for e in CLIENT_EVENTS
            ],
        ),
        "socketio-client-events-brief": _table(
            ("event", "payload", "ack on success", "what it does"),
            [(_code(e.name), _code(e.payload_text()), _code(e.ack_text()), e.brief) for e in CLIENT_EVENTS],
        ),
        "socketio-client-events-details": "".join(f"- {_code(e.name)}: {e.summary_text()}\n" for e in CLIENT_EVENTS),
        "socketio-server-events": _table(
            ("event", "payload", "sent to"),
            [(_code(e.name), _code(e.payload_text()), e.to) for e in SERVER_EVENTS],
        ),
        "socketio-error-codes": _table(
            ("code", "status", "default message"),
            [(_code(error["code"]), str(error["status"]), error["message"]) for error in error_codes()],
        ),
    }


def regenerate(text: str) -> str:
    """The document with each generated block rewritten from the code; an unknown block name is an error."""
    generated = tables()

    def replace(match: re.Match[str]) -> str:
        return match.group(1) + generated[match.group("name")] + match.group(4)

    return _BLOCK.sub(replace, text)


def block_names(text: str) -> list[str]:
    return [match.group("name") for match in _BLOCK.finditer(text)]


def _page_context() -> dict[str, Any]:
    client = [
        {
            "name": e.name,
            "payload": e.payload_text(),
            "ack": e.ack_text(),
            "summary": e.summary_text(),
            "errors": e.errors,
            "example": e.example,
        }
        for e in CLIENT_EVENTS
    ]
    server = [{"name": e.name, "payload": e.payload_text(), "summary": e.to} for e in SERVER_EVENTS]
    return {
        "client_events": client,
        "server_events": server,
        "error_codes": error_codes(),
        "handshake_errors": HANDSHAKE_ERRORS,
    }


def socketio_reference(request: HttpRequest) -> HttpResponse:
    return render(request, "chatbackend/socketio.html", _page_context())
