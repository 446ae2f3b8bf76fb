"""Shared serializer pieces."""

import copy

from django.db import models
from django.utils.translation import get_language
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
        # Translated once per value: a field serves one request (serializers copy their fields), in one language.
        self.translated = {}
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        try:
            return self.translated[value]
        except KeyError:
            label = self.translated[value] = str(self.labels.get(value, value))
            return label


class DateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField, looking the current time zone up once per field (per request), not once per value."""

    def default_timezone(self):
        try:
            return self._default_timezone
        except AttributeError:
            self._default_timezone = super().default_timezone()
            return self._default_timezone


class ListRowsSerializer(serializers.ModelSerializer):
    """A ModelSerializer for long lists: model date-times use the DateTimeField above."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
    }
    _templates: dict = {}

    def get_fields(self):
        # Built from the model once per class and language (DRF gives a field a label only where the translated
        # name differs from the field's), then copied per serializer as DRF copies the declared fields.
        key = (type(self), get_language())
        if key not in self._templates:
            self._templates[key] = super().get_fields()
        return copy.deepcopy(self._templates[key])
