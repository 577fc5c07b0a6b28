"""The payloads of the Socket.IO client events: one definition each, in the wire's field names and order.

Checked by chatbackend.payloads (no DRF on the socket path); the REST API keeps its serializers for OpenAPI, and
both hand the values to the same services, which clean and limit them. Field order is the order errors are
reported in, as the serializers these replace reported them.
"""

from dataclasses import dataclass

from chatbackend.payloads import flag_field, id_field, id_list_field, text_field
from chatbackend.validation import RAW_IDS_MAX_ITEMS, RAW_TEXT_MAX_LENGTH, RAW_WORD_MAX_LENGTH


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinRoom:
    """join_room: with `after`, the ack also carries the messages missed since that id."""

    roomId: int = id_field()
    after: int | None = id_field(allow_zero=True, default=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaveRoom:
    """leave_room: unsubscribe this connection; with `leave: true`, also end the membership."""

    roomId: int = id_field()
    leave: bool = flag_field(default=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkRead:
    messageId: int = id_field()
    roomId: int = id_field()


@dataclass(frozen=True, slots=True, kw_only=True)
class SendMessage:
    """send_message: content is cleaned and length-checked by the service; clientMsgId makes retries safe; replyToId
    makes it a reply (the service checks the message replied to); attachmentIds names uploads of the sender (checked
    by the service, with content then allowed empty)."""

    content: str = text_field(max_length=RAW_TEXT_MAX_LENGTH)
    clientMsgId: str | None = text_field(max_length=RAW_WORD_MAX_LENGTH, default=None)
    replyToId: int | None = id_field(default=None)
    attachmentIds: tuple[int, ...] = id_list_field(max_items=RAW_IDS_MAX_ITEMS, default=())
    roomId: int = id_field()


@dataclass(frozen=True, slots=True, kw_only=True)
class Typing:
    roomId: int = id_field()
    isTyping: bool = flag_field()
