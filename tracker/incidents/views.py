"""Public status pages, visitors' subscriptions and the voice announcement. Thin: selectors and services do the work."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from tracker.customers.models import VoiceLine

from . import selectors, services
from .cache import public_cached, status_cache_version
from .feeds import IncidentUpdatesFeed
from .forms import StatusSubscriptionForm
from .models import Incident, StatusSubscription

UPTIME_DAYS = 90
TOKEN_MAX = 64


def _page(request: HttpRequest, template: str, context: dict, *, anonymous: bool) -> HttpResponse:
    """Shared pages render with a plain context: no user, no session, no CSRF token."""
    context = {**context, "path": request.path, "shared_page": anonymous}
    if anonymous:
        return HttpResponse(render_to_string(template, context))
    return render(request, template, context)


@require_safe
@public_cached
def status(request: HttpRequest, *, anonymous: bool) -> HttpResponse:
    now = timezone.now()
    recent = selectors.incident_list_public(since=now - dt.timedelta(days=UPTIME_DAYS))
    current = [i for i in recent if i.is_open]
    uptime = selectors.service_uptime(days=UPTIME_DAYS, now=now)
    by_service = []
    for row in uptime:
        incidents = [i for i in current if any(s.pk == row.service.pk for s in i.services.all())]
        by_service.append({"uptime": row, "incidents": incidents})
    context = {
        "current": current,
        "past": [i for i in recent if not i.is_open],
        "by_service": by_service,
        "days": UPTIME_DAYS,
        "now": now,
    }
    return _page(request, "incidents/status.html", context, anonymous=anonymous)


@require_safe
@public_cached
def history(request: HttpRequest, *, anonymous: bool) -> HttpResponse:
    incidents = selectors.incident_list_public(limit=200)
    return _page(request, "incidents/history.html", {"incidents": incidents}, anonymous=anonymous)


@require_safe
@public_cached
def incident_detail(request: HttpRequest, incident_id: int, *, anonymous: bool) -> HttpResponse:
    try:
        incident = selectors.incident_detail_public(incident_id=incident_id)
    except Incident.DoesNotExist:
        raise Http404 from None
    language = get_language() or "en"
    corrections = list(incident.corrections.all())
    by_update: dict[int, list] = {}
    for correction in corrections:
        if correction.update_id:
            by_update.setdefault(correction.update_id, []).append(correction)
    timeline = [
        {
            "update": update,
            "text": update.message_in(language),
            "translated": language == update.language or language in update.translations,
            "corrections": by_update.get(update.pk, []),
        }
        for update in incident.updates.all()
    ]
    snapshots = list(incident.restoration_snapshots.all())
    latest_by_region: dict[int, object] = {}
    for snapshot in snapshots:
        if snapshot.region_id:
            latest_by_region[snapshot.region_id] = snapshot
    context = {
        "incident": incident,
        "timeline": timeline,
        "corrections": [c for c in corrections if not c.update_id],
        "overall_history": [s for s in snapshots if s.region_id is None],
        "region_restoration": sorted(latest_by_region.values(), key=lambda s: (s.region.country, s.region.name)),
        "overdue": bool(
            incident.is_open and incident.next_update_due_at and incident.next_update_due_at < timezone.now()
        ),
    }
    return _page(request, "incidents/detail.html", context, anonymous=anonymous)


@require_safe
@public_cached
def feed(request: HttpRequest, *, anonymous: bool) -> HttpResponse:
    return IncidentUpdatesFeed()(request)


@require_safe
@public_cached
def service_feed(request: HttpRequest, slug: str, *, anonymous: bool) -> HttpResponse:
    return IncidentUpdatesFeed()(request, slug=slug)


@require_GET
def language(request: HttpRequest) -> HttpResponse:
    """Language switch of the shared pages (they carry no CSRF token): sets the language cookie."""
    code = request.GET.get("language", "")
    target = request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not safe:
        target = reverse("incidents:status")
    response = HttpResponseRedirect(target)
    if code in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    form = StatusSubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.status_subscription_request(
                email=form.cleaned_data["email"],
                service=form.cleaned_data["service"],
                region=form.cleaned_data["region"],
                language=get_language() or "en",
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("incidents:subscribe-sent")
    return render(request, "incidents/subscribe.html", {"form": form})


@require_GET
def subscribe_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "incidents/subscribe_sent.html")


def _subscription_or_404(token: str) -> StatusSubscription:
    if len(token) > TOKEN_MAX:
        raise Http404
    return get_object_or_404(StatusSubscription.objects.select_related("service", "region"), token=token)


@never_cache
@require_http_methods(["GET", "POST"])
def subscription_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links); only the POST confirms."""
    subscription = _subscription_or_404(token)
    if request.method == "POST":
        services.status_subscription_confirm(token=token)
        done = _("Your subscription is confirmed: you will be told of outages by e-mail.")
        return render(request, "incidents/subscription_done.html", {"done": done})
    return render(request, "incidents/subscription_confirm.html", {"subscription": subscription})


