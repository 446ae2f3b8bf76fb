"""OpenAPI: the bearer token scheme and the error shape on every operation."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "tracker.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(_("A personal API token that staff issue in the admin (API tokens).")),
        }


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. validation_error, not_found, throttled.")
    message = serializers.CharField(help_text="Human-readable, in the request's language.")
    details = serializers.JSONField(help_text="Per-field messages for validation errors, else an empty object.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


ERROR_EXAMPLES = {
    "400": OpenApiExample(
        "Validation error",
        value={
            "error": {
                "code": "validation_error",
                "message": "The request is not valid.",
                "details": {"description": ["This field is required."]},
            }
        },
        response_only=True,
        status_codes=["400"],
    ),
    "404": OpenApiExample(
        "Not found",
        value={"error": {"code": "not_found", "message": "Not found.", "details": {}}},
        response_only=True,
        status_codes=["404"],
    ),
}

ERROR_DESCRIPTIONS = {
    "400": "Bad request (validation_error, parse_error, invalid_cursor, unknown_field).",
    "401": "Not authenticated or bad token.",
    "403": "Not allowed for this user (or missing CSRF token with a session).",
    "404": "Not found, or not visible to this user.",
    "405": "Method not allowed.",
    "413": "Request body too large.",
    "415": "Unsupported media type.",
    "429": "Too many requests; see the Retry-After header.",
}


class TrackerAutoSchema(AutoSchema):
    """Adds the shared error responses to every operation."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return responses
        for code, description in ERROR_DESCRIPTIONS.items():
            if code in responses:
                continue
            if self.method == "GET" and code in ("413", "415"):
                continue
            example = ERROR_EXAMPLES.get(code)
            response = OpenApiResponse(
                response=ErrorSerializer, description=description, examples=[example] if example else []
            )
            responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
