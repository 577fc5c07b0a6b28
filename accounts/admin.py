"""Admin for users: email login, no username; deactivation goes through accounts.services, which ends the
user's sessions."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
from accounts.services import deactivate_user
from chatbackend.admin_tools import apply_service


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-id"]
    list_display = ["id", "email", "name", "last_seen", "created_at", "is_staff", "is_active"]
    list_filter = [
        "is_active",
        "is_staff",
        ("created_at", admin.DateFieldListFilter),
        ("last_seen", admin.DateFieldListFilter),
    ]
    search_fields = ["email", "name"]
    search_help_text = "Email or name."
    # is_active is switched off by the action below (which also ends the user's sessions), not by a checkbox.
    readonly_fields = ["last_seen", "created_at", "is_active"]
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "last_seen", "created_at")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "name", "password1", "password2")}),)
    actions = ["deactivate"]

    @admin.action(description="Deactivate selected users (signed out everywhere, cannot sign in)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        apply_service(
            self,
            request,
            queryset.filter(is_active=True),
            lambda user, moderator: deactivate_user(user=user),
            done="Users deactivated",
        )

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # deleting a user deletes their messages from every room's history: deactivate instead
