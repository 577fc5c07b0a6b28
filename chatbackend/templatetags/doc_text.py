"""Template filters of the docs pages: the reference's plain text with `code spans` shown as code."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_CODE_SPAN = re.compile(r"`([^`]+)`")


@register.filter
def inline_code(text: str) -> SafeString:
    """Escape the text, then turn each `span` between backticks into <code>span</code> (no other markup)."""
    return mark_safe(_CODE_SPAN.sub(r"<code>\1</code>", escape(text)))
