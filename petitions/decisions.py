"""Compensation: proposals from the rules, offers with maker and checker, the business's answer, billing export."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldError, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.customers.models import Business, Subscription
from tracker.customers.roles import require_permission
from tracker.incidents.models import Incident

from . import compensation
from .models import CompensationDecision, CompensationRule, Signature

Status = CompensationDecision.Status
APPROVE_PERMISSION = "petitions.approve_compensationdecision"
OFFER_PERMISSION = "petitions.change_compensationdecision"


def approval_limit() -> Decimal:
    return Decimal(str(getattr(settings, "PETITIONS_COMPENSATION_APPROVAL_LIMIT", "500")))


def rule_for_incident(*, incident: Incident) -> CompensationRule | None:
    """The incident's own rule if any, else the default regime, in the version effective at the outage start."""
    for scope in (Q(incident=incident), Q(incident__isnull=True)):
        rule = (
            CompensationRule.objects.filter(scope, effective_from__lte=incident.started_at)
            .order_by("-effective_from", "-pk")
            .first()
        )
        if rule:
            return rule
    return None


def restoration_history(*, incident: Incident) -> dict[int | None, list[tuple]]:
    """{region id or None (overall): [(when, percent)]} from the incidents app's history, when it keeps one."""
    try:
        model = apps.get_model("incidents", "RestorationSnapshot")
    except LookupError:
        return {}
    history: dict[int | None, list[tuple]] = defaultdict(list)
    try:
        rows = model.objects.filter(incident=incident).values_list("region_id", "recorded_at", "percent")
        for region_id, when, percent in rows:
            history[region_id].append((when, percent))
    except (FieldError, ValueError):
        return {}
    return history


def merged_history(*, overall: list[tuple], regional: list[tuple]) -> list[tuple]:
    """One region's history: its own latest snapshot once it has one, the overall share before that."""
    events = sorted([(when, 1, pct) for when, pct in regional] + [(when, 0, pct) for when, pct in overall])
    merged, last_overall, last_regional = [], None, None
    for when, is_regional, pct in events:
        if is_regional:
            last_regional = pct
        else:
            last_overall = pct
        merged.append((when, last_regional if last_regional is not None else last_overall))
    return merged


def incident_segments(*, incident: Incident, region_id: int | None, history=None) -> list[compensation.Segment]:
    if history is None:
        history = restoration_history(incident=incident)
    points = merged_history(overall=history.get(None, []), regional=history.get(region_id, []) if region_id else [])
    return compensation.segments_from_history(
        started_at=incident.started_at, resolved_at=incident.resolved_at, history=points, now=timezone.now()
    )


def affected_subscriptions(*, incident: Incident):
    return (
        Subscription.objects.filter(service__in=incident.services.all(), region__in=incident.regions.all())
        .select_related("business", "service", "region")
        .order_by("business_id", "pk")
    )


def _is_business_line(business: Business) -> bool:
    return business.tier in (Business.Tier.BUSINESS, Business.Tier.PREMIUM)


@transaction.atomic
def compensation_propose(*, incident: Incident, rule: CompensationRule | None = None, by=None) -> int:
    """Compute a proposal for every affected subscription and (re)write the decisions still at "proposed".

    Decisions already offered or answered are left alone. Returns decisions written.
    """
    require_permission(by, OFFER_PERMISSION)
    rule = rule or rule_for_incident(incident=incident)
    if rule is None:
        raise ValidationError(_("No compensation rule applies to this incident."))
    try:
        rules = compensation.rules_from(rule.preset, rule.params)
    except compensation.RulesError as exc:
        raise ValidationError(_("The compensation rule is invalid: %(error)s") % {"error": exc}) from None
    history = restoration_history(incident=incident)
    reported_at = incident.detected_at or incident.started_at
    segments_by_region: dict[int, list] = {}
    grouped: dict[tuple[int, str], dict] = {}
    for sub in affected_subscriptions(incident=incident):
        if sub.region_id not in segments_by_region:
            segments_by_region[sub.region_id] = incident_segments(
                incident=incident, region_id=sub.region_id, history=history
            )
        result = compensation.compute(
            rules=rules,
            segments=segments_by_region[sub.region_id],
            monthly_fee=sub.monthly_fee,
            business_line=_is_business_line(sub.business),
            reported_at=reported_at,
        )
        entry = grouped.setdefault((sub.business_id, sub.currency), {"amount": Decimal("0.00"), "lines": []})
        entry["amount"] += result.amount
        entry["lines"].append(
            {
                "subscription": sub.pk,
                "service": sub.service.name,
                "site": sub.site_label,
                "monthly_fee": str(sub.monthly_fee),
                "amount": str(result.amount),
                **result.breakdown,
            }
        )
    claims = {
        (row["business_id"], row["loss_currency"]): row["total"]
        for row in Signature.objects.filter(
            petition__incidents=incident,
            verified_customer=True,
            confirmed_at__isnull=False,
            withdrawn_at__isnull=True,
            invalidated_at__isnull=True,
        )
        .values("business_id", "loss_currency")
        .annotate(total=Sum("loss_amount"))
    }
    existing = {(d.business_id, d.currency): d for d in CompensationDecision.objects.filter(incident=incident)}
    to_create, to_update = [], []
    for key, entry in grouped.items():
        claimed = claims.get(key)
        values = {
            "rule": rule,
            "proposed_amount": entry["amount"],
            "lines": entry["lines"],
            "claimed_amount": claimed,
            "flagged": claimed is not None and claimed > entry["amount"],
        }
        decision = existing.get(key)
        if decision is None:
            to_create.append(CompensationDecision(incident=incident, business_id=key[0], currency=key[1], **values))
        elif decision.status == Status.PROPOSED:
            for field, value in values.items():
                setattr(decision, field, value)
            to_update.append(decision)
    CompensationDecision.objects.bulk_create(to_create, batch_size=500)
    CompensationDecision.objects.bulk_update(to_update, list(values), batch_size=500)
    return len(to_create) + len(to_update)


