"""Reports and exports (managers): the figures of the report page and background CSV/XLSX exports."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import django_filters
from django.conf import settings
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import filters, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from tracker.reports import selectors, services
from tracker.reports.filters import KNOWN, InvalidFilters, parse_filters
from tracker.reports.models import ExportFormat, ExportJob, ExportKind, Via

from .common import ID_REGEX, BaseViewSet, validated
from .pagination import IdCursorPagination
from .permissions import IsManager
from .serializers import StrictInputSerializer


class Gone(APIException):
    status_code = status.HTTP_410_GONE
    default_detail = _("This export is not available any more. Start a new one.")
    default_code = "gone"


FILTER_PARAMETERS = [
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="First day (inclusive)."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last day (inclusive)."),
    OpenApiParameter("service", OpenApiTypes.INT, description="Service id."),
    OpenApiParameter("region", OpenApiTypes.INT, description="Region id."),
    OpenApiParameter("incident", OpenApiTypes.INT, description="Incident id."),
]


def _parse(raw) -> object:
    try:
        return parse_filters(raw)
    except InvalidFilters as exc:
        raise ValidationError(exc.errors) from None


def _jsonable(value):
    if dataclasses.is_dataclass(value):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class ReportViewSet(BaseViewSet):
    permissions_by_action = {"figures": [IsManager]}

    @extend_schema(
        summary="Report figures (manager)",
        description="Incidents, affected customers, complaints, SLA breaches, response and resolution times, "
        "notification channels, time to notify, signatures and money (claimed, proposed, granted), "
        "for the filters given.",
        parameters=FILTER_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["get"])
    def figures(self, request):
        filters = _parse({key: request.query_params.get(key) for key in KNOWN})
        figures = selectors.report_figures(filters=filters)
        data = _jsonable(figures)
        data["filters"] = filters.as_json()
        return Response(data)


class ExportJobSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "kind",
            "format",
            "filters",
            "status",
            "row_count",
            "error",
            "created_at",
            "finished_at",
            "expires_at",
            "download_url",
        ]

    def get_download_url(self, job) -> str | None:
        if job.status != ExportJob.Status.DONE:
            return None
        return f"/api/exports/{job.pk}/download/"


class ExportInput(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=ExportKind.choices)
    format = serializers.ChoiceField(choices=ExportFormat.choices, default=ExportFormat.CSV)
    filters = serializers.DictField(
        required=False,
        default=dict,
        help_text="Any of date_from, date_to (YYYY-MM-DD), service, region, incident (ids).",
    )

    def validate_filters(self, value):
        unknown = sorted(str(k)[:40] for k in value if k not in KNOWN)
        if unknown:
            raise serializers.ValidationError(_("Unknown filters: %(names)s.") % {"names": ", ".join(unknown[:10])})
        _parse(value)
        return value


@extend_schema_view(
    list=extend_schema(summary="Your exports (manager)"),
    retrieve=extend_schema(summary="One of your exports (manager)"),
)
class ExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    serializer_class = ExportJobSerializer
    lookup_value_regex = ID_REGEX
    pagination_class = IdCursorPagination
    filter_backends = [
        django_filters.rest_framework.DjangoFilterBackend,
        filters.SearchFilter,
        filters.OrderingFilter,
    ]
    filterset_fields = ["status", "kind", "format"]
    search_fields = ["=kind"]
    ordering_fields = ["id"]
    ordering = ["-id"]
    permissions_by_action = {
        "list": [IsManager],
        "retrieve": [IsManager],
        "create": [IsManager],
        "download": [IsManager],
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ExportJob.objects.none()
        return ExportJob.objects.filter(requester=self.request.user)

    @extend_schema(
        summary="Start an export (manager)",
        description="The file is written in the background; poll the job, then download it.",
        request=ExportInput,
        responses={202: ExportJobSerializer},
        examples=[
            OpenApiExample(
                "Decisions of one incident as XLSX",
                value={"kind": ExportKind.values[0], "format": "xlsx", "filters": {"incident": 42}},
                request_only=True,
            )
        ],
    )
    def create(self, request):
        data = validated(ExportInput, request)
        job = services.export_start(
            user=request.user, kind=data["kind"], fmt=data["format"], filters=data["filters"], via=Via.API
        )
        job.refresh_from_db()
        return Response(ExportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Download a finished export (its requester)",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        job = self.get_object()
        if not services.can_export(request.user):
            services.export_refuse(user=request.user, kind=job.kind, fmt=job.format, filters=job.filters, via=Via.API)
        if job.status != ExportJob.Status.DONE or not job.expires_at or job.expires_at <= timezone.now():
            raise Gone()
        path = Path(settings.MEDIA_ROOT) / job.file_path
        if not job.file_path or not path.is_file():
            raise Gone()
        content_type = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if job.format == ExportFormat.XLSX
            else "text/csv; charset=utf-8"
        )
        response = FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=f"{job.kind}-{job.created_at:%Y%m%d-%H%M}.{job.format}",
            content_type=content_type,
        )
        response["Cache-Control"] = "no-store, private"
        return response
