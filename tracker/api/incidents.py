"""Incidents: anyone reads declared ones; staff also see suspected ones, declare, publish, correct, resolve."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import filters, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from tracker.customers.models import Language, Region, Service
from tracker.incidents import services
from tracker.incidents.models import Correction, Incident, IncidentUpdate, RestorationSnapshot
from tracker.incidents.selectors import incident_detail_public

from .common import ID_REGEX, BaseViewSet, RegionSerializer, ServiceSerializer, SlugListField, validated
from .pagination import IdCursorPagination
from .permissions import AnyoneAllowed, IsStaffMember
from .roles import is_staff_member
from .serializers import LabelField, StrictInputSerializer

# --- Output ---------------------------------------------------------------------


class IncidentUpdateSerializer(serializers.ModelSerializer):
    status_label = LabelField(source="status", choices=Incident.Status.choices)

    class Meta:
        model = IncidentUpdate
        fields = ["id", "status", "status_label", "message", "language", "translations", "published_at"]


class CorrectionSerializer(serializers.ModelSerializer):
    field_label = LabelField(source="field", choices=Correction.Field.choices)

    class Meta:
        model = Correction
        fields = ["id", "field", "field_label", "previous_value", "new_value", "update", "corrected_at"]


class RestorationSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = RestorationSnapshot
        fields = ["percent", "region", "recorded_at"]


class IncidentSerializer(serializers.ModelSerializer):
    status_label = LabelField(source="status", choices=Incident.Status.choices)
    severity_label = LabelField(source="severity", choices=Incident.Severity.choices)
    services = ServiceSerializer(many=True, read_only=True)
    regions = RegionSerializer(many=True, read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "title",
            "status",
            "status_label",
            "severity",
            "severity_label",
            "services",
            "regions",
            "started_at",
            "detected_at",
            "declared_at",
            "resolved_at",
            "restored_percent",
            "next_update_due_at",
        ]


class IncidentDetailSerializer(IncidentSerializer):
    updates = IncidentUpdateSerializer(many=True, read_only=True)
    corrections = CorrectionSerializer(many=True, read_only=True)
    restoration = RestorationSerializer(many=True, read_only=True, source="restoration_snapshots")

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "updates", "corrections", "restoration"]


# --- Input ------------------------------------------------------------------------


class BoundedDictField(serializers.DictField):
    def to_internal_value(self, data):
        if isinstance(data, dict) and len(data) > 10:
            raise serializers.ValidationError(_("At most 10 entries."))
        return super().to_internal_value(data)


LANGUAGE_FIELD = {"choices": Language.choices}
TRANSLATIONS_HELP = 'Staff translations by language code, e.g. {"fr": "…", "de": "…"}.'


def _translations_field():
    return BoundedDictField(
        child=serializers.CharField(max_length=5000, allow_blank=True),
        required=False,
        help_text=TRANSLATIONS_HELP,
    )


class IncidentDeclareInput(StrictInputSerializer):
    title = serializers.CharField(max_length=200)
    services = SlugListField(model=Service, lookup="slug", help_text="Service codes (slugs).")
    regions = SlugListField(model=Region, lookup="code", help_text="Region codes, e.g. CH-VD.")
    started_at = serializers.DateTimeField()
    detected_at = serializers.DateTimeField(required=False, allow_null=True)
    message = serializers.CharField(max_length=5000)
    language = serializers.ChoiceField(**LANGUAGE_FIELD)
    translations = _translations_field()
    status = serializers.ChoiceField(
        choices=[Incident.Status.INVESTIGATING, Incident.Status.IDENTIFIED, Incident.Status.MONITORING],
        default=Incident.Status.INVESTIGATING,
    )
    severity = serializers.ChoiceField(choices=Incident.Severity.choices, default=Incident.Severity.MAJOR)
    next_update_due_at = serializers.DateTimeField(required=False, allow_null=True)
    notify = serializers.BooleanField(default=True)


class IncidentUpdateInput(StrictInputSerializer):
    status = serializers.ChoiceField(choices=Incident.Status.choices)
    message = serializers.CharField(max_length=5000)
    language = serializers.ChoiceField(**LANGUAGE_FIELD)
    translations = _translations_field()
    restored_percent = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True)
    next_update_due_at = serializers.DateTimeField(required=False, allow_null=True)
    resolved_at = serializers.DateTimeField(required=False, allow_null=True)
    notify = serializers.BooleanField(default=True)


class IncidentResolveInput(StrictInputSerializer):
    resolved_at = serializers.DateTimeField()
    message = serializers.CharField(max_length=5000)
    language = serializers.ChoiceField(**LANGUAGE_FIELD)
    translations = _translations_field()
    notify = serializers.BooleanField(default=True)


class IncidentCorrectInput(StrictInputSerializer):
    title = serializers.CharField(max_length=200, required=False)
    services = SlugListField(model=Service, lookup="slug", required=False)
    regions = SlugListField(model=Region, lookup="code", required=False)
    severity = serializers.ChoiceField(choices=Incident.Severity.choices, required=False)
    started_at = serializers.DateTimeField(required=False)
    updates = serializers.DictField(
        child=serializers.CharField(max_length=5000),
        required=False,
        help_text="New texts of published updates, by update id.",
    )
    notify = serializers.BooleanField()

    def validate_updates(self, value):
        if len(value) > 50:
            raise serializers.ValidationError(_("At most 50 updates can be corrected at once."))
        cleaned = {}
        for key, text in value.items():
            if not str(key).isdigit() or len(str(key)) > 18:
                raise serializers.ValidationError(_("Update ids are whole numbers."))
            cleaned[int(key)] = text
        return cleaned


# --- Filters ------------------------------------------------------------------------


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Incident.Status.choices, distinct=False)
    severity = django_filters.MultipleChoiceFilter(choices=Incident.Severity.choices, distinct=False)
    service = django_filters.CharFilter(field_name="services__slug", max_length=50, distinct=True)
    region = django_filters.CharFilter(field_name="regions__code", max_length=10, distinct=True)
    open = django_filters.BooleanFilter(method="filter_open", label="open")
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Incident
        fields = ["status", "severity", "service", "region", "open", "started_after", "started_before"]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        resolved = Q(status=Incident.Status.RESOLVED)
        return queryset.exclude(resolved) if value else queryset.filter(resolved)


# --- Views ----------------------------------------------------------------------------


DECLARE_EXAMPLE = OpenApiExample(
    "Declare a phone outage",
    value={
        "title": "Business phone down in Vaud",
        "services": ["business-phone"],
        "regions": ["CH-VD"],
        "started_at": "2026-03-02T08:10:00+01:00",
        "message": "Calls to and from business lines fail. Engineers are on it.",
        "language": "en",
        "translations": {"fr": "Les appels des lignes professionnelles échouent."},
        "severity": "critical",
        "next_update_due_at": "2026-03-02T10:00:00+01:00",
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(summary="List incidents", description="Declared incidents; staff also see suspected ones."),
    retrieve=extend_schema(summary="One incident with its timeline, corrections and restoration history"),
)
class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    lookup_value_regex = ID_REGEX
    pagination_class = IdCursorPagination
    filterset_class = IncidentFilter
    filter_backends = [
        django_filters.rest_framework.DjangoFilterBackend,
        filters.SearchFilter,
        filters.OrderingFilter,
    ]
    search_fields = ["title"]
    ordering_fields = ["id", "started_at"]
    ordering = ["-id"]
    permissions_by_action = {
        "list": [AnyoneAllowed],
        "retrieve": [AnyoneAllowed],
        "create": [IsStaffMember],
        "updates": [IsStaffMember],
        "corrections": [IsStaffMember],
        "resolve": [IsStaffMember],
    }

    def get_queryset(self):
        qs = Incident.objects.all()
        if not is_staff_member(self.request.user):
            qs = qs.filter(declared_at__isnull=False)
        return qs.prefetch_related(
            Prefetch("services", queryset=Service.objects.order_by("name")),
            Prefetch("regions", queryset=Region.objects.order_by("country", "name")),
        )

    def get_serializer_class(self):
        return IncidentDetailSerializer if self.action == "retrieve" else IncidentSerializer

    def get_object(self):
        incident_id = int(self.kwargs["pk"])
        try:
            if is_staff_member(self.request.user):
                incident = incident_detail_staff(incident_id=incident_id)
            else:
                incident = incident_detail_public(incident_id=incident_id)
        except Incident.DoesNotExist:
            from rest_framework.exceptions import NotFound

            raise NotFound() from None
        return incident

    def _locked_target(self) -> Incident:
        from django.shortcuts import get_object_or_404

        return get_object_or_404(Incident, pk=int(self.kwargs["pk"]))

    @extend_schema(
        summary="Declare an incident (staff)",
        request=IncidentDeclareInput,
        responses={201: IncidentDetailSerializer},
        examples=[DECLARE_EXAMPLE],
    )
    def create(self, request):
        data = validated(IncidentDeclareInput, request)
        incident = services.incident_declare(author=request.user, **data)
        return Response(self._detail(incident.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Publish an update (staff)",
        request=IncidentUpdateInput,
        responses={201: IncidentUpdateSerializer},
        examples=[
            OpenApiExample(
                "Partial restoration",
                value={
                    "status": "monitoring",
                    "message": "Service is back for most customers.",
                    "language": "en",
                    "restored_percent": 80,
                },
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def updates(self, request, pk=None):
        incident = self._locked_target()
        data = validated(IncidentUpdateInput, request)
        update = services.incident_update_publish(incident=incident, author=request.user, **data)
        return Response(IncidentUpdateSerializer(update).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Correct in the open (staff)",
        description="Each change is recorded as a correction that shows the previous value.",
        request=IncidentCorrectInput,
        responses={201: CorrectionSerializer(many=True)},
        examples=[
            OpenApiExample(
                "Wrong product name",
                value={"title": "Fixed e-mail down in Paris", "notify": True},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def corrections(self, request, pk=None):
        incident = self._locked_target()
        data = validated(IncidentCorrectInput, request)
        notify = data.pop("notify")
        corrections = services.incident_correct(incident=incident, changes=data, notify=notify, author=request.user)
        return Response(CorrectionSerializer(corrections, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Resolve (staff)",
        request=IncidentResolveInput,
        responses={201: IncidentUpdateSerializer},
        examples=[
            OpenApiExample(
                "Resolved",
                value={
                    "resolved_at": "2026-03-02T12:40:00+01:00",
                    "message": "All lines work again.",
                    "language": "en",
                },
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        incident = self._locked_target()
        data = validated(IncidentResolveInput, request)
        update = services.incident_resolve(incident=incident, author=request.user, **data)
        return Response(IncidentUpdateSerializer(update).data, status=status.HTTP_201_CREATED)

    def _detail(self, incident_id: int) -> dict:
        return IncidentDetailSerializer(incident_detail_staff(incident_id=incident_id)).data


def incident_detail_staff(*, incident_id: int) -> Incident:
    """Like the public detail, suspected incidents included (same prefetches)."""
    return Incident.objects.prefetch_related(
        Prefetch("services", queryset=Service.objects.order_by("name")),
        Prefetch("regions", queryset=Region.objects.order_by("country", "name")),
        Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-published_at", "-id")),
        Prefetch("corrections", queryset=Correction.objects.order_by("-corrected_at", "-id")),
        Prefetch(
            "restoration_snapshots",
            queryset=RestorationSnapshot.objects.select_related("region").order_by("recorded_at", "id"),
        ),
    ).get(pk=incident_id)
