"""Petitions: anyone reads and signs, confirms by the e-mailed token; businesses propose; staff moderate,
answer and read or invalidate signatures. Compensation decisions are in compensation.py."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import filters, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from petitions import selectors, services, tokens
from petitions.models import Petition, Signature
from tracker.accounts.ratelimit import client_ip
from tracker.customers.models import Currency, Language

from .common import ID_REGEX, BaseViewSet, RelatedCodeFilter, validated
from .pagination import IdCursorPagination
from .permissions import AnyoneAllowed, IsBusinessContact, IsStaffMember
from .roles import contact_of, is_staff_member
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
    # Texts come in the request's language (Accept-Language) where staff translated them, else as written.
    title = serializers.CharField(source="localized_title", read_only=True)
    demand = serializers.CharField(source="localized_demand", read_only=True)
    language = serializers.CharField(
        source="localized_language", read_only=True, help_text="The language the texts are given in."
    )
    status_label = LabelField(source="status", choices=Petition.Status.choices)
    incidents = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    tally = serializers.SerializerMethodField()

    class Meta:
        model = Petition
        fields = [
            "slug",
            "title",
            "demand",
            "language",
            "status",
            "status_label",
            "incidents",
            "opens_at",
            "closes_at",
            "tally",
        ]

    @extend_schema_field(TallySerializer)
    def get_tally(self, petition) -> dict:
        return selectors.tally_as_dict(getattr(petition, "tally", None))


class PetitionDetailSerializer(PetitionSerializer):
    text = serializers.CharField(source="localized_text", read_only=True)
    answer = serializers.CharField(source="localized_answer", read_only=True)
    thresholds = ThresholdSerializer(many=True, read_only=True)

    class Meta(PetitionSerializer.Meta):
        fields = [*PetitionSerializer.Meta.fields, "text", "thresholds", "answer", "answered_at"]


class StaffPetitionDetailSerializer(PetitionDetailSerializer):
    """What moderators also need: who proposed it and why it was rejected."""

    proposed_by = serializers.SlugRelatedField(
        slug_field="customer_number", read_only=True, allow_null=True, help_text="Customer number of the proposer."
    )

    class Meta(PetitionDetailSerializer.Meta):
        fields = [*PetitionDetailSerializer.Meta.fields, "proposed_by", "rejection_reason"]


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


def has_perm(permission: str) -> type[BasePermission]:
    """The Django permission the admin asks for the same action (staff roles grant them)."""

    class HasPermission(BasePermission):
        message = _("Your role does not allow this action.")

        def has_permission(self, request, view) -> bool:
            return request.user.has_perm(permission)

    HasPermission.__name__ = f"Has_{permission.replace('.', '_')}"
    return HasPermission


CanModerate = has_perm("petitions.moderate_petition")
CanAnswer = has_perm("petitions.answer_petition")
CanInvalidate = has_perm("petitions.invalidate_signature")


class ProposeInput(StrictInputSerializer):
    incident = serializers.IntegerField(
        min_value=1, max_value=2**62, help_text="Id of an outage that hit your business (an incident)."
    )
    title = serializers.CharField(max_length=200)
    text = serializers.CharField(max_length=10000)
    demand = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate_incident(self, value):
        business_id = self.context["business_id"]
        incident = selectors.incidents_hitting_business(business_id=business_id).filter(pk=value).first()
        if incident is None:
            raise serializers.ValidationError(_("Choose an outage that hit your business."))
        return incident


class RejectInput(StrictInputSerializer):
    reason = serializers.CharField(max_length=500, help_text="Told to the business that proposed the petition.")


class PetitionAnswerInput(StrictInputSerializer):
    answer = serializers.CharField(max_length=10000)


class InvalidateInput(StrictInputSerializer):
    reason = serializers.CharField(max_length=500)
    ip_hash = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    email_domain = serializers.CharField(max_length=253, required=False, allow_blank=True, default="")
    since = serializers.DateTimeField(required=False, allow_null=True, default=None, help_text="Signed from.")
    until = serializers.DateTimeField(required=False, allow_null=True, default=None, help_text="Signed before.")
    signatures = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62),
        required=False,
        allow_empty=False,
        max_length=10000,
        help_text="Ids of signatures (each other criterion also applies).",
    )

    def validate(self, data):
        if data.get("since") and data.get("until") and data["until"] <= data["since"]:
            raise serializers.ValidationError({"until": [_("The end of the window must come after its start.")]})
        return data


class InvalidationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    petition = serializers.CharField(source="petition.slug")
    reason = serializers.CharField()
    affected = serializers.IntegerField(help_text="How many signatures were invalidated.")
    created_at = serializers.DateTimeField()


class PetitionFilter(django_filters.FilterSet):
    # Every status is a valid filter value; non-staff only ever see the public ones.
    status = django_filters.MultipleChoiceFilter(choices=Petition.Status.choices, distinct=False)
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
    permissions_by_action = {
        "list": [AnyoneAllowed],
        "retrieve": [AnyoneAllowed],
        "sign": [AnyoneAllowed],
        "propose": [IsBusinessContact],
        "approve": [IsStaffMember, CanModerate],
        "reject": [IsStaffMember, CanModerate],
        "close": [IsStaffMember, CanModerate],
        "answer": [IsStaffMember, CanAnswer],
        "invalidate_signatures": [IsStaffMember, CanInvalidate],
    }

    @property
    def staff(self) -> bool:
        return is_staff_member(self.request.user)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) or not self.staff:
            return selectors.petition_list_public()
        # Staff also see drafts, proposals waiting for moderation and rejected petitions.
        return Petition.objects.select_related("tally").prefetch_related("incidents")

    def get_serializer_class(self):
        if self.action != "retrieve":
            return PetitionSerializer
        if getattr(self, "swagger_fake_view", False) or not self.staff:
            return PetitionDetailSerializer
        return StaffPetitionDetailSerializer

    def get_object(self):
        if self.action == "sign" or not self.staff:
            petition = selectors.petition_get_public(slug=self.kwargs["slug"])
        else:
            petition = self._any_status(self.kwargs["slug"])
        if petition is None:
            raise NotFound()
        return petition

    @staticmethod
    def _any_status(slug: str) -> Petition | None:
        return (
            Petition.objects.filter(slug=slug)
            .select_related("tally", "proposed_by")
            .prefetch_related("incidents", "thresholds")
            .first()
        )

    def _detail(self, petition: Petition) -> Response:
        return Response(StaffPetitionDetailSerializer(self._any_status(petition.slug)).data)

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

    @extend_schema(
        summary="Propose a petition (contact of a business)",
        description="About an outage that hit the business; it waits for moderation (status pending) and is "
        "public once staff approve it.",
        request=ProposeInput,
        responses={201: PetitionDetailSerializer},
        examples=[
            OpenApiExample(
                "Propose",
                value={
                    "incident": 42,
                    "title": "Compensation for the 3-day phone outage",
                    "text": "Our lines were down from Monday to Wednesday; we ask for a credit.",
                    "demand": "One month's fee credited to every affected business.",
                },
                request_only=True,
            )
        ],
    )
    @action(detail=False, methods=["post"])
    def propose(self, request):
        contact = contact_of(request.user)
        data = validated(ProposeInput, request, business_id=contact.business_id)
        petition = services.petition_create(
            title=data["title"],
            text=data["text"],
            demand=data["demand"],
            incidents=[data["incident"]],
            proposed_by=contact.business,
            created_by=request.user,
        )
        return Response(PetitionDetailSerializer(self._any_status(petition.slug)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Approve a proposed petition: it opens for signatures (staff)",
        request=None,
        responses={200: StaffPetitionDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, slug=None):
        petition = self.get_object()
        return self._detail(services.petition_transition(petition=petition, to=Petition.Status.OPEN, by=request.user))

    @extend_schema(
        summary="Reject a proposed petition with a reason (staff)",
        request=RejectInput,
        responses={200: StaffPetitionDetailSerializer},
        examples=[
            OpenApiExample(
                "Reject", value={"reason": "A petition about this outage is already open."}, request_only=True
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, slug=None):
        petition = self.get_object()
        data = validated(RejectInput, request)
        return self._detail(
            services.petition_transition(
                petition=petition, to=Petition.Status.REJECTED, by=request.user, reason=data["reason"]
            )
        )

    @extend_schema(
        summary="Close an open petition to signatures (staff)",
        request=None,
        responses={200: StaffPetitionDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, slug=None):
        petition = self.get_object()
        return self._detail(services.petition_transition(petition=petition, to=Petition.Status.CLOSED, by=request.user))

    @extend_schema(
        summary="Publish the official answer (manager)",
        description="The petition becomes answered; every confirmed signer is told, in their language.",
        request=PetitionAnswerInput,
        responses={200: StaffPetitionDetailSerializer},
        examples=[
            OpenApiExample(
                "Answer",
                value={"answer": "Every affected business receives a credit of one month's fee on its next bill."},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, slug=None):
        petition = self.get_object()
        data = validated(PetitionAnswerInput, request)
        return self._detail(services.petition_answer(petition=petition, answer=data["answer"], by=request.user))

    @extend_schema(
        summary="Invalidate signatures in bulk, with a reason (staff)",
        description="Every criterion given must match: IP hash, e-mail domain, time window, signature ids. "
        "The petition's counts and thresholds follow within seconds.",
        request=InvalidateInput,
        responses={201: InvalidationSerializer},
        examples=[
            OpenApiExample(
                "One domain in one hour",
                value={
                    "reason": "Burst of signatures from a throw-away domain.",
                    "email_domain": "mailinator.com",
                    "since": "2026-03-02T10:00:00+01:00",
                    "until": "2026-03-02T11:00:00+01:00",
                },
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"], url_path="invalidate-signatures")
    def invalidate_signatures(self, request, slug=None):
        petition = self.get_object()
        data = validated(InvalidateInput, request)
        record = services.signatures_invalidate(
            petition=petition,
            reason=data["reason"],
            by=request.user,
            ip_hash=data["ip_hash"],
            email_domain=data["email_domain"],
            since=data["since"],
            until=data["until"],
            signature_ids=data.get("signatures"),
        )
        return Response(InvalidationSerializer(record).data, status=status.HTTP_201_CREATED)


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
