"""Customer pages: file a complaint, follow it, answer, download its files. Thin: services do the work."""

import uuid
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from tracker.accounts.ratelimit import client_ip, hit
from tracker.customers.models import Contact

from . import selectors, services
from .forms import ComplaintForm, CustomerReplyForm
from .models import Complaint, ComplaintAttachment
from .uploads import MAX_FILE_BYTES, MAX_FILES, limit_evidence_uploads, too_big_error

PAGE_SIZE = 25


def _contact(request) -> Contact:
    try:
        contact = request.user.contact  # joined with the user by the authentication backend
    except Contact.DoesNotExist:
        contact = None
    if contact is None or contact.business_id is None:
        raise PermissionDenied(_("Only contacts of a business customer can file and follow complaints."))
    return contact


def _too_many(request):
    return render(request, "complaints/429.html", status=429)


@login_required
def complaint_list(request):
    contact = _contact(request)
    page = Paginator(selectors.complaint_list_for_contact(contact=contact), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "complaints/list.html", {"page": page, "contact": contact})


# The largest body a filing may send: five files and the form around them.
MAX_BODY_BYTES = MAX_FILES * MAX_FILE_BYTES + 1024 * 1024


def _guard_upload(view):
    """Refuse oversized bodies unread, and cut any file at 10 MB while it is read.

    The upload handler must be installed before the body is parsed, that is before the CSRF check;
    so CSRF protection is applied inside, right after.
    """
    protected = csrf_protect(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > MAX_BODY_BYTES:
                return render(request, "complaints/413.html", status=413)
            limit_evidence_uploads(request)
        return protected(request, *args, **kwargs)

    return csrf_exempt(wrapper)


def _file_errors(request, form) -> None:
    rejected = getattr(request, "evidence_rejected", [])
    if rejected:
        form.add_error("files", too_big_error(rejected))


@_guard_upload
@login_required
@require_http_methods(["GET", "POST"])
def complaint_new(request):
    contact = _contact(request)
    if request.method == "POST":
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
            return _too_many(request)
        # A filing reads only the subscription it names; the full list is loaded to show the form again.
        chosen = selectors.subscription_for_contact(contact=contact, pk=request.POST.get("subscription"))
        form = ComplaintForm(request.POST, request.FILES, subscriptions=[chosen] if chosen else [])
        _file_errors(request, form)
        if form.is_valid():
            data = form.cleaned_data
            try:
                complaint, created = services.complaint_file(
                    contact=contact,
                    subscription=data["subscription"],
                    category=data["category"],
                    since=data["since"],
                    description=data["description"],
                    loss_amount=data["loss_amount"],
                    loss_currency=data["loss_currency"],
                    files=data["files"],
                    submission_token=data["submission_token"],
                    user=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if created:
                    messages.success(
                        request,
                        _("Your complaint was filed with the reference %(ref)s. We sent you a confirmation.")
                        % {"ref": complaint.reference},
                    )
                return redirect("complaints:detail", reference=complaint.reference)
        subscriptions = list(selectors.subscriptions_for_contact(contact=contact))
        form.offer(subscriptions)
    else:
        subscriptions = list(selectors.subscriptions_for_contact(contact=contact))
        form = ComplaintForm(initial={"submission_token": uuid.uuid4()}, subscriptions=subscriptions)
    known = selectors.incidents_for_subscriptions(subscriptions=subscriptions)
    return render(
        request,
        "complaints/new.html",
        {"form": form, "known_incidents": known, "has_subscriptions": bool(subscriptions)},
    )


@_guard_upload
@login_required
@require_http_methods(["GET", "POST"])
def complaint_detail(request, reference: str):
    contact = _contact(request)
    complaint = selectors.complaint_get_for_contact(contact=contact, reference=reference[:20])
    if complaint is None:
        raise Http404
    form = CustomerReplyForm()
    if request.method == "POST":
        form = CustomerReplyForm(request.POST, request.FILES)
        _file_errors(request, form)
        if form.is_valid():
            try:
                services.complaint_customer_reply(
                    complaint_id=complaint.pk,
                    contact=contact,
                    user=request.user,
                    body=form.cleaned_data["body"],
                    files=form.cleaned_data["files"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Your message was added."))
                return redirect("complaints:detail", reference=complaint.reference)
    return render(
        request,
        "complaints/detail.html",
        {
            "complaint": complaint,
            "events": selectors.complaint_public_timeline(complaint=complaint),
            "attachments": selectors.complaint_attachments(complaint=complaint),
            "form": form,
            "can_reply": complaint.is_open,
        },
    )


@login_required
def attachment_download(request, reference: str, attachment_id: int):
    """Evidence goes only to the complaint's own people and to staff, always as a download."""
    attachment = (
        ComplaintAttachment.objects.select_related("complaint")
        .filter(pk=attachment_id, complaint__reference=reference[:20])
        .first()
    )
    if attachment is None:
        raise Http404
    if not (request.user.is_staff and request.user.has_perm("complaints.view_complaint")):
        contact = _contact(request)
        visible = Complaint.objects.filter(selectors.complaint_visible_q(contact=contact), pk=attachment.complaint_id)
        if not visible.exists():
            raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response
