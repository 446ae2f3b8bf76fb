"""Pieces shared by the domain modules: base viewset, safe lookups, small serializers."""

from __future__ import annotations

import django_filters
from django.db.models import Subquery
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from tracker.customers.models import Region, Service

from .throttling import BatchedThrottlesMixin

# Primary keys in URLs: at most 18 digits, so a huge number is a 404, never a database overflow.
ID_REGEX = r"[0-9]{1,18}"


class BaseViewSet(BatchedThrottlesMixin, viewsets.GenericViewSet):
    """Declares, per action, which permission classes apply (``permissions_by_action``); one cache round trip
    each to read and to write the throttles."""

    permissions_by_action: dict[str, list] = {}

    def get_permissions(self):
        if self.action in (None, "metadata"):
            # A method this endpoint does not have (OPTIONS included: no metadata is served): 405 for everyone.
            from .permissions import AnyoneAllowed

            return [AnyoneAllowed()]
        classes = self.permissions_by_action.get(self.action) or self.permissions_by_action.get("default")
        if classes is None:
            raise RuntimeError(f"{type(self).__name__} states no permissions for {self.action!r}.")
        return [cls() for cls in classes]


class ServiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["slug", "name"]


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name", "country"]


class SlugListField(serializers.ListField):
    """A list of service slugs or region codes, turned into objects (unknown ones are an error)."""

    def __init__(self, *, model, lookup: str, **kwargs):
        self.model = model
        self.lookup = lookup
        kwargs.setdefault("child", serializers.CharField(max_length=50))
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        values = list(dict.fromkeys(super().to_internal_value(data)))
        found = {getattr(o, self.lookup): o for o in self.model.objects.filter(**{f"{self.lookup}__in": values})}
        missing = [v for v in values if v not in found]
        if missing:
            raise serializers.ValidationError(
                _("Unknown: %(values)s.") % {"values": ", ".join(v[:50] for v in missing[:10])}
            )
        return [found[v] for v in values]


def validated(serializer_class, request, **context) -> dict:
    """Run an input serializer on the request body; a 400 in the error shape when invalid."""
    serializer = serializer_class(data=request.data, context={"request": request, **context})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet with its form class built once per class and language, not for every request.

    Only for filter sets whose form fields do not depend on the request (no ModelChoiceFilter querysets);
    each form still copies its fields, as Django forms do.
    """

    _form_classes: dict = {}

    def get_form_class(self):
        key = (type(self), get_language())
        if key not in self._form_classes:
            self._form_classes[key] = super().get_form_class()
        return self._form_classes[key]


class RelatedCodeFilter(django_filters.CharFilter):
    """Filter a foreign key by the related row's code (a service slug, a customer number...).

    Written as ``fk_id = (SELECT id ... LIMIT 1)``: PostgreSQL runs the subquery first and then
    walks the foreign key's index, instead of joining the related table for every candidate row.
    """

    def __init__(self, *, model, code_field: str, **kwargs):
        self.related_model = model  # not "model": FilterSet sets that to the filtered model
        self.code_field = code_field
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if value in ([], (), {}, "", None):
            return qs
        related = self.related_model._default_manager.filter(**{self.code_field: value}).values("pk")[:1]
        return qs.filter(**{self.field_name: Subquery(related)})
