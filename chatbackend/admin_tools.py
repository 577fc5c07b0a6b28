"""Pieces the model admins share: an id filter that never lists a table, and actions that call services."""

from collections.abc import Callable, Iterator
from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from chatbackend.errors import ChatError


class IdFilter(admin.SimpleListFilter):
    """Filter a list by the id of a related row, typed into a box.

    Django's related-field filter lists every room (or user) in the sidebar: a page that grows with the database.
    This one is a text box; subclasses set `title`, `parameter_name` and `field` (e.g. "room_id").
    """

    template = "admin/chat_id_filter.html"
    field = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return []

    def has_output(self) -> bool:
        return True

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = (self.value() or "").strip()
        if not value:
            return queryset
        return queryset.filter(**{self.field: int(value)}) if value.isdigit() else queryset.none()

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:  # type: ignore[override]
        # The other filters, the search and the ordering stay as they are (ChangeList.params has them, not the page).
        others = [(name, value) for name, value in changelist.params.items() if name != self.parameter_name]
        yield {
            "selected": self.value() is not None,
            "value": self.value() or "",
            "parameter_name": self.parameter_name,
            "hidden": others,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
        }


def id_filter(title: str, field: str) -> type[IdFilter]:
    """An IdFilter on `field` (a foreign key's `<name>_id`), with the query parameter of the same name."""
    attributes = {"title": title, "parameter_name": field, "field": field}
    return type(f"{field.title().replace('_', '')}Filter", (IdFilter,), attributes)


def apply_service(
    model_admin: admin.ModelAdmin,  # type: ignore[type-arg]
    request: HttpRequest,
    queryset: QuerySet[Any],
    service: Callable[[Any, Any], object],
    *,
    done: str,
) -> None:
    """Call `service(row, moderator)` for each selected row, the moderator being the admin user; report how many
    succeeded and each refusal (a ChatError) by row.

    Each call is its own transaction inside the service, so one refusal does not undo the others, and each
    success publishes its events once it is committed.
    """
    succeeded = 0
    for row in queryset.iterator():
        try:
            service(row, request.user)
        except ChatError as error:
            model_admin.message_user(request, f"{row}: {error.message} ({error.code})", level=messages.WARNING)
        else:
            succeeded += 1
    if succeeded:
        model_admin.message_user(request, f"{done}: {succeeded}.", level=messages.SUCCESS)


def foreign_keys(model: type[Model]) -> list[str]:
    """The names of a model's foreign keys (the fields an admin must not render as a <select> of every row)."""
    return [field.name for field in model._meta.get_fields() if field.many_to_one and field.concrete]
