"""Writes of incidents. Admin, API and demo data call these, nothing else writes.

Each function validates (raising a translated ValidationError keyed by field),
writes in one transaction, makes the public pages stale after commit and, when
asked to notify, creates one notification job that the engine expands after commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.customers.models import Contact, Language, Region, Service
from tracker.customers.roles import require_permission
from tracker.notifications.services import notification_job_create
from tracker.security import user_cache

from .cache import status_cache_invalidate
from .models import Correction, Incident, IncidentUpdate, RestorationSnapshot, StatusSubscription
from .signals import incident_scope_changed

logger = logging.getLogger(__name__)

MESSAGE_MAX = 5000
TITLE_MAX = 200
LANGUAGES = {code for code, _label in Language.choices}
# A little slack for clocks of other machines (the phone platform, an API client).
CLOCK_SKEW = dt.timedelta(minutes=2)


def _invalidate_after_commit() -> None:
    transaction.on_commit(status_cache_invalidate)


def _scope_changed_after_commit(
    *, incident_id: int, reason: str, service_ids: Iterable[int] | None = None, region_ids: Iterable[int] | None = None
) -> None:
    """Tell the apps, once committed, which services and regions an incident newly covers.

    Without ids, the whole scope (a declaration): read after commit, and only when someone listens.
    """

    def send() -> None:
        if not incident_scope_changed.has_listeners(Incident):
            return
        services, regions = service_ids, region_ids
        if services is None or regions is None:
            incident = Incident.objects.filter(pk=incident_id).first()
            if incident is None:
                return
            services = incident.services.values_list("pk", flat=True)
            regions = incident.regions.values_list("pk", flat=True)
        for receiver, error in incident_scope_changed.send_robust(
            Incident,
            incident_id=incident_id,
            service_ids=sorted(services),
            region_ids=sorted(regions),
            reason=reason,
        ):
            if isinstance(error, Exception):
                # The incident is committed and told; a failing app must not turn that into an error page.
                logger.error("incident_scope_changed receiver %r failed", receiver, exc_info=error)

    transaction.on_commit(send)


def _not_future(value: dt.datetime | None, *, field: str, now: dt.datetime, errors: dict) -> None:
    if value is not None and value > now + CLOCK_SKEW:
        errors[field] = _("This time is in the future.")


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _clean_title(title: str, errors: dict) -> str:
    title = (title or "").strip()
    if not title:
        errors["title"] = _("Give the incident a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("The title is at most %(max)d characters long.") % {"max": TITLE_MAX}
    return title


def _clean_message(message: str, errors: dict, field: str = "message") -> str:
    message = (message or "").strip()
    if not message:
        errors[field] = _("Write the message.")
    elif len(message) > MESSAGE_MAX:
        errors[field] = _("The message is at most %(max)d characters long.") % {"max": MESSAGE_MAX}
    return message


def _clean_translations(translations: Mapping | None, language: str, errors: dict) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for code, text in (translations or {}).items():
        if code not in LANGUAGES:
            errors["translations"] = _("Unknown language %(code)s.") % {"code": str(code)[:10]}
            continue
        if text is None or code == language:
            continue
        if not isinstance(text, str):
            errors["translations"] = _("A translation must be text.")
            continue
        text = text.strip()
        if len(text) > MESSAGE_MAX:
            errors["translations"] = _("A translation is at most %(max)d characters long.") % {"max": MESSAGE_MAX}
        elif text:
            cleaned[code] = text
    return cleaned


def _clean_percent(percent, errors: dict, field: str = "restored_percent") -> int | None:
    if percent is None:
        return None
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        errors[field] = _("The share restored is a whole number from 0 to 100.")
        return None
    return percent


def _clean_places(services: Iterable[Service], regions: Iterable[Region], errors: dict) -> tuple[list, list]:
    services, regions = list(services), list(regions)
    if not services:
        errors["services"] = _("Choose at least one affected service.")
    if not regions:
        errors["regions"] = _("Choose at least one affected region.")
    return services, regions


@transaction.atomic
def incident_suspect(
    *,
    title: str,
    services: Iterable[Service],
    regions: Iterable[Region],
    started_at: dt.datetime,
    detected_at: dt.datetime | None = None,
    severity: str = Incident.Severity.MAJOR,
) -> Incident:
    """Record a suspected incident (not public, nobody told): e.g. complaints spiking."""
    now = timezone.now()
    errors: dict = {}
    title = _clean_title(title, errors)
    services, regions = _clean_places(services, regions, errors)
    detected_at = detected_at or now
    _not_future(started_at, field="started_at", now=now, errors=errors)
    _not_future(detected_at, field="detected_at", now=now, errors=errors)
    if "started_at" not in errors and started_at and detected_at < started_at:
        errors["detected_at"] = _("An outage cannot be detected before it started.")
    if severity not in Incident.Severity.values:
        errors["severity"] = _("Unknown severity.")
    _raise(errors)
    incident = Incident.objects.create(
        title=title,
        status=Incident.Status.SUSPECTED,
        severity=severity,
        started_at=started_at,
        detected_at=detected_at,
    )
    incident.services.set(services)
    incident.regions.set(regions)
    return incident


@transaction.atomic
def incident_declare(
    *,
    title: str,
    services: Iterable[Service],
    regions: Iterable[Region],
    started_at: dt.datetime,
    message: str,
    language: str,
    translations: Mapping | None = None,
    status: str = Incident.Status.INVESTIGATING,
    severity: str = Incident.Severity.MAJOR,
    detected_at: dt.datetime | None = None,
    declared_at: dt.datetime | None = None,
    next_update_due_at: dt.datetime | None = None,
    notify: bool = True,
    author=None,
) -> Incident:
    """Declare an outage in public with its first update; its audience is told."""
    require_permission(author, "incidents.add_incident")
    now = timezone.now()
    declared_at = declared_at or now
    errors: dict = {}
    _not_future(started_at, field="started_at", now=now, errors=errors)
    _not_future(declared_at, field="declared_at", now=now, errors=errors)
    if not errors and started_at and declared_at < started_at:
        errors["declared_at"] = _("An outage cannot be declared before it started.")
    if status == Incident.Status.SUSPECTED:
        errors["status"] = _("A declared incident is no longer suspected.")
    if status == Incident.Status.RESOLVED:
        errors["status"] = _("Declare the incident first, then resolve it.")
    _raise(errors)
    incident = incident_suspect(
        title=title,
        services=services,
        regions=regions,
        started_at=started_at,
        detected_at=detected_at or declared_at,
        severity=severity,
    )
    incident_update_publish(
        incident=incident,
        status=status,
        message=message,
        language=language,
        translations=translations,
        next_update_due_at=next_update_due_at,
        notify=notify,
        author=author,
        published_at=declared_at,
    )
    incident.refresh_from_db()
    return incident


@transaction.atomic
def incident_update_publish(
    *,
    incident: Incident,
    status: str,
    message: str,
    language: str,
    translations: Mapping | None = None,
    restored_percent: int | None = None,
    restored_region: Region | None = None,
    next_update_due_at: dt.datetime | None = None,
    resolved_at: dt.datetime | None = None,
    notify: bool = True,
    author=None,
    published_at: dt.datetime | None = None,
) -> IncidentUpdate:
    """Publish one timeline entry; publishing declares a suspected incident.

    ``restored_percent`` is the share restored overall, or in ``restored_region`` only.
    Resolving needs ``resolved_at``; everything then counts as restored (100 % overall).
    """
    require_permission(author, "incidents.add_incidentupdate")
    now = timezone.now()
    published_at = published_at or now
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    errors: dict = {}
    message = _clean_message(message, errors)
    if language not in LANGUAGES:
        errors["language"] = _("Choose the language the message is written in.")
    translations = _clean_translations(translations, language, errors)
    restored_percent = _clean_percent(restored_percent, errors)
    if restored_region is not None:
        if restored_percent is None:
            errors["restored_percent"] = _("Give the share restored in this region.")
        elif not incident.regions.filter(pk=restored_region.pk).exists():
            errors["restored_region"] = _("This region is not affected by the incident.")
    if status not in Incident.Status.values:
        errors["status"] = _("Unknown status.")
    elif status not in Incident.ALLOWED_TRANSITIONS[incident.status]:
        errors["status"] = _("An incident cannot go from %(old)s to %(new)s.") % {
            "old": incident.get_status_display(),
            "new": Incident.Status(status).label,
        }
    _not_future(published_at, field="published_at", now=now, errors=errors)
    if published_at < incident.started_at:
        errors["published_at"] = _("An update cannot be published before the outage started.")
    if status == Incident.Status.RESOLVED:
        if resolved_at is None:
            errors["resolved_at"] = _("Give the time the outage was resolved.")
        else:
            _not_future(resolved_at, field="resolved_at", now=now, errors=errors)
            if resolved_at < incident.started_at:
                errors["resolved_at"] = _("An outage cannot be resolved before it started.")
        if next_update_due_at is not None:
            errors["next_update_due_at"] = _("A resolved incident needs no next update.")
    elif resolved_at is not None:
        errors["resolved_at"] = _("Only a resolved incident has a resolution time.")
    if next_update_due_at is not None and next_update_due_at <= published_at:
        errors["next_update_due_at"] = _("The next update must be promised for later than this one.")
    _raise(errors)

    update = IncidentUpdate.objects.create(
        incident=incident,
        status=status,
        message=message,
        language=language,
        translations=translations,
        published_at=published_at,
        author=author,
        notify=notify,
    )
    fields = ["status", "next_update_due_at", "resolved_at", "updated_at"]
    incident.status = status
    if incident.declared_at is None:
        incident.declared_at = published_at
        fields.append("declared_at")
        _scope_changed_after_commit(incident_id=incident.pk, reason="declared")
    if status == Incident.Status.RESOLVED:
        incident.resolved_at = resolved_at
        incident.next_update_due_at = None
        if restored_region is not None:
            incident_restoration_record(
                incident=incident, percent=restored_percent, region=restored_region, recorded_at=published_at
            )
            restored_region = None
        restored_percent = 100
    else:
        incident.resolved_at = None
        incident.next_update_due_at = next_update_due_at
    incident.save(update_fields=fields)
    if restored_percent is not None:
        incident_restoration_record(
            incident=incident, percent=restored_percent, region=restored_region, recorded_at=published_at
        )
    if notify:
        job = notification_job_create(
            kind="incident.update",
            params={"update_id": update.pk},
            dedupe_key=f"incident-update:{update.pk}",
            created_by=author,
        )
        update.notification_job = job
        update.save(update_fields=["notification_job"])
    _invalidate_after_commit()
    return update


@transaction.atomic
def incident_resolve(
    *,
    incident: Incident,
    resolved_at: dt.datetime | None,
    message: str,
    language: str,
    translations: Mapping | None = None,
    notify: bool = True,
    author=None,
) -> IncidentUpdate:
    """Close the incident with a last update; everything counts as restored."""
    return incident_update_publish(
        incident=incident,
        status=Incident.Status.RESOLVED,
        message=message,
        language=language,
        translations=translations,
        restored_percent=100,
        resolved_at=resolved_at,
        notify=notify,
        author=author,
        published_at=max(resolved_at, incident.started_at) if resolved_at else None,
    )


@transaction.atomic
def incident_restoration_record(
    *,
    incident: Incident,
    percent: int,
    region: Region | None = None,
    recorded_at: dt.datetime | None = None,
) -> RestorationSnapshot:
    """Record the share of affected customers restored, overall (no region) or in one region."""
    now = timezone.now()
    recorded_at = recorded_at or now
    errors: dict = {}
    percent = _clean_percent(percent, errors, field="percent")
    _not_future(recorded_at, field="recorded_at", now=now, errors=errors)
    if region is not None and not incident.regions.filter(pk=region.pk).exists():
        errors["region"] = _("This region is not affected by the incident.")
    _raise(errors)
    snapshot = RestorationSnapshot.objects.create(
        incident=incident, region=region, percent=percent, recorded_at=recorded_at
    )
    if region is None:
        Incident.objects.filter(pk=incident.pk).update(restored_percent=percent, updated_at=now)
        incident.restored_percent = percent
    _invalidate_after_commit()
    return snapshot


def _names(objects: Iterable) -> str:
    return ", ".join(sorted(str(o) for o in objects))


@transaction.atomic
def incident_correct(
    *,
    incident: Incident,
    changes: Mapping,
    notify: bool,
    author=None,
    corrected_at: dt.datetime | None = None,
) -> list[Correction]:
    """Correct what the public sees, in the open: each change keeps what was shown before.

    ``changes`` may hold ``title``, ``services``, ``regions``, ``severity``,
    ``started_at`` and ``updates`` ({update id: new text}; the staff
    translations of a corrected text are dropped, they translated the old one).
    Values equal to the current ones are ignored. With ``notify``, the audience
    is told of the corrections (one job).
    """
    require_permission(author, "incidents.change_incident")
    now = timezone.now()
    corrected_at = corrected_at or now
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    allowed = {"title", "services", "regions", "severity", "started_at", "updates"}
    errors: dict = {}
    unknown = set(changes) - allowed
    if unknown:
        errors["__all__"] = _("These fields cannot be corrected: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
    _not_future(corrected_at, field="corrected_at", now=now, errors=errors)
    pending: list[tuple[str, str, str, IncidentUpdate | None]] = []
    apply = []

    if "title" in changes:
        title = _clean_title(changes["title"], errors)
        if title and title != incident.title:
            pending.append((Correction.Field.TITLE, incident.title, title, None))
            apply.append(lambda title=title: setattr(incident, "title", title))
    if "severity" in changes:
        severity = changes["severity"]
        if severity not in Incident.Severity.values:
            errors["severity"] = _("Unknown severity.")
        elif severity != incident.severity:
            old = incident.get_severity_display()
            pending.append((Correction.Field.SEVERITY, str(old), str(Incident.Severity(severity).label), None))
            apply.append(lambda severity=severity: setattr(incident, "severity", severity))
    if "started_at" in changes:
        started_at = changes["started_at"]
        if started_at is None:
            errors["started_at"] = _("Give the time the outage started.")
        else:
            _not_future(started_at, field="started_at", now=now, errors=errors)
            if incident.resolved_at and started_at > incident.resolved_at:
                errors["started_at"] = _("An outage cannot start after it was resolved.")
            elif started_at != incident.started_at and "started_at" not in errors:
                pending.append(
                    (Correction.Field.STARTED_AT, incident.started_at.isoformat(), started_at.isoformat(), None)
                )
                apply.append(lambda started_at=started_at: setattr(incident, "started_at", started_at))
    m2m = []
    added: dict[str, set[int]] = {"services": set(), "regions": set()}
    for name, field in (("services", Correction.Field.SERVICES), ("regions", Correction.Field.REGIONS)):
        if name not in changes:
            continue
        new = list(changes[name])
        if not new:
            errors[name] = (
                _("Choose at least one affected service.")
                if name == "services"
                else _("Choose at least one affected region.")
            )
            continue
        current = list(getattr(incident, name).all())
        if {o.pk for o in new} != {o.pk for o in current}:
            pending.append((field, _names(current), _names(new), None))
            m2m.append((name, new))
            added[name] = {o.pk for o in new} - {o.pk for o in current}
    update_changes = []
    for update_id, text in (changes.get("updates") or {}).items():
        update = IncidentUpdate.objects.filter(pk=update_id, incident=incident).first()
        if update is None:
            errors["updates"] = _("This update does not belong to the incident.")
            continue
        text = _clean_message(text, errors, field="updates")
        if text and text != update.message:
            pending.append((Correction.Field.UPDATE_MESSAGE, update.message, text, update))
            update_changes.append((update, text))
    _raise(errors)
    if not pending:
        return []

    for setter in apply:
        setter()
    incident.save()
    for name, objects in m2m:
        getattr(incident, name).set(objects)
    if incident.declared_at is not None and (added["services"] or added["regions"]):
        _scope_changed_after_commit(
            incident_id=incident.pk,
            reason="widened",
            service_ids=added["services"],
            region_ids=added["regions"],
        )
    for update, text in update_changes:
        update.message = text
        update.translations = {}
        update.save(update_fields=["message", "translations"])
    corrections = Correction.objects.bulk_create(
        [
            Correction(
                incident=incident,
                update=update,
                field=field,
                previous_value=previous[:MESSAGE_MAX],
                new_value=new[:MESSAGE_MAX],
                corrected_at=corrected_at,
                author=author,
                notified=notify,
            )
            for field, previous, new, update in pending
        ]
    )
    if notify:
        ids = [c.pk for c in corrections]
        notification_job_create(
            kind="incident.correction",
            params={"incident_id": incident.pk, "correction_ids": ids},
            dedupe_key=f"incident-correction:{ids[0]}",
            created_by=author,
        )
    _invalidate_after_commit()
    return corrections


@transaction.atomic
def incident_update_reminders_mark(*, now: dt.datetime | None = None) -> list[Incident]:
    """Claim the incidents whose promised update is overdue and not yet reminded of (once per due time).

    The conditional UPDATE makes a concurrent second run claim nothing.
    """
    from .selectors import incidents_overdue_for_update

    now = now or timezone.now()
    claimed = []
    for incident in incidents_overdue_for_update(now=now).select_for_update().order_by("pk"):
        if incident.reminder_sent_for == incident.next_update_due_at:
            continue
        done = Incident.objects.filter(pk=incident.pk, next_update_due_at=incident.next_update_due_at).exclude(
            reminder_sent_for=incident.next_update_due_at
        )
        if done.update(reminder_sent_for=incident.next_update_due_at):
            claimed.append(incident)
    return claimed


# --- Visitors' e-mail subscriptions (double opt-in) -----------------------------


@transaction.atomic
def status_subscription_request(*, email: str, service: Service, region: Region, language: str) -> StatusSubscription:
    """A visitor asks for e-mails about a service in a region; a confirmation link is e-mailed after commit.

    The same answer whether or not the address was known (nothing is revealed);
    at most one confirmation e-mail per subscription every ten minutes.
    """
    from .tasks import send_subscription_confirmation

    email = (email or "").strip()
    errors: dict = {}
    if not email or len(email) > 254 or "@" not in email:
        errors["email"] = _("Enter a valid e-mail address.")
    if language not in LANGUAGES:
        language = Language.EN
    _raise(errors)
    email = email.rsplit("@", 1)[0] + "@" + email.rsplit("@", 1)[1].lower()
    contact = Contact.objects.filter(business__isnull=True, email__iexact=email).order_by("pk").first()
    if contact is None:
        contact = Contact.objects.create(business=None, email=email, language=language, wants_email=True)
    subscription, _created = StatusSubscription.objects.get_or_create(contact=contact, service=service, region=region)
    if subscription.confirmed_at is None:
        send_subscription_confirmation.delay_on_commit(subscription.pk, language)
    return subscription


@transaction.atomic
def status_subscription_confirm(*, token: str) -> StatusSubscription | None:
    """Confirm by the e-mailed token; None for an unknown token. Confirming twice changes nothing."""
    subscription = StatusSubscription.objects.select_for_update().filter(token=token).first()
    if subscription is None:
        return None
    if subscription.confirmed_at is None:
        subscription.confirmed_at = timezone.now()
        subscription.save(update_fields=["confirmed_at"])
        Contact.objects.filter(pk=subscription.contact_id, unsubscribed_at__isnull=False).update(unsubscribed_at=None)
        user_cache.forget(Contact.objects.filter(pk=subscription.contact_id).values_list("user_id", flat=True))
    return subscription


@transaction.atomic
def status_subscription_cancel(*, token: str) -> bool:
    """Stop the e-mails of one subscription; True when there was one."""
    deleted, _detail = StatusSubscription.objects.filter(token=token).delete()
    return bool(deleted)
