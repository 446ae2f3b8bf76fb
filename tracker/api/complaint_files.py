"""Complaint evidence: the business (or staff) uploads files by multipart POST; they download them back."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from complaints import selectors, services
from complaints.models import Complaint, ComplaintAttachment
from complaints.uploads import MAX_FILES, limit_evidence_uploads, too_big_error, validate_evidence_list

from .common import ID_REGEX, BaseViewSet
from .exceptions import PayloadTooLarge
from .permissions import IsContactOrStaff
from .roles import contact_of, is_staff_member

EVIDENCE_TYPES = ("application/pdf", "image/png", "image/jpeg")


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ComplaintAttachment
        fields = ["id", "name", "content_type", "size", "created_at", "download_url"]

    def get_download_url(self, attachment) -> str:
        # The reference is annotated or known by the caller: no query for the complaint row.
        reference = self.context.get("reference") or attachment.complaint.reference
        return f"/api/complaints/{reference}/files/{attachment.pk}/"


class EvidenceUploadInput(serializers.Serializer):
    """Documents the multipart body; the files themselves are checked by complaints.uploads."""

    files = serializers.ListField(
        child=serializers.FileField(),
        max_length=MAX_FILES,
        help_text="One to five PDF, PNG or JPEG files of at most 10 MB each (repeat the `files` part).",
    )


def checked_evidence(request) -> list[tuple[object, str]]:
    """The request's `files` parts checked like the form's: 413 or 400 in the error shape, nothing stored."""
    rejected = getattr(request._request, "evidence_rejected", [])
    if rejected:
        raise PayloadTooLarge(" ".join(too_big_error(rejected).messages))
    files = request.FILES.getlist("files") if hasattr(request.FILES, "getlist") else []
    try:
        return validate_evidence_list(files)
    except DjangoValidationError as exc:
        raise ValidationError({"files": exc.messages}) from None


def complaint_for(user, reference: str) -> Complaint:
    """The complaint in the URL if this user may see it; 404 otherwise (nothing is revealed)."""
    if is_staff_member(user):
        complaint = Complaint.objects.filter(reference=reference).first()
    else:
        complaint = selectors.complaint_get_for_contact(contact=contact_of(user), reference=reference)
    if complaint is None:
        raise NotFound()
    return complaint


class ComplaintFileViewSet(BaseViewSet):
    """POST /api/complaints/{reference}/files/ uploads; GET .../files/{id}/ downloads one file."""

    queryset = ComplaintAttachment.objects.none()  # only the schema's path types; the actions look up their rows
    lookup_value_regex = ID_REGEX
    parser_classes = [MultiPartParser]
    permissions_by_action = {"create": [IsContactOrStaff], "retrieve": [IsContactOrStaff]}

    def initialize_request(self, request, *args, **kwargs):
        # Before anything parses the body (session authentication reads it for the CSRF token):
        # a file past 10 MB is cut off while it is read, never stored.
        if request.method == "POST":
            limit_evidence_uploads(request)
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        summary="Add evidence files to a complaint (its business, or staff)",
        description="multipart/form-data with one `files` part per file. PDF, PNG or JPEG only (checked by "
        "content, not by name), at most 10 MB each (413 otherwise) and 5 per complaint in all. A rejected "
        "request stores nothing. Example: `curl -H 'Authorization: Bearer …' -F files=@invoice.pdf "
        "https://tracker.example/api/complaints/C-2026-000017/files/`",
        request={"multipart/form-data": EvidenceUploadInput},
        responses={201: AttachmentSerializer(many=True)},
        examples=[
            OpenApiExample(
                "Files added",
                value=[
                    {
                        "id": 7,
                        "name": "invoice.pdf",
                        "content_type": "application/pdf",
                        "size": 48213,
                        "created_at": "2026-03-02T10:12:00+01:00",
                        "download_url": "/api/complaints/C-2026-000017/files/7/",
                    }
                ],
                response_only=True,
            )
        ],
    )
    def create(self, request, reference=None):
        complaint = complaint_for(request.user, reference)
        unknown = sorted({str(key)[:50] for key in [*request.data.keys(), *request.FILES.keys()]} - {"files"})
        checked = checked_evidence(request)
        if unknown:
            raise ValidationError(
                {"non_field_errors": [_("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown[:20])}]},
                code="unknown_field",
            )
        if not checked:
            raise ValidationError({"files": [_("Add at least one file.")]})
        staff = is_staff_member(request.user)
        attachments = services.complaint_add_evidence(
            complaint_id=complaint.pk,
            files=checked,
            user=request.user,
            contact=None if staff else contact_of(request.user),
        )
        data = AttachmentSerializer(attachments, many=True, context={"reference": complaint.reference}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download one evidence file (its business, or staff)",
        description="Always sent as an attachment, with the type checked at upload.",
        responses={(200, content_type): OpenApiTypes.BINARY for content_type in EVIDENCE_TYPES},
    )
    def retrieve(self, request, reference=None, pk=None):
        complaint = complaint_for(request.user, reference)
        attachment = ComplaintAttachment.objects.filter(pk=pk, complaint=complaint).first()
        if attachment is None:
            raise NotFound()
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise NotFound() from None
        response = FileResponse(
            handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
