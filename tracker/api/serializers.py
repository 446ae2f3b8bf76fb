"""Shared serializer pieces."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class StrictInputSerializer(serializers.Serializer):
    """An input serializer that rejects keys it does not know (a typo is an error, not a no-op)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": [_("Send a JSON object.")]}, code="invalid")
        known = {name for name, field in self.fields.items() if not field.read_only}
        unknown = sorted(str(key)[:50] for key in data if key not in known)
        if unknown:
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        serializers.ErrorDetail(
                            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown[:20])},
                            code="unknown_field",
                        )
                    ]
                }
            )
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.STR)
class LabelField(serializers.Field):
    """The translated label of a choice field (``status_label`` beside ``status``).

    A dictionary lookup: DRF would inspect the signature of get_FOO_display() for every row.
    """

    def __init__(self, *, choices, **kwargs):
        self.labels = dict(choices)
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return str(self.labels.get(value, value))
