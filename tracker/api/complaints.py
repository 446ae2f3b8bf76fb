"""Complaints: a business's contacts file and follow their own; staff see all and triage."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

import django_filters
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import filters, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from complaints import selectors, services
from complaints.models import Category, Complaint, ComplaintEvent, Priority, Status
from complaints.uploads import MAX_FILES, limit_evidence_uploads
from tracker.accounts.ratelimit import client_ip, hit
from tracker.customers.models import Business, Currency, Region, Service, Subscription
from tracker.incidents.models import Incident

from .common import BaseViewSet, FilterSet, RelatedCodeFilter, validated
from .complaint_files import AttachmentSerializer, checked_evidence
from .pagination import IdCursorPagination
from .parsers import BoundedJSONParser
from .permissions import IsBusinessContact, IsContactOrStaff, IsStaffMember
from .roles import contact_of, is_staff_member
from .serializers import LabelField, ListRowsSerializer, StrictInputSerializer

REFERENCE_REGEX = r"[A-Za-z0-9-]{1,20}"
# The related rows' codes that the serializers show, as columns of the complaint query.
COMPLAINT_CODES = {
    "service_slug": F("service__slug"),
    "region_code": F("region__code"),
    "duplicate_reference": F("duplicate_of__reference"),
    "business_number": F("business__customer_number"),
    "assignee_username": F("assignee__username"),
}

# --- Output ------------------------------------------------------------------------


class ComplaintSerializer(ListRowsSerializer):
    """What the business sees."""

    status_label = LabelField(source="status", choices=Status.choices)
    category_label = LabelField(source="category", choices=Category.choices)
    priority_label = LabelField(source="priority", choices=Priority.choices)
    # Annotated by ComplaintViewSet.get_queryset (one column each instead of a related row per complaint).
    service = serializers.CharField(source="service_slug", read_only=True, help_text="Service code.")
    region = serializers.CharField(source="region_code", read_only=True, help_text="Region code.")
    duplicate_of = serializers.CharField(
        source="duplicate_reference", read_only=True, allow_null=True, help_text="Reference of the primary complaint."
    )

    class Meta:
        model = Complaint
        fields = [
            "reference",
            "status",
            "status_label",
            "category",
            "category_label",
            "priority",
            "priority_label",
            "service",
            "region",
            "subscription",
            "site_label",
            "since",
            "description",
            "loss_amount",
            "loss_currency",
            "incident",
            "duplicate_of",
            "created_at",
            "updated_at",
            "closed_at",
        ]


class StaffComplaintSerializer(ComplaintSerializer):
    """What staff see: also the business, the assignee and the SLA."""

    id = serializers.IntegerField(read_only=True)
    business = serializers.CharField(source="business_number", read_only=True, help_text="Customer number.")
    assignee = serializers.CharField(
        source="assignee_username", read_only=True, allow_null=True, help_text="Username of the assignee."
    )

    class Meta(ComplaintSerializer.Meta):
        fields = [
            "id",
            *ComplaintSerializer.Meta.fields,
            "business",
            "assignee",
            "first_response_due_at",
            "first_responded_at",
            "resolution_due_at",
            "sla_due_at",
            "sla_breached",
        ]


class EventSerializer(serializers.ModelSerializer):
    kind_label = LabelField(source="kind", choices=ComplaintEvent.Kind.choices)
    by = serializers.SerializerMethodField(help_text="staff, customer or system.")

    class Meta:
        model = ComplaintEvent
        fields = ["id", "kind", "kind_label", "from_status", "to_status", "body", "is_public", "by", "created_at"]

    def get_by(self, event) -> str:
        if event.actor is None:
            return "system"
        return "staff" if event.actor.is_staff else "customer"


class StaffEventSerializer(EventSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "actor", "data"]


class ComplaintDetailSerializer(ComplaintSerializer):
    events = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField(help_text="Evidence files, oldest first.")

    class Meta(ComplaintSerializer.Meta):
        fields = [*ComplaintSerializer.Meta.fields, "events", "files"]

    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, complaint):
        return EventSerializer(selectors.complaint_public_timeline(complaint=complaint), many=True).data

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_files(self, complaint):
        return _files(complaint)


class StaffComplaintDetailSerializer(StaffComplaintSerializer):
    events = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField(help_text="Evidence files, oldest first.")

    class Meta(StaffComplaintSerializer.Meta):
        fields = [*StaffComplaintSerializer.Meta.fields, "events", "files"]

    @extend_schema_field(StaffEventSerializer(many=True))
    def get_events(self, complaint):
        return StaffEventSerializer(selectors.complaint_timeline(complaint=complaint), many=True).data

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_files(self, complaint):
        return _files(complaint)


def _files(complaint) -> list:
    attachments = selectors.complaint_attachments(complaint=complaint)
    return AttachmentSerializer(attachments, many=True, context={"reference": complaint.reference}).data


@cache
def _codes_shown(serializer_class) -> tuple[str, ...]:
    """The related codes (COMPLAINT_CODES) that a serializer shows."""
    return tuple(field.source for field in serializer_class().fields.values() if field.source in COMPLAINT_CODES)


# --- Input ---------------------------------------------------------------------------


class ComplaintFileInput(StrictInputSerializer):
    subscription = serializers.IntegerField(
        min_value=1, max_value=2**62, help_text="Id of one of your business's subscriptions."
    )
    category = serializers.ChoiceField(choices=Category.choices)
    since = serializers.DateTimeField(help_text="When the problem began (at most 12 months ago).")
    description = serializers.CharField(min_length=5, max_length=5000)
    loss_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, max_value=10_000_000, required=False, allow_null=True
    )
    loss_currency = serializers.ChoiceField(choices=Currency.choices, required=False, allow_blank=True)
    submission_token = serializers.UUIDField(
        required=False, help_text="Any UUID: sending the same one twice files the complaint once."
    )

    def validate_since(self, since):
        now = timezone.now()
        if since > now + timedelta(minutes=5):
            raise serializers.ValidationError(_("The start of the problem cannot be in the future."))
        if since < now - timedelta(days=365):
            raise serializers.ValidationError(_("Complaints are accepted for problems of the last 12 months."))
        return since

    def validate_subscription(self, value):
        contact = self.context["contact"]
        subscription = (
            Subscription.objects.filter(pk=value, business_id=contact.business_id)
            .select_related("service", "region")
            .first()
        )
        if subscription is None:
            raise serializers.ValidationError(_("Choose one of your business's services."))
        return subscription


class ComplaintFileWithEvidenceInput(ComplaintFileInput):
    """The multipart form of filing (documents the body; the files are checked by complaints.uploads)."""

    files = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=MAX_FILES, help_text="Evidence files (optional)."
    )


class ReplyInput(StrictInputSerializer):
    body = serializers.CharField(max_length=5000)


class AssignInput(StrictInputSerializer):
    assignee = serializers.CharField(
        max_length=150, allow_null=True, help_text="Username of a staff member, or null to unassign."
    )

    def validate_assignee(self, value):
        if value is None:
            return None
        user = get_user_model().objects.filter(username=value, is_staff=True, is_active=True).first()
        if user is None:
            raise serializers.ValidationError(_("No active staff member has this username."))
        return user


class TransitionInput(StrictInputSerializer):
    to_status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    public_reply = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    duplicate_of = serializers.CharField(
        max_length=20, required=False, help_text="Reference of the primary complaint (to_status duplicate)."
    )

    def validate_duplicate_of(self, value):
        return _complaint_by_reference(value)


class LinkInput(StrictInputSerializer):
    incident = serializers.IntegerField(min_value=1, max_value=2**62, allow_null=True)

    def validate_incident(self, value):
        if value is None:
            return None
        incident = Incident.objects.filter(pk=value).first()
        if incident is None:
            raise serializers.ValidationError(_("There is no incident with this id."))
        return incident


class MergeInput(StrictInputSerializer):
    primary = serializers.CharField(max_length=20, help_text="Reference of the complaint this one duplicates.")

    def validate_primary(self, value):
        return _complaint_by_reference(value)


class PriorityInput(StrictInputSerializer):
    priority = serializers.ChoiceField(choices=Priority.choices)


class EmptyInput(StrictInputSerializer):
    pass


def _complaint_by_reference(reference: str) -> Complaint:
    complaint = Complaint.objects.filter(reference=reference).first()
    if complaint is None:
        raise serializers.ValidationError(_("There is no complaint with this reference."))
    return complaint


# --- Filters ---------------------------------------------------------------------------


class ComplaintFilter(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, distinct=False)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, distinct=False)
    category = django_filters.MultipleChoiceFilter(choices=Category.choices, distinct=False)
    service = RelatedCodeFilter(field_name="service_id", model=Service, code_field="slug", max_length=50)
    region = RelatedCodeFilter(field_name="region_id", model=Region, code_field="code", max_length=10)
    incident = django_filters.NumberFilter(field_name="incident_id", min_value=1, max_value=2**62)
    assignee = RelatedCodeFilter(
        field_name="assignee_id", model=get_user_model(), code_field="username", max_length=150
    )
    business = RelatedCodeFilter(field_name="business_id", model=Business, code_field="customer_number", max_length=20)
    sla_breached = django_filters.BooleanFilter()
    has_loss = django_filters.BooleanFilter()
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Complaint
        fields = [
            "status",
            "priority",
            "category",
            "service",
            "region",
            "incident",
            "assignee",
            "business",
            "sla_breached",
            "has_loss",
            "created_after",
            "created_before",
        ]


# --- Views ------------------------------------------------------------------------------

FILE_EXAMPLE = OpenApiExample(
    "No dial tone since this morning",
    value={
        "subscription": 12,
        "category": "no_dial_tone",
        "since": "2026-03-02T08:15:00+01:00",
        "description": "None of our 6 lines has a dial tone; customers cannot reach us.",
        "loss_amount": "1500.00",
        "loss_currency": "CHF",
        "submission_token": "5b0f7a52-8f8e-4a57-9f0e-0d3c1d1a2b3c",
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List complaints",
        description="A contact sees its business's complaints (a business admin all of them, others their own); "
        "staff see every complaint.",
        responses={200: StaffComplaintSerializer(many=True)},
    ),
    retrieve=extend_schema(summary="One complaint with its history", responses={200: StaffComplaintDetailSerializer}),
)
class ComplaintViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    lookup_field = "reference"
    lookup_value_regex = REFERENCE_REGEX
    pagination_class = IdCursorPagination
    filterset_class = ComplaintFilter
    filter_backends = [
        django_filters.rest_framework.DjangoFilterBackend,
        filters.SearchFilter,
        filters.OrderingFilter,
    ]
    search_fields = ["=reference", "site_label", "description"]
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]
    permissions_by_action = {
        "list": [IsContactOrStaff],
        "retrieve": [IsContactOrStaff],
        "create": [IsBusinessContact],
        "reply": [IsContactOrStaff],
        "note": [IsStaffMember],
        "assign": [IsStaffMember],
        "transition": [IsStaffMember],
        "link": [IsStaffMember],
        "merge": [IsStaffMember],
        "unmerge": [IsStaffMember],
        "priority": [IsStaffMember],
    }

    @property
    def staff(self) -> bool:
        return is_staff_member(self.request.user)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Complaint.objects.none()
        if self.staff:
            qs = Complaint.objects.all()
        else:
            qs = selectors.complaint_list_for_contact(contact=contact_of(self.request.user))
        if self.action == "list":
            # No related rows, and only the codes this list shows (a contact's list joins 3 tables, not 6).
            codes = _codes_shown(self.get_serializer_class())
            return qs.select_related(None).annotate(**{name: COMPLAINT_CODES[name] for name in codes})
        return qs.annotate(**COMPLAINT_CODES)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return StaffComplaintDetailSerializer if self.staff else ComplaintDetailSerializer
        return StaffComplaintSerializer if self.staff else ComplaintSerializer

    def initialize_request(self, request, *args, **kwargs):
        drf_request = super().initialize_request(request, *args, **kwargs)
        if self.action == "create":
            # Filing may carry evidence (multipart): each file is cut off past 10 MB while it is read.
            drf_request.parsers = [BoundedJSONParser(), MultiPartParser()]
            limit_evidence_uploads(request)
        return drf_request

    def _target(self) -> Complaint:
        """The complaint in the URL, if this user may see it (404 otherwise: nothing is revealed)."""
        reference = self.kwargs["reference"]
        if self.staff:
            complaint = Complaint.objects.filter(reference=reference).first()
        else:
            complaint = selectors.complaint_get_for_contact(contact=contact_of(self.request.user), reference=reference)
        if complaint is None:
            raise NotFound()
        return complaint

    def get_object(self):
        return self.get_queryset().get(pk=self._target().pk)

    def _detail(self, complaint: Complaint) -> dict:
        complaint = self.get_queryset().get(pk=complaint.pk)
        serializer_class = StaffComplaintDetailSerializer if self.staff else ComplaintDetailSerializer
        return serializer_class(complaint, context=self.get_serializer_context()).data

    @extend_schema(
        summary="File a complaint (contact of a business)",
        request={"application/json": ComplaintFileInput, "multipart/form-data": ComplaintFileWithEvidenceInput},
        responses={201: ComplaintDetailSerializer, 200: ComplaintDetailSerializer},
        examples=[FILE_EXAMPLE],
        description="Answers 201 when filed, 200 when the same submission_token was already used "
        "(the first complaint is returned). Sent as multipart/form-data, the same fields may carry up to "
        "5 evidence files (`files` parts, PDF, PNG or JPEG, 10 MB each).",
    )
    def create(self, request):
        contact = contact_of(request.user)
        allowed_ip = hit(
            key=f"complaint-ip:{client_ip(request)}",
            limit=settings.COMPLAINTS_RATE_PER_IP,
            window=settings.COMPLAINTS_RATE_WINDOW_SECONDS,
        )
        allowed_business = hit(
            key=f"complaint-business:{contact.business_id}",
            limit=settings.COMPLAINTS_RATE_PER_BUSINESS,
            window=settings.COMPLAINTS_RATE_WINDOW_SECONDS,
        )
        if not (allowed_ip and allowed_business):
            raise Throttled(detail=_("Too many complaints were filed from here. Try again later."))
        if request.content_type.startswith("multipart/"):
            files = checked_evidence(request)
            payload = {key: request.data.get(key) for key in request.data if key != "files"}
        else:
            files, payload = [], request.data
        serializer = ComplaintFileInput(data=payload, context={"request": request, "contact": contact})
        serializer.is_valid(raise_exception=True)
        complaint, created = services.complaint_file(
            contact=contact, user=request.user, files=files, **serializer.validated_data
        )
        return Response(self._detail(complaint), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="Reply",
        description="Staff: a public reply the customer is told about. Contact: the customer's answer "
        "(a complaint waiting for the customer goes back to work).",
        request=ReplyInput,
        responses={201: EventSerializer},
        examples=[OpenApiExample("Reply", value={"body": "The line works again since 11:00."}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def reply(self, request, reference=None):
        complaint = self._target()
        data = validated(ReplyInput, request)
        if self.staff:
            event = services.complaint_reply(complaint_id=complaint.pk, actor=request.user, body=data["body"])
        else:
            event = services.complaint_customer_reply(
                complaint_id=complaint.pk, contact=contact_of(request.user), user=request.user, body=data["body"]
            )
        return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Add an internal note (staff)", request=ReplyInput, responses={201: StaffEventSerializer})
    @action(detail=True, methods=["post"])
    def note(self, request, reference=None):
        complaint = self._target()
        data = validated(ReplyInput, request)
        event = services.complaint_note(complaint_id=complaint.pk, actor=request.user, body=data["body"])
        return Response(StaffEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Assign (staff)",
        request=AssignInput,
        responses={200: StaffComplaintDetailSerializer},
        examples=[OpenApiExample("Assign", value={"assignee": "agent"}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, reference=None):
        complaint = self._target()
        data = validated(AssignInput, request)
        services.complaint_assign(complaint_id=complaint.pk, actor=request.user, assignee=data["assignee"])
        return Response(self._detail(complaint))

    @extend_schema(
        summary="Change the status (staff)",
        request=TransitionInput,
        responses={200: StaffComplaintDetailSerializer},
        examples=[
            OpenApiExample(
                "Resolve with a reply",
                value={"to_status": "resolved", "public_reply": "Fixed: the exchange was restarted."},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        complaint = self._target()
        data = validated(TransitionInput, request)
        services.complaint_transition(complaint_id=complaint.pk, actor=request.user, **data)
        return Response(self._detail(complaint))

    @extend_schema(
        summary="Link to an incident, or unlink with null (staff)",
        request=LinkInput,
        responses={200: StaffComplaintDetailSerializer},
        examples=[OpenApiExample("Link", value={"incident": 42}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def link(self, request, reference=None):
        complaint = self._target()
        data = validated(LinkInput, request)
        services.complaint_link_incident(complaint_id=complaint.pk, actor=request.user, incident=data["incident"])
        return Response(self._detail(complaint))

    @extend_schema(
        summary="Mark as a duplicate of another complaint (staff)",
        request=MergeInput,
        responses={200: StaffComplaintDetailSerializer},
        examples=[OpenApiExample("Merge", value={"primary": "C-2026-000017"}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, reference=None):
        complaint = self._target()
        data = validated(MergeInput, request)
        services.complaint_mark_duplicate(complaint_id=complaint.pk, actor=request.user, primary=data["primary"])
        return Response(self._detail(complaint))

    @extend_schema(summary="Undo a merge (staff)", request=EmptyInput, responses={200: StaffComplaintDetailSerializer})
    @action(detail=True, methods=["post"])
    def unmerge(self, request, reference=None):
        complaint = self._target()
        validated(EmptyInput, request)
        services.complaint_unmerge(complaint_id=complaint.pk, actor=request.user)
        return Response(self._detail(complaint))

    @extend_schema(
        summary="Set the priority (staff)", request=PriorityInput, responses={200: StaffComplaintDetailSerializer}
    )
    @action(detail=True, methods=["post"])
    def priority(self, request, reference=None):
        complaint = self._target()
        data = validated(PriorityInput, request)
        services.complaint_set_priority(complaint_id=complaint.pk, actor=request.user, priority=data["priority"])
        return Response(self._detail(complaint))


# --- Subscriptions (what a contact files complaints about) ------------------------------------


class SubscriptionSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    business = serializers.SlugRelatedField(slug_field="customer_number", read_only=True)

    class Meta:
        model = Subscription
        fields = ["id", "business", "service", "region", "site_label", "monthly_fee", "currency"]


class SubscriptionFilter(django_filters.FilterSet):
    service = django_filters.CharFilter(field_name="service__slug", max_length=50)
    region = django_filters.CharFilter(field_name="region__code", max_length=10)
    business = django_filters.CharFilter(field_name="business__customer_number", max_length=20)

    class Meta:
        model = Subscription
        fields = ["service", "region", "business"]


@extend_schema_view(
    list=extend_schema(
        summary="List subscriptions",
        description="A contact sees its business's subscriptions (the `subscription` to file a complaint about); "
        "staff see all.",
    )
)
class SubscriptionViewSet(mixins.ListModelMixin, BaseViewSet):
    serializer_class = SubscriptionSerializer
    pagination_class = IdCursorPagination
    filterset_class = SubscriptionFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, filters.SearchFilter, filters.OrderingFilter]
    search_fields = ["site_label"]
    ordering_fields = ["id"]
    ordering = ["-id"]
    permissions_by_action = {"list": [IsContactOrStaff]}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Subscription.objects.none()
        if self.staff:
            return Subscription.objects.select_related("service", "region", "business")
        return selectors.subscriptions_for_contact(contact=contact_of(self.request.user)).select_related("business")

    @property
    def staff(self) -> bool:
        return is_staff_member(self.request.user)
