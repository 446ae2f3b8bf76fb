"""Staff alerts: SLA warnings and breaches, complaint spikes. Run from periodic tasks, never in a request."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from tracker.customers.roles import AGENT, MANAGER

from .models import Complaint, ComplaintSpike
from .services import complaint_sla_breach


def staff_recipients(*, groups=(AGENT, MANAGER)) -> list[str]:
    User = get_user_model()
    return sorted(
        set(
            User.objects.filter(is_active=True, is_staff=True)
            .filter(Q(groups__name__in=groups) | Q(is_superuser=True))
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def _admin_url(name: str, *args) -> str:
    try:
        return settings.SITE_URL + reverse(name, args=args)
    except NoReverseMatch:
        return settings.SITE_URL + reverse("admin:index")


def sla_check(*, now=None) -> tuple[int, int]:
    """Flag breaches and warn agents of complaints due within the warning time. Returns (breached, warned)."""
    now = now or timezone.now()
    breached = 0
    overdue = Complaint.objects.filter(sla_due_at__lt=now, sla_breached=False).values_list("pk", flat=True)
    for pk in list(overdue[:5000]):
        if complaint_sla_breach(complaint_id=pk) is not None:
            breached += 1
    horizon = now + timedelta(minutes=settings.COMPLAINTS_SLA_WARN_MINUTES)
    at_risk = list(
        Complaint.objects.filter(sla_due_at__gte=now, sla_due_at__lte=horizon, sla_warned_at__isnull=True)
        .select_related("assignee", "business")
        .order_by("sla_due_at")[:2000]
    )
    if not at_risk:
        return breached, 0
    by_recipient: dict[tuple[str, ...], list[Complaint]] = defaultdict(list)
    team = tuple(staff_recipients(groups=(AGENT,)))
    for complaint in at_risk:
        if complaint.assignee and complaint.assignee.email:
            by_recipient[(complaint.assignee.email,)].append(complaint)
        else:
            by_recipient[team].append(complaint)
    with override(settings.LANGUAGE_CODE):
        for recipients, complaints in by_recipient.items():
            if not recipients:
                continue
            lines = [
                _("%(ref)s (%(company)s) due %(due)s: %(url)s")
                % {
                    "ref": c.reference,
                    "company": c.business.company_name,
                    "due": timezone.localtime(c.sla_due_at).strftime("%Y-%m-%d %H:%M"),
                    "url": _admin_url("admin:complaints_complaint_change", c.pk),
                }
                for c in complaints
            ]
            EmailMessage(
                subject=_("%(count)s complaints will miss their service level soon") % {"count": len(complaints)},
                body=_("These complaints are due within %(minutes)s minutes:")
                % {"minutes": settings.COMPLAINTS_SLA_WARN_MINUTES}
                + "\n\n"
                + "\n".join(lines),
                to=list(recipients),
            ).send()
    Complaint.objects.filter(pk__in=[c.pk for c in at_risk]).update(sla_warned_at=now)
    return breached, len(at_risk)


def spike_alert_send(*, spike_id: int) -> bool:
    """E-mail staff about a spike, once."""
    spike = ComplaintSpike.objects.select_related("service", "region", "incident").filter(pk=spike_id).first()
    if spike is None or spike.alert_sent_at is not None:
        return False
    claimed = ComplaintSpike.objects.filter(pk=spike.pk, alert_sent_at__isnull=True).update(
        alert_sent_at=timezone.now()
    )
    if not claimed:
        return False
    recipients = staff_recipients()
    if not recipients:
        return False
    with override(settings.LANGUAGE_CODE):
        body = _(
            "%(count)s businesses complained about %(service)s in %(region)s in the last %(minutes)s minutes "
            "(%(previous)s in the window before; usual level %(baseline).1f). No incident was declared.\n\n"
            "A suspected incident was opened: %(incident_url)s\nComplaints: %(complaints_url)s"
        ) % {
            "count": spike.businesses,
            "previous": spike.previous_businesses,
            "service": spike.service.name,
            "region": spike.region.name,
            "minutes": settings.COMPLAINTS_SPIKE_WINDOW_MINUTES,
            "baseline": spike.baseline,
            "incident_url": _admin_url("admin:incidents_incident_change", spike.incident_id)
            if spike.incident_id
            else "-",
            "complaints_url": _admin_url("admin:complaints_complaint_changelist")
            + (f"?incident__id__exact={spike.incident_id}" if spike.incident_id else ""),
        }
        EmailMessage(
            subject=_("Complaint spike: %(service)s in %(region)s")
            % {
                "service": spike.service.name,
                "region": spike.region.name,
            },
            body=body,
            to=recipients,
        ).send()
    return True
