"""Public petition pages, signing, confirmation and withdrawal links, the business's compensation portal."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import decisions, selectors, services, tokens
from .forms import DecisionAnswerForm, ProposalForm, ResendForm, SignatureForm
from .models import CompensationDecision, Signature

THANKS = _lazy("Thank you. Open the link in the e-mail we sent you to confirm your signature.")
SIGNED_NOTES = {
    "yes": (THANKS,),
    "supporter-claim-taken": (
        THANKS,
        _lazy("Someone at your company already made the verified claim; your signature counts as a supporter."),
    ),
    "supporter-not-matched": (
        THANKS,
        _lazy("This customer number has no subscription hit by this outage: you signed as a supporter."),
    ),
}
CONFIRMED_NOTES = {
    "confirmed": (_lazy("Thank you, your signature is confirmed. It appears in the count within a few seconds."),),
    "already": (_lazy("Your signature was already confirmed."),),
    "gone": (
        _lazy("This signature can no longer be confirmed: it was withdrawn or invalidated, or the petition is closed."),
    ),
}


def _client_ip(request: HttpRequest) -> str:
    # The proxy in front (if any) is trusted to set REMOTE_ADDR; X-Forwarded-For is spoofable.
    return request.META.get("REMOTE_ADDR", "")[:45]


@require_GET
def petition_list(request: HttpRequest) -> HttpResponse:
    return render(request, "petitions/list.html", {"petitions": selectors.petition_list_public()})


@require_GET
def petition_detail(request: HttpRequest, slug: str) -> HttpResponse:
    petition = selectors.petition_get_public(slug=slug)
    if petition is None:
        raise Http404
    return render(
        request,
        "petitions/detail.html",
        {
            "petition": petition,
            "tally": selectors.tally_as_dict(getattr(petition, "tally", None)),
            "signable": services.petition_is_signable(petition),
            "signed_notes": SIGNED_NOTES.get(request.GET.get("signed", ""), ())
            or CONFIRMED_NOTES.get(request.GET.get("confirmed", ""), ()),
        },
    )


@require_GET
def petition_count(request: HttpRequest, slug: str) -> JsonResponse:
    data = selectors.petition_count_cached(slug=slug)
    if data is None:
        return JsonResponse({"error": "not found"}, status=404)
    response = JsonResponse(data)
    response["Cache-Control"] = f"public, max-age={selectors.COUNT_CACHE_SECONDS}"
    return response


@require_http_methods(["GET", "POST"])
def petition_sign(request: HttpRequest, slug: str) -> HttpResponse:
    petition = selectors.petition_get_for_signing(slug=slug)
    if petition is None:
        raise Http404
    context = {"petition": petition, "signable": services.petition_is_signable(petition)}
    if request.method == "GET" or not context["signable"]:
        return render(request, "petitions/sign.html", context | {"form": SignatureForm()})
    form = SignatureForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "petitions/sign.html", context | {"form": form})
    data = form.cleaned_data
    try:
        outcome = services.petition_sign(
            petition=petition,
            name=data["name"],
            email=data["email"],
            company=data["company"],
            customer_number=data["customer_number"],
            loss_amount=data["loss_amount"],
            loss_currency=data["loss_currency"],
            hours_without_service=data["hours_without_service"],
            lines_affected=data["lines_affected"],
            evidence=data["evidence"],
            wants_updates=data["wants_updates"],
            language=get_language() or "en",
            ip=_client_ip(request),
            honeypot=data["website"],
        )
    except services.SigningError as exc:
        form.add_error(None, exc)
        return render(request, "petitions/sign.html", context | {"form": form})
    if outcome.result == "duplicate":
        return render(
            request,
            "petitions/sign.html",
            context
            | {
                "form": form,
                "duplicate": True,
                "duplicate_confirmed": bool(outcome.signature and outcome.signature.confirmed_at),
                "resend_form": ResendForm(initial={"email": data["email"]}),
            },
        )
    # The outcome travels in the query string, not in the session: signing writes nothing but the signature.
    if outcome.result == "claim_taken":
        signed = "supporter-claim-taken"
    elif outcome.customer_checked and outcome.signature and not outcome.signature.verified_customer:
        signed = "supporter-not-matched"
    else:
        signed = "yes"
    return redirect(f"{reverse('petitions:detail', args=[petition.slug])}?signed={signed}")


@require_POST
def signature_resend(request: HttpRequest, slug: str) -> HttpResponse:
    petition = selectors.petition_get_public(slug=slug)
    if petition is None:
        raise Http404
    form = ResendForm(request.POST)
    if form.is_valid():
        services.signature_resend_confirmation(petition=petition, email=form.cleaned_data["email"])
    # The same answer whatever happened: the page does not reveal who signed.
    messages.info(request, _("If this address has an unconfirmed signature, a new confirmation e-mail is on its way."))
    return redirect("petitions:detail", slug=petition.slug)


def _token_page(request: HttpRequest, token: str, action: str):
    try:
        signature_id = tokens.read(token, action=action)
    except tokens.TokenError as exc:
        response = render(request, "petitions/token_invalid.html", {"expired": exc.expired}, status=400)
        return None, response
    signature = Signature.objects.select_related("petition").filter(pk=signature_id).first()
    if signature is None:
        return None, render(request, "petitions/token_invalid.html", {"gone": True}, status=404)
    return signature, None


@require_http_methods(["GET", "POST"])
def signature_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        signature_id, slug = tokens.read_payload(token, action=tokens.CONFIRM)
    except tokens.TokenError as exc:
        return render(request, "petitions/token_invalid.html", {"expired": exc.expired}, status=400)
    if request.method == "GET" or not slug:
        petition = selectors.petition_of_signature(signature_id=signature_id)
        if petition is None:
            return render(request, "petitions/token_invalid.html", {"gone": True}, status=404)
        slug = petition.slug
        # GET only shows the button: mail scanners that prefetch links must not confirm.
        if request.method == "GET":
            return render(request, "petitions/confirm.html", {"petition": petition})
    # The hot path of a viral petition: one UPDATE, then the petition page says how it went.
    result = services.signature_confirm(signature_id=signature_id)
    return HttpResponseRedirect(f"{reverse('petitions:detail', args=[slug])}?confirmed={result}", status=303)


@require_http_methods(["GET", "POST"])
def signature_withdraw(request: HttpRequest, token: str) -> HttpResponse:
    signature, error = _token_page(request, token, tokens.WITHDRAW)
    if error:
        return error
    if request.method == "GET":
        return render(request, "petitions/withdraw.html", {"signature": signature, "petition": signature.petition})
    done = services.signature_withdraw(signature_id=signature.pk)
    return render(request, "petitions/withdraw_done.html", {"petition": signature.petition, "done": done})


@require_GET
def signature_evidence(request: HttpRequest, signature_id: int) -> FileResponse:
    """Staff download a signer's evidence: always as an attachment, never rendered, never cached."""
    opened = services.signature_evidence_open(user=request.user, signature_id=signature_id)
    if opened is None:
        raise Http404
    handle, filename = opened
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type="application/octet-stream")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _portal_business_id(request: HttpRequest) -> int:
    contact = getattr(request.user, "contact", None)
    if contact is None or contact.business_id is None:
        raise PermissionDenied
    return contact.business_id


