"""A query stopped by DATABASE_STATEMENT_TIMEOUT answers 503 (try again), not 500 (our fault)."""

import logging

from django.db import OperationalError
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from tracker.api.exceptions import error_body

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


def _stopped_by_timeout(exception: Exception) -> bool:
    # Django wraps the driver's error; psycopg names a statement timeout QueryCanceled (SQLSTATE 57014).
    return isinstance(exception, OperationalError) and getattr(exception.__cause__, "sqlstate", None) == "57014"


class StatementTimeoutMiddleware:
    """A translated 503 page (the API's error shape under /api/) with Retry-After, and one log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not _stopped_by_timeout(exception):
            return None
        logger.warning("A query ran past the statement timeout: %s %s", request.method, request.path_info)
        message = _("This request took too long and was stopped. Try again, or narrow the search or filters.")
        if request.path_info.startswith("/api/"):
            response = JsonResponse(error_body(code="timeout", message=message), status=503)
        else:
            response = render(request, "tracker/timeout.html", {"message": message}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
