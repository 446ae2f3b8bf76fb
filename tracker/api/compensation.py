"""Compensation decisions: staff offer and approve (maker and checker), the business answers, billing export."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import filters, mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from petitions import decisions, selectors
from petitions.models import CompensationDecision
from tracker.customers.models import Business, Currency
from tracker.incidents.models import Incident

from .common import ID_REGEX, BaseViewSet, RelatedCodeFilter, validated
from .pagination import IdCursorPagination
from .permissions import IsContactOrStaff, IsManager
from .roles import CONTACT, contact_of, role_of
from .serializers import LabelField, StrictInputSerializer


class DecisionSerializer(serializers.ModelSerializer):
    status_label = LabelField(source="status", choices=CompensationDecision.Status.choices)
    business = serializers.SlugRelatedField(slug_field="customer_number", read_only=True)

    class Meta:
        model = CompensationDecision
        fields = [
            "id",
            "incident",
            "business",
            "currency",
            "status",
            "status_label",
            "proposed_amount",
            "offered_amount",
            "counter_amount",
            "claimed_amount",
            "flagged",
            "lines",
            "business_comment",
            "offered_at",
            "answered_at",
            "exported_at",
        ]


class CustomerDecisionSerializer(DecisionSerializer):
    """What the business sees: its offer and its answer, not the internal proposal."""

    class Meta(DecisionSerializer.Meta):
        fields = [
            "id",
            "incident",
            "business",
            "currency",
            "status",
            "status_label",
            "offered_amount",
            "counter_amount",
            "lines",
            "business_comment",
            "offered_at",
            "answered_at",
        ]


class OfferInput(StrictInputSerializer):
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        allow_null=True,
        help_text="Defaults to the proposed amount.",
    )


class AnswerInput(StrictInputSerializer):
    action = serializers.ChoiceField(choices=["accept", "counter", "reject"])
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        allow_null=True,
        help_text="The amount asked for (counter only).",
    )
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class DecisionFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=CompensationDecision.Status.choices, distinct=False)
    incident = django_filters.NumberFilter(field_name="incident_id", min_value=1, max_value=2**62)
    business = RelatedCodeFilter(field_name="business_id", model=Business, code_field="customer_number", max_length=20)
    flagged = django_filters.BooleanFilter()
    currency = django_filters.ChoiceFilter(choices=Currency.choices)

    class Meta:
        model = CompensationDecision
        fields = ["status", "incident", "business", "flagged", "currency"]


class ProposalsInput(StrictInputSerializer):
    incident = serializers.IntegerField(min_value=1, max_value=2**62)


class ProposalsOutput(serializers.Serializer):
    proposals = serializers.IntegerField(help_text="Decisions written or rewritten.")


@extend_schema_view(
    list=extend_schema(
        summary="List compensation decisions",
        description="Staff see every decision; a business contact sees its own offers and answers.",
    ),
    retrieve=extend_schema(summary="One compensation decision"),
)
class DecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    lookup_value_regex = ID_REGEX
    pagination_class = IdCursorPagination
    filterset_class = DecisionFilter
    filter_backends = [
        django_filters.rest_framework.DjangoFilterBackend,
        filters.SearchFilter,
        filters.OrderingFilter,
    ]
    search_fields = ["=business__customer_number", "business__company_name"]
    ordering_fields = ["id"]
    ordering = ["-id"]
    permissions_by_action = {
        "list": [IsContactOrStaff],
        "retrieve": [IsContactOrStaff],
        "offer": [IsManager],
        "approve": [IsManager],
        "answer": [IsContactOrStaff],
        "export": [IsManager],
        "propose": [IsManager],
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CompensationDecision.objects.none()
        if role_of(self.request.user) == CONTACT:
            return selectors.decision_list_for_business(
                business_id=contact_of(self.request.user).business_id
            ).select_related("business")
        return CompensationDecision.objects.select_related("business")

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False):
            return DecisionSerializer
        return CustomerDecisionSerializer if role_of(self.request.user) == CONTACT else DecisionSerializer

    def _respond(self, decision):
        decision = self.get_queryset().filter(pk=decision.pk).first() or decision
        return Response(self.get_serializer_class()(decision).data)

    @extend_schema(summary="Offer (manager)", request=OfferInput, responses={200: DecisionSerializer})
    @action(detail=True, methods=["post"])
    def offer(self, request, pk=None):
        decision = self.get_object()
        data = validated(OfferInput, request)
        return self._respond(decisions.decision_offer(decision=decision, by=request.user, amount=data.get("amount")))

    @extend_schema(
        summary="Approve an offer over the limit (another manager)", request=None, responses={200: DecisionSerializer}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        decision = self.get_object()
        return self._respond(decisions.decision_approve(decision=decision, by=request.user))

    @extend_schema(
        summary="Accept, counter or reject an offer (the business's contact)",
        request=AnswerInput,
        responses={200: CustomerDecisionSerializer},
        examples=[OpenApiExample("Counter", value={"action": "counter", "amount": "300.00"}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        decision = self.get_object()
        if role_of(request.user) != CONTACT:
            raise PermissionDenied(_("Only the business's contact answers an offer."))
        data = validated(AnswerInput, request)
        return self._respond(
            decisions.decision_answer(
                decision=decision,
                user=request.user,
                action=data["action"],
                amount=data.get("amount"),
                comment=data["comment"],
            )
        )

    @extend_schema(
        summary="Compute the proposals for an incident (manager)",
        description="Applies the incident's compensation rule to every affected subscription; decisions still at "
        "'proposed' are rewritten, those already offered are kept.",
        request=ProposalsInput,
        responses={200: ProposalsOutput},
        examples=[OpenApiExample("Incident", value={"incident": 42}, request_only=True)],
    )
    @action(detail=False, methods=["post"])
    def propose(self, request):
        data = validated(ProposalsInput, request)
        incident = Incident.objects.filter(pk=data["incident"]).first()
        if incident is None:
            raise NotFound(_("No such incident."))
        count = decisions.compensation_propose(incident=incident, by=request.user)
        return Response({"proposals": count})

    @extend_schema(
        summary="Export accepted credits for billing (manager)",
        description="CSV of the accepted decisions among those the query's filters select; they are marked "
        "exported. Filters as for the list (e.g. ?incident=42).",
        request=None,
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    @action(detail=False, methods=["post"])
    def export(self, request):
        content = decisions.decisions_export(queryset=self.filter_queryset(self.get_queryset()).order_by())
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="compensation-{stamp}.csv"'
        response["Cache-Control"] = "no-store, private"
        return response
