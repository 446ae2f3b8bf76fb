"""One error shape for the whole API: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "payload_too_large"


class InvalidCursor(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("The cursor is not valid. Start again from the first page.")
    default_code = "invalid_cursor"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state.")
    default_code = "conflict"


# DRF's default codes renamed to the API's vocabulary.
CODES = {
    "invalid": "validation_error",
    "error": "server_error",
}
MESSAGES = {
    "validation_error": _("The request is not valid."),
}


def error_body(*, code: str, message, details=None) -> dict:
    return {"error": {"code": code, "message": str(message), "details": details or {}}}


def _django_validation_details(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def _flatten_first(detail) -> str | None:
    if isinstance(detail, dict):
        for value in detail.values():
            found = _flatten_first(value)
            if found:
                return found
        return None
    if isinstance(detail, list):
        for value in detail:
            found = _flatten_first(value)
            if found:
                return found
        return None
    return str(detail)


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every error leaves in the same shape with a machine-readable code."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_validation_details(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(_("The request could not be read."))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django logs it and answers 500 (in the shape, see ApiErrorMiddleware)

    if isinstance(exc, exceptions.ValidationError):
        code = "validation_error"
        detail = exc.detail
        if isinstance(detail, list):
            details = {"non_field_errors": detail}
        elif isinstance(detail, dict):
            details = detail
        else:
            details = {"non_field_errors": [detail]}
        codes = exc.get_codes()
        if isinstance(codes, dict) and list(codes.get("non_field_errors", [])) == ["unknown_field"]:
            code = "unknown_field"
        message = MESSAGES["validation_error"]
        first = _flatten_first(details)
        if first:
            message = first
        data = error_body(code=code, message=message, details=details)
    else:
        detail = getattr(exc, "detail", None)
        code = getattr(exc, "default_code", "error")
        if hasattr(detail, "code") and detail.code:
            code = detail.code
        code = CODES.get(code, code)
        message = detail if detail is not None else exc
        details = {}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            details = {"retry_after_seconds": int(exc.wait) + 1}
        data = error_body(code=code, message=_flatten_first(message) or "", details=details)
    response.data = data
    return response


class ApiErrorMiddleware:
    """For /api/ only: too-large bodies (413), unknown URLs (404) and crashes (500) in the error shape.

    DRF's parsers read the request stream themselves, bypassing Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE check, so the declared length is checked here;
    the JSON parser also stops reading past the limit (see parsers.py).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        limit = _body_limit(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return JsonResponse(
                error_body(code="payload_too_large", message=_("The request body is too large.")),
                status=413,
            )
        response = self.get_response(request)
        if response.status_code >= 400 and not getattr(response, "streaming", False):
            response = _normalized(response)
        return response

    def process_exception(self, request, exception):
        if not request.path_info.startswith(API_PREFIX):
            return None
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse(
                error_body(code="payload_too_large", message=_("The request body is too large.")), status=413
            )
        if isinstance(exception, Http404):
            return JsonResponse(error_body(code="not_found", message=_("Not found.")), status=404)
        if settings.DEBUG:
            return None
        logger.exception("API error on %s %s", request.method, request.path, exc_info=exception)
        return JsonResponse(
            error_body(code="server_error", message=_("Something went wrong on our side. Try again later.")),
            status=500,
        )


# Evidence uploads carry files up to complaints.uploads' limits; each file is also cut off while it is read.
EVIDENCE_UPLOAD_PATH = re.compile(r"^/api/complaints/([A-Za-z0-9-]{1,20}/files/)?$")


def _body_limit(request) -> int | None:
    multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
    if request.method == "POST" and multipart and EVIDENCE_UPLOAD_PATH.match(request.path_info):
        from complaints.uploads import MAX_FILE_BYTES, MAX_FILES

        return MAX_FILES * MAX_FILE_BYTES + 1024 * 1024
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


def _normalized(response):
    """Errors that other middleware answered under /api/ (a second factor, a lockout) in the error shape."""
    import json

    content_type = response.get("Content-Type", "")
    if content_type.startswith("application/json"):
        try:
            body = json.loads(response.content or b"{}")
        except ValueError:
            body = None
        if isinstance(body, dict) and "error" in body:
            return response
        message = body.get("detail") if isinstance(body, dict) else None
    else:
        message = None
    code = STATUS_CODES.get(response.status_code, "server_error" if response.status_code >= 500 else "error")
    shaped = JsonResponse(error_body(code=code, message=message or response.reason_phrase), status=response.status_code)
    for header in ("Retry-After", "WWW-Authenticate", "Allow", "Vary", "Cache-Control"):
        if header in response:
            shaped[header] = response[header]
    return shaped
