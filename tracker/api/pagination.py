"""Cursor pagination: stable under inserts, constant cost on deep pages, invalid cursors answer 400."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

from .exceptions import InvalidCursor


class IdCursorPagination(CursorPagination):
    """Newest first by primary key (indexed); 25 rows by default, page_size up to 200."""

    ordering = "-id"
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except Exception as exc:  # DRF raises NotFound (404) for a bad cursor; it is bad input
            if request.query_params.get(self.cursor_query_param):
                raise InvalidCursor() from exc
            raise

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                value = int(raw)
            except ValueError:
                value = 0
            if not 1 <= value <= self.max_page_size:
                raise ValidationError(
                    {"page_size": [_("A whole number from 1 to %(max)d.") % {"max": self.max_page_size}]}
                )
        return super().get_page_size(request)