@never_cache
@require_http_methods(["GET", "POST"])
def subscription_cancel(request: HttpRequest, token: str) -> HttpResponse:
    subscription = _subscription_or_404(token)
    if request.method == "POST":
        services.status_subscription_cancel(token=token)
        done = _("You will receive no more e-mails for this subscription.")
        return render(request, "incidents/subscription_done.html", {"done": done})
    return render(request, "incidents/subscription_cancel.html", {"subscription": subscription})


# --- Voice announcement ---------------------------------------------------------

SPEECH_LANGUAGES = {"fr": "fr-FR", "de": "de-DE", "it": "it-IT", "en": "en-GB"}


def announcement_text(*, voice_line: VoiceLine, incident: Incident) -> str:
    """What callers of the line hear, in the business's language."""
    business = voice_line.subscription.business
    with translation.override(business.language):
        due = incident.next_update_due_at
        if due and due > timezone.now():
            expected = _("We will give news by %(time)s.") % {
                "time": date_format(timezone.localtime(due), "DATETIME_FORMAT")
            }
        else:
            expected = _("We are restoring the service as soon as possible.")
        return " ".join(
            [
                _("This is a message from your telephone operator."),
                _("An outage on our network prevents calls to %(company)s from getting through.")
                % {"company": business.company_name},
                _("%(company)s is not at fault.") % {"company": business.company_name},
                expected,
            ]
        )


def _wants_xml(request: HttpRequest) -> bool:
    fmt = request.GET.get("format", "")
    if fmt in ("xml", "text"):
        return fmt == "xml"
    accept = request.headers.get("Accept", "")
    return "application/xml" in accept or "text/xml" in accept


VOICE_TTL = 60  # seconds; publishing, correcting or resolving makes every cached answer stale at once


@never_cache
@require_GET
def voice_announcement(request: HttpRequest, token: str) -> HttpResponse:
    """The phone platform asks what callers of a line should hear: text or TwiML-style XML; 204 when nothing.

    During an outage every call asks, so answers of known lines are cached under the status pages' version.
    """
    if len(token) > TOKEN_MAX:
        raise Http404
    as_xml = _wants_xml(request)
    key = "incidents:voice:{version}:{token}:{fmt}".format(
        version=status_cache_version(),
        token=hashlib.sha256(token.encode()).hexdigest()[:32],
        fmt="xml" if as_xml else "text",
    )
    answer = cache.get(key)
    if answer is None:
        answer = _voice_answer(token, as_xml=as_xml)
        cache.set(key, answer, VOICE_TTL)
    status, body, content_type, language = answer
    if status == 204:
        return HttpResponse(status=204)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Language"] = language
    return response


def _voice_answer(token: str, *, as_xml: bool) -> tuple[int, str, str, str]:
    voice_line = get_object_or_404(
        VoiceLine.objects.select_related("subscription__business", "subscription__service", "subscription__region"),
        token=token,
    )
    incidents = selectors.incidents_affecting_line(voice_line=voice_line)
    if not incidents:
        return (204, "", "", "")
    text = announcement_text(voice_line=voice_line, incident=incidents[0])
    language = voice_line.subscription.business.language
    if as_xml:
        speech = SPEECH_LANGUAGES.get(language, "en-GB")
        body = render_to_string("incidents/voice.xml", {"text": text, "speech_language": speech})
        return (200, body, "application/xml; charset=utf-8", language)
    return (200, text, "text/plain; charset=utf-8", language)
