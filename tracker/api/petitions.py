"""Petitions: anyone reads and signs, confirms by the e-mailed token; staff read signatures and decisions."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import filters, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from petitions import decisions, selectors, services, tokens
from petitions.models import CompensationDecision, Petition, Signature
from tracker.accounts.ratelimit import client_ip
from tracker.customers.models import Business, Currency, Language

from .common import ID_REGEX, BaseViewSet, RelatedCodeFilter, validated
from .pagination import IdCursorPagination
from .permissions import AnyoneAllowed, IsContactOrStaff, IsManager, IsStaffMember
from .roles import CONTACT, contact_of, role_of
from .serializers import LabelField, StrictInputSerializer
from .throttling import AnonThrottle, IpThrottle, SignThrottle, UserThrottle

SLUG_REGEX = r"[-a-zA-Z0-9_]{1,80}"

# --- Petitions ---------------------------------------------------------------------------


class ThresholdSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    label = serializers.CharField()
    answer_within_days = serializers.IntegerField(allow_null=True)
    reached_at = serializers.DateTimeField(allow_null=True)


class TallySerializer(serializers.Serializer):
    confirmed = serializers.IntegerField()
    verified = serializers.IntegerField()
    losses = serializers.DictField(child=serializers.CharField(), help_text="Declared losses per currency.")
    counted_at = serializers.DateTimeField(allow_null=True)


class PetitionSerializer(serializers.ModelSerializer):
    status_label = LabelField(source="status", choices=Petition.Status.choices)
    incidents = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    tally = serializers.SerializerMethodField()

    class Meta:
        model = Petition
        fields = ["slug", "title", "demand", "status", "status_label", "incidents", "opens_at", "closes_at", "tally"]

    @extend_schema_field(TallySerializer)
    def get_tally(self, petition) -> dict:
        return selectors.tally_as_dict(getattr(petition, "tally", None))


class PetitionDetailSerializer(PetitionSerializer):
    thresholds = ThresholdSerializer(many=True, read_only=True)

    class Meta(PetitionSerializer.Meta):
        fields = [*PetitionSerializer.Meta.fields, "text", "thresholds", "answer", "answered_at"]


class SignInput(StrictInputSerializer):
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    loss_amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("9999999999.99"),
        default=Decimal("0"),
    )
    loss_currency = serializers.ChoiceField(choices=Currency.choices, default=Currency.EUR)
    hours_without_service = serializers.IntegerField(min_value=0, max_value=24 * 366, default=0)
    lines_affected = serializers.IntegerField(min_value=0, max_value=100000, default=0)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    customer_number = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="Your customer number: a business hit by the outage makes a verified claim.",
    )
    wants_updates = serializers.BooleanField(default=False)
    language = serializers.ChoiceField(choices=Language.choices, default=Language.EN)


class SignResultSerializer(serializers.Serializer):
    result = serializers.CharField(help_text="Always 'received': the answer does not reveal who signed before.")
    message = serializers.CharField()


class ConfirmInput(StrictInputSerializer):
    token = serializers.CharField(max_length=200, help_text="The token of the confirmation link in the e-mail.")


class ConfirmResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=["confirmed", "already", "gone"])


class PetitionFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=[(s.value, s.label) for s in Petition.PUBLIC], distinct=False)
    incident = django_filters.NumberFilter(field_name="incidents__id", min_value=1, max_value=2**62, distinct=True)

    class Meta:
        model = Petition
        fields = ["status", "incident"]


SIGN_EXAMPLE = OpenApiExample(
    "Sign as an affected business",
    value={
        "name": "Claire Martin",
        "email": "claire.martin@boulangerie-martin.fr",
        "company": "Boulangerie Martin",
        "customer_number": "CU0001234",
        "loss_amount": "850.00",
        "loss_currency": "EUR",
        "hours_without_service": 30,
        "lines_affected": 2,
        "language": "fr",
        "wants_updates": True,
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(summary="List public petitions (open, closed, answered)"),
    retrieve=extend_schema(summary="One petition with its thresholds and the official answer"),
)
class PetitionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    lookup_field = "slug"
    lookup_value_regex = SLUG_REGEX
    pagination_class = IdCursorPagination
    filterset_class = PetitionFilter
    filter_backends = [
        django_filters.rest_framework.DjangoFilterBackend,
        filters.SearchFilter,
        filters.OrderingFilter,
    ]
    search_fields = ["title"]
    ordering_fields = ["id"]
    ordering = ["-id"]
    permissions_by_action = {"list": [AnyoneAllowed], "retrieve": [AnyoneAllowed], "sign": [AnyoneAllowed]}

    def get_queryset(self):
        return selectors.petition_list_public()

    def get_serializer_class(self):
        return PetitionDetailSerializer if self.action == "retrieve" else PetitionSerializer

    def get_object(self):
        petition = selectors.petition_get_public(slug=self.kwargs["slug"])
        if petition is None:
            raise NotFound()
        return petition

    def get_throttles(self):
        if self.action == "sign":
            return [AnonThrottle(), UserThrottle(), IpThrottle(), SignThrottle()]
        return super().get_throttles()

    @extend_schema(
        summary="Sign (anyone)",
        description="Records the signature and e-mails a confirmation link; it counts once confirmed "
        "(POST /api/petitions/confirm/ with the link's token). The same e-mail signs once.",
        request=SignInput,
        responses={202: SignResultSerializer},
        examples=[SIGN_EXAMPLE],
    )
    @action(detail=True, methods=["post"])
    def sign(self, request, slug=None):
        petition = self.get_object()
        data = validated(SignInput, request)
        services.petition_sign(petition=petition, ip=client_ip(request)[:45], **data)
        return Response(
            {
                "result": "received",
                "message": str(_("Thank you. Open the link in the e-mail we sent you to confirm your signature.")),
            },
            status=status.HTTP_202_ACCEPTED,
        )


class SignatureConfirmViewSet(BaseViewSet):
    """POST /api/petitions/confirm/: the token of the e-mailed link confirms the signature."""

    permissions_by_action = {"create": [AnyoneAllowed]}

    @extend_schema(
        summary="Confirm a signature (anyone with the e-mailed token)",
        request=ConfirmInput,
        responses={200: ConfirmResultSerializer},
        examples=[OpenApiExample("Confirm", value={"token": "MTIz:1tXyZ...:abc"}, request_only=True)],
    )
    def create(self, request):
        data = validated(ConfirmInput, request)
        try:
            signature_id = tokens.read(data["token"], action=tokens.CONFIRM)
        except tokens.TokenError as exc:
            message = (
                _("This link has expired. Sign again to get a new one.")
                if exc.expired
                else _("This link is not valid.")
            )
            raise ValidationError({"token": [message]}) from None
        result = services.signature_confirm(signature_id=signature_id)
        return Response({"result": result})


# --- Signatures (staff) ------------------------------------------------------------------


class SignatureSerializer(serializers.ModelSerializer):
    petition = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    business = serializers.SlugRelatedField(slug_field="customer_number", read_only=True, allow_null=True)

    class Meta:
        model = Signature
        fields = [
            "id",
            "petition",
            "name",
            "email",
            "company",
            "customer_number",
            "business",
            "verified_customer",
            "language",
            "loss_amount",
            "loss_currency",
            "hours_without_service",
            "lines_affected",
            "created_at",
            "confirmed_at",
            "withdrawn_at",
            "invalidated_at",
        ]


class SignatureFilter(django_filters.FilterSet):
    petition = RelatedCodeFilter(field_name="petition_id", model=Petition, code_field="slug", max_length=80)
    verified_customer = django_filters.BooleanFilter()
    confirmed = django_filters.BooleanFilter(field_name="confirmed_at", lookup_expr="isnull", exclude=True)
    email_domain = django_filters.CharFilter(max_length=253)

    class Meta:
        model = Signature
        fields = ["petition", "verified_customer", "confirmed", "email_domain"]


@extend_schema_view(
    list=extend_schema(summary="List signatures (staff)"),
    retrieve=extend_schema(summary="One signature (staff)"),
)
class SignatureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    serializer_class = SignatureSerializer
    lookup_value_regex = ID_REGEX
    pagination_class = IdCursorPagination
    filterset_class = SignatureFilter
    filter_backends = [
        django_filters.rest_framework.DjangoFilterBackend,
        filters.SearchFilter,
        filters.OrderingFilter,
    ]
    search_fields = ["name", "email", "company", "=customer_number"]
    ordering_fields = ["id"]
    ordering = ["-id"]
    permissions_by_action = {"default": [IsStaffMember]}

    def get_queryset(self):
        return Signature.objects.select_related("petition", "business")


# --- Compensation decisions ----------------------------------------------------------------


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
            from rest_framework.exceptions import PermissionDenied

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
