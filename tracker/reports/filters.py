"""The report filters (django-filter): period, service, region and incident, validated once for every entry point."""

from __future__ import annotations

from collections.abc import Mapping

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from tracker.customers.models import Region, Service
from tracker.incidents.models import Incident

from .selectors import ReportFilters

# Longest period a report may cover, in days (bounds the work of one request).
MAX_PERIOD_DAYS = 3660


class ReportFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The start of the period must not be after its end."), code="order")
            if (end - start).days > MAX_PERIOD_DAYS:
                raise forms.ValidationError(
                    _("A period may cover at most %(days)s days.") % {"days": MAX_PERIOD_DAYS}, code="too_long"
                )
        return data


class ReportFilterSet(django_filters.FilterSet):
    """Filters of the report page, the exports, the command and the API."""

    date_from = django_filters.DateFilter(
        label=_("From"), method="noop", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(label=_("To"), method="noop", widget=forms.DateInput(attrs={"type": "date"}))
    service = django_filters.ModelChoiceFilter(
        label=_("Service"), queryset=Service.objects.all(), method="noop", empty_label=_("All services")
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), queryset=Region.objects.all(), method="noop", empty_label=_("All regions")
    )
    incident = django_filters.ModelChoiceFilter(
        label=_("Incident"), queryset=Incident.objects.order_by("-started_at"), method="noop", empty_label=_("All")
    )

    class Meta:
        model = Incident
        fields: list[str] = []
        form = ReportFilterForm

    def noop(self, queryset, name, value):
        # The selectors apply the filters to each kind of row; this FilterSet validates them.
        return queryset


class InvalidFilters(ValueError):
    """Filters that did not validate; .errors maps each field to its translated messages."""

    def __init__(self, errors: Mapping[str, list[str]]):
        super().__init__("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()))
        self.errors = dict(errors)


KNOWN = ("date_from", "date_to", "service", "region", "incident")


def filterset_for(data: Mapping | None) -> ReportFilterSet:
    return ReportFilterSet(data=data or None, queryset=Incident.objects.none())


def parse_filters(data: Mapping | None) -> ReportFilters:
    """Validated ReportFilters from query parameters or JSON; raises InvalidFilters with messages."""
    data = data or {}
    clean = {key: data[key] for key in KNOWN if data.get(key) not in (None, "")}
    for key, value in list(clean.items()):
        if not isinstance(value, str | int) or len(str(value)) > 40:
            raise InvalidFilters({key: [str(_("This value is not valid."))]})
        clean[key] = str(value)
    if not clean:
        return ReportFilters()
    filterset = filterset_for(clean)
    if not filterset.is_valid():
        errors = {field: [str(message) for message in messages] for field, messages in filterset.errors.items()}
        raise InvalidFilters(errors)
    cleaned = filterset.form.cleaned_data
    return ReportFilters(
        date_from=cleaned.get("date_from"),
        date_to=cleaned.get("date_to"),
        service_id=cleaned["service"].pk if cleaned.get("service") else None,
        region_id=cleaned["region"].pk if cleaned.get("region") else None,
        incident_id=cleaned["incident"].pk if cleaned.get("incident") else None,
    )
