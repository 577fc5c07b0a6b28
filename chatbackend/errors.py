"""The one error type of the project and every refusal: a stable code with one HTTP status each.

The REST adapter (DRF's EXCEPTION_HANDLER) and the mapping of any other exception are in
chatbackend/exception_handler.py; the Socket.IO adapter is messaging/realtime/protocol.py.
"""

from typing import Any


class ChatError(Exception):
    """A refusal the client can act on: a stable `code`, an HTTP `status`, a message and optional details."""

    code = "error"
    status = 400
    default_message = "The request was refused."

    def __init__(self, message: str | None = None, /, **details: Any) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class ValidationFailed(ChatError):
    code = "validation_error"
    status = 400
    default_message = "The request is not valid."


class MalformedRequest(ChatError):
    code = "malformed_request"
    status = 400
    default_message = "The request body is not valid JSON."


class NotAuthenticated(ChatError):
    code = "not_authenticated"
    status = 401
    default_message = "Authentication credentials were not provided."


class InvalidCredentials(ChatError):
    code = "invalid_credentials"
    status = 401
    default_message = "The email or password is wrong."


class InvalidTokenError(ChatError):
    code = "invalid_token"
    status = 401
    default_message = "The token is invalid or expired."


class TokenExpired(ChatError):
    code = "token_expired"
    status = 401
    default_message = "The access token has expired: reconnect with a fresh one."


class Forbidden(ChatError):
    code = "forbidden"
    status = 403
    default_message = "You may not do this."


class NotRoomMember(ChatError):
    code = "not_room_member"
    status = 403
    default_message = "You are not a member of this room."


class InviteCodeRequired(ChatError):
    code = "invite_code_required"
    status = 403
    default_message = "This room is private: an invite code is required."


class InvalidInviteCode(ChatError):
    code = "invalid_invite_code"
    status = 403
    default_message = "The invite code is not valid for this room."


class InsufficientRole(ChatError):
    code = "insufficient_role"
    status = 403
    default_message = "Your role in this room does not allow this."


class Banned(ChatError):
    code = "banned"
    status = 403
    default_message = "You are banned from this room."


class NotMessageSender(ChatError):
    code = "not_message_sender"
    status = 403
    default_message = "Only the sender may change this message."


class NotFound(ChatError):
    code = "not_found"
    status = 404
    default_message = "Not found."


class RoomNotFound(ChatError):
    code = "room_not_found"
    status = 404
    default_message = "The room does not exist."


class MessageNotFound(ChatError):
    code = "message_not_found"
    status = 404
    default_message = "The message does not exist."


class ReplyTargetNotFound(MessageNotFound):
    default_message = "replyToId: this room has no message with this id."


class AttachmentNotFound(ChatError):
    code = "attachment_not_found"
    status = 404
    default_message = "No such upload (or not one you may use or read)."


class UserNotFound(ChatError):
    code = "user_not_found"
    status = 404
    default_message = "The user does not exist or shares no room with you."


class UnknownEvent(ChatError):
    code = "unknown_event"
    status = 404
    default_message = "No such event."


class MemberNotFound(ChatError):
    code = "member_not_found"
    status = 404
    default_message = "The user is not a member of this room."


class InviteCodeNotFound(InvalidInviteCode):
    default_message = "No room has this invite code."


class MethodNotAllowed(ChatError):
    code = "method_not_allowed"
    status = 405
    default_message = "Method not allowed."


class Conflict(ChatError):
    code = "conflict"
    status = 409
    default_message = "The request conflicts with the current state."


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = "An account with this email already exists."


class MessageDeleted(Conflict):
    code = "message_deleted"
    default_message = "The message has been deleted."


class ReplyTargetDeleted(MessageDeleted):
    default_message = "replyToId: the message replied to has been deleted."


class DirectRoom(Conflict):
    code = "direct_room"
    default_message = "A direct-message room has exactly its two users and cannot be changed this way."


class TooManyReactions(Conflict):
    code = "too_many_reactions"
    default_message = "This message has as many different reactions as it may have."


class AttachmentInUse(Conflict):
    code = "attachment_in_use"
    default_message = "This upload is attached to a message already: upload the file again to send it again."


class TooManyInvites(Conflict):
    code = "too_many_invites"
    default_message = "This room has as many live invite links as it may have: revoke one first."


class InviteExpired(ChatError):
    code = "invite_expired"
    status = 410
    default_message = "This invite link has expired or been used up."


class PayloadTooLarge(ChatError):
    code = "payload_too_large"
    status = 413
    default_message = "The request body is too large."


class UnsupportedMediaType(ChatError):
    code = "unsupported_media_type"
    status = 415
    default_message = "Send JSON with Content-Type: application/json."


class RateLimited(ChatError):
    code = "rate_limited"
    status = 429
    default_message = "Too many messages: slow down."

    def __init__(self, message: str | None = None, /, *, retry_after_ms: int, **details: Any) -> None:
        super().__init__(message, **details)
        self.retry_after_ms = retry_after_ms

    def as_dict(self) -> dict[str, Any]:
        body = super().as_dict()
        body["retryAfterMs"] = self.retry_after_ms
        body.setdefault("details", {})["retryAfterMs"] = self.retry_after_ms
        return body


class TooManyConnections(ChatError):
    code = "too_many_connections"
    status = 429
    default_message = "Too many open connections for this user."


class Unavailable(ChatError):
    code = "unavailable"
    status = 503
    default_message = "The service is temporarily unavailable; try again."


class ShuttingDown(Unavailable):
    default_message = "The server is restarting: reconnect and retry."


class InternalError(ChatError):
    code = "internal"
    status = 500
    default_message = "Something went wrong on our side."


def error_body(error: ChatError) -> dict[str, Any]:
    return {"error": error.as_dict()}