@login_required
@require_http_methods(["GET", "POST"])
def petition_propose(request: HttpRequest) -> HttpResponse:
    business_id = _portal_business_id(request)
    incidents = selectors.incidents_hitting_business(business_id=business_id)
    form = ProposalForm(request.POST or None, incidents=incidents)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.petition_create(
            title=data["title"],
            text=data["text"],
            demand=data["demand"],
            language=get_language() or "en",
            incidents=[data["incident"]],
            proposed_by=request.user.contact.business,
            created_by=request.user,
        )
        messages.success(request, _("Thank you. Your petition is waiting for moderation; we will publish it soon."))
        return redirect("petitions:list")
    return render(request, "petitions/propose.html", {"form": form, "has_incidents": incidents.exists()})


@login_required
@require_GET
def compensation_portal(request: HttpRequest) -> HttpResponse:
    business_id = _portal_business_id(request)
    return render(
        request,
        "petitions/compensation.html",
        {"decisions": selectors.decision_list_for_business(business_id=business_id), "form": DecisionAnswerForm()},
    )


@login_required
@require_POST
def compensation_answer(request: HttpRequest, decision_id: int) -> HttpResponse:
    business_id = _portal_business_id(request)
    decision = get_object_or_404(CompensationDecision, pk=decision_id, business_id=business_id)
    form = DecisionAnswerForm(request.POST)
    if form.is_valid():
        try:
            decisions.decision_answer(
                decision=decision,
                user=request.user,
                action=form.cleaned_data["action"],
                amount=form.cleaned_data["amount"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Your answer has been recorded."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("petitions:compensation")
