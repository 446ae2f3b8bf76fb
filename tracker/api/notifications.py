"""Deliveries: staff read the outbox and retry failed rows."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import filters, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from tracker.customers.models import Channel
from tracker.notifications import services
from tracker.notifications.models import Delivery

from .common import ID_REGEX, BaseViewSet
from .pagination import IdCursorPagination
from .permissions import IsStaffMember
from .serializers import LabelField


class DeliverySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="job.kind", read_only=True)
    status_label = LabelField(source="status", choices=Delivery.Status.choices)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "job",
            "kind",
            "contact",
            "channel",
            "status",
            "status_label",
            "attempts",
            "next_attempt_at",
            "last_error",
            "reason",
            "provider_message_id",
            "maybe_sent",
            "created_at",
            "sent_at",
        ]


class RetryResultSerializer(serializers.Serializer):
    retried = serializers.IntegerField(help_text="1 when the delivery had failed and was queued again, else 0.")
    delivery = DeliverySerializer()


class DeliveryFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Delivery.Status.choices, distinct=False)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, distinct=False)
    job = django_filters.NumberFilter(field_name="job_id", min_value=1, max_value=2**62)
    contact = django_filters.NumberFilter(field_name="contact_id", min_value=1, max_value=2**62)
    kind = django_filters.CharFilter(field_name="job__kind", max_length=64)
    maybe_sent = django_filters.BooleanFilter()
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Delivery
        fields = ["status", "channel", "job", "contact", "kind", "maybe_sent", "created_after", "created_before"]


@extend_schema_view(
    list=extend_schema(summary="List deliveries (staff)"),
    retrieve=extend_schema(summary="One delivery (staff)"),
)
class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    serializer_class = DeliverySerializer
    lookup_value_regex = ID_REGEX
    pagination_class = IdCursorPagination
    filterset_class = DeliveryFilter
    filter_backends = [
        django_filters.rest_framework.DjangoFilterBackend,
        filters.SearchFilter,
        filters.OrderingFilter,
    ]
    search_fields = ["=provider_message_id", "last_error"]
    ordering_fields = ["id"]
    ordering = ["-id"]
    permissions_by_action = {"default": [IsStaffMember]}

    def get_queryset(self):
        return Delivery.objects.select_related("job")

    @extend_schema(summary="Retry a failed delivery (staff)", request=None, responses={200: RetryResultSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        delivery = self.get_object()
        count = services.deliveries_retry(delivery_ids=[delivery.pk])
        delivery.refresh_from_db()
        return Response({"retried": count, "delivery": DeliverySerializer(delivery).data}, status=status.HTTP_200_OK)