def _money(amount) -> Decimal:
    try:
        value = Decimal(str(amount))
    except ArithmeticError:
        raise ValidationError(_("Enter an amount.")) from None
    if not value.is_finite() or value < 0 or value >= Decimal("10000000000"):
        raise ValidationError(_("The amount must be between 0 and 9,999,999,999.99."))
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError(_("The amount has at most two decimals."))
    return value


def _locked(decision: CompensationDecision) -> CompensationDecision:
    return CompensationDecision.objects.select_for_update().get(pk=decision.pk)


def _move(decision: CompensationDecision, to: str) -> None:
    if not decision.can_become(to):
        raise ValidationError(
            _("A decision cannot go from %(current)s to %(target)s.")
            % {"current": decision.get_status_display(), "target": Status(to).label}
        )
    decision.status = to


@transaction.atomic
def decision_offer(*, decision: CompensationDecision, by, amount=None) -> CompensationDecision:
    """The maker offers an amount (the proposal by default); over the limit it waits for a checker."""
    require_permission(by, OFFER_PERMISSION)
    decision = _locked(decision)
    value = _money(decision.proposed_amount if amount is None else amount)
    decision.offered_amount = value
    decision.offered_by = by
    decision.approved_by = None
    if value > approval_limit():
        _move(decision, Status.AWAITING_APPROVAL)
        decision.save()
        return decision
    _move(decision, Status.OFFERED)
    decision.offered_at = timezone.now()
    decision.save()
    _notify_offer(decision)
    return decision


@transaction.atomic
def decision_approve(*, decision: CompensationDecision, by) -> CompensationDecision:
    """The checker (a manager other than the maker) approves an offer over the limit."""
    decision = _locked(decision)
    if not by.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied(_("Only a manager can approve compensation over the limit."))
    if decision.offered_by_id == by.pk:
        raise PermissionDenied(_("The person who made the offer cannot also approve it."))
    _move(decision, Status.OFFERED)
    decision.approved_by = by
    decision.offered_at = timezone.now()
    decision.save()
    _notify_offer(decision)
    return decision


def _notify_offer(decision: CompensationDecision) -> None:
    from tracker.notifications.services import notification_job_create

    from .kinds import COMPENSATION_OFFERED

    notification_job_create(
        kind=COMPENSATION_OFFERED,
        params={"decision_id": decision.pk},
        dedupe_key=f"compensation-offer:{decision.pk}:{decision.offered_at.timestamp():.0f}",
        created_by=decision.approved_by or decision.offered_by,
    )


@transaction.atomic
def decision_answer(
    *, decision: CompensationDecision, user, action: str, amount=None, comment: str = ""
) -> CompensationDecision:
    """The business accepts, counters (with an amount) or rejects an offer in its portal."""
    decision = _locked(decision)
    contact = getattr(user, "contact", None)
    if contact is None or contact.business_id != decision.business_id:
        raise PermissionDenied(_("This offer is for another business."))
    # Money is settled on the business's behalf: only its administrator contacts answer.
    if not contact.is_business_admin:
        raise PermissionDenied(_("Only an administrator of the business can answer an offer."))
    targets = {"accept": Status.ACCEPTED, "counter": Status.COUNTERED, "reject": Status.REJECTED}
    if action not in targets:
        raise ValidationError(_("Choose accept, counter or reject."))
    _move(decision, targets[action])
    if action == "counter":
        if amount in (None, ""):
            raise ValidationError(_("Enter the amount you ask for."))
        decision.counter_amount = _money(amount)
    decision.business_comment = comment.strip()[:1000]
    decision.answered_by = user
    decision.answered_at = timezone.now()
    decision.save()
    return decision


@transaction.atomic
def decisions_export(*, queryset) -> str:
    """CSV of the accepted credits for billing; marks them exported."""
    rows = list(
        queryset.filter(status=Status.ACCEPTED).select_related("business", "incident").order_by("incident_id", "pk")
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["decision", "incident", "customer_number", "company", "currency", "amount", "accepted_at"])
    for d in rows:
        writer.writerow(
            [
                d.pk,
                d.incident_id,
                d.business.customer_number,
                d.business.company_name,
                d.currency,
                d.offered_amount,
                d.answered_at.isoformat() if d.answered_at else "",
            ]
        )
    CompensationDecision.objects.filter(pk__in=[d.pk for d in rows], exported_at__isnull=True).update(
        exported_at=timezone.now()
    )
    return out.getvalue()
