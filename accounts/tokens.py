"""The project's JWTs: simplejwt's tokens, with claims of the wrong type refused and the account's token version.

A token is only as good as its account's `token_version` (claim `ver`): deactivation, a new password, deletion
and logout raise the version, and every token issued before stops working at its next use. Checking it costs no
query: the handshake, REST authentication and refresh read the user's row anyway.
"""

from typing import Any

from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

VERSION_CLAIM = "ver"

# Claims simplejwt does arithmetic or lookups on: a string `exp` (validly signed) would be a TypeError, a 500.
_NUMERIC_CLAIMS = ("exp", "iat", "nbf")


def _check_claim_types(payload: dict[str, Any]) -> None:
    for claim in _NUMERIC_CLAIMS:
        value = payload.get(claim)
        if claim in payload and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise TokenError(f"Claim {claim} is not a number.")
    if "exp" not in payload:
        raise TokenError("Token has no expiry.")
    user_id = payload.get("user_id")
    if isinstance(user_id, bool) or not isinstance(user_id, (int, str)):
        raise TokenError("Claim user_id is not an id.")
    version = payload.get(VERSION_CLAIM, 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise TokenError(f"Claim {VERSION_CLAIM} is not an integer.")
    for claim in ("token_type", "jti"):
        if claim in payload and not isinstance(payload[claim], str):
            raise TokenError(f"Claim {claim} is not a string.")


class ChatAccessToken(AccessToken):
    def verify(self) -> None:
        _check_claim_types(self.payload)
        super().verify()


class ChatRefreshToken(RefreshToken):
    access_token_class = ChatAccessToken

    def verify(self) -> None:
        _check_claim_types(self.payload)
        super().verify()


def token_version(token: Any) -> int:
    """The account version a verified token was issued under (0 for tokens from before versions existed)."""
    return int(token.payload.get(VERSION_CLAIM, 0))


def refresh_token_for(user: Any) -> ChatRefreshToken:
    """A refresh token of the user's current version; its access token carries the same claims."""
    refresh = ChatRefreshToken.for_user(user)
    assert isinstance(refresh, ChatRefreshToken)
    refresh[VERSION_CLAIM] = user.token_version
    return refresh
