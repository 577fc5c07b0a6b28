"""Profiles: the caller renames themself; users who share a room see each other's public profile."""

from django.conf import settings

from accounts.models import User
from chatbackend.errors import UserNotFound
from chatbackend.events import member_channels, publish_on_commit
from chatbackend.validation import clean_text, is_id
from rooms.access import require_shares_room
from rooms.selectors import co_member_ids


def update_profile(*, user: User, name: str) -> User:
    """Rename the user; their co-members see `user_updated`."""
    user.name = clean_text(name, field="name", max_length=settings.CHAT["NAME_MAX_LENGTH"])
    user.save(update_fields=["name"])
    co_members = co_member_ids(user.id)
    if co_members:
        publish_on_commit("user_updated", {"userId": user.id, "name": user.name}, to=member_channels(co_members))
    return user


def public_profile(*, viewer: User, user_id: int) -> User:
    """Another user's profile, visible to users who share a room with them; otherwise UserNotFound (no hint that
    the account exists)."""
    user = User.objects.filter(id=user_id, is_active=True).first() if is_id(user_id) else None
    if user is None:
        raise UserNotFound()
    require_shares_room(viewer=viewer, user=user)
    return user
