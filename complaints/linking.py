"""Linking open complaints to an incident when it is declared or widened.

The incidents core sends ``incident_scope_changed`` after commit; the receiver
records a LinkProposal of the open, unlinked complaints that match the new
scope. An agent reviews it in the admin and confirms (the complaints are linked
in bulk, each with its history row) or dismisses it. Once linked, a complaint's
author hears the incident's updates (an audience extension), even when no
subscription of theirs is affected.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.incidents.models import Incident
from tracker.security.admin_site import AdminNotice

from .models import OPEN_STATUSES, Complaint, LinkProposal, LinkProposalItem
from .spikes import complaints_link_many

# Customers round "since when" ("since this morning"): a complaint whose trouble began a little
# before the incident's start still belongs to it.
SINCE_TOLERANCE = timedelta(hours=2)
CONFIRM_PERMISSION = "complaints.change_complaint"
REVIEW_PAGE_SIZE = 50
BANNER_LIMIT = 5


# --- Reads ----------------------------------------------------------------------------------------


def link_candidates(*, incident: Incident, scope: Q) -> QuerySet[Complaint]:
    """Open complaints within ``scope`` (service and region pairs), not linked to any incident,
    whose trouble began within the incident's time window."""
    qs = Complaint.objects.filter(
        scope,
        status__in=OPEN_STATUSES,
        incident__isnull=True,
        since__gte=incident.started_at - SINCE_TOLERANCE,
    )
    if incident.resolved_at is not None:
        qs = qs.filter(since__lte=incident.resolved_at)
    return qs


def link_proposal_complaints(*, proposal: LinkProposal) -> QuerySet[LinkProposalItem]:
    """The proposal's complaints, newest first, with business, service, region and incident joined."""
    return (
        LinkProposalItem.objects.filter(proposal=proposal)
        .select_related("complaint__business", "complaint__service", "complaint__region", "complaint__incident")
        .order_by("-complaint_id")
    )


def link_proposals_pending(*, limit: int = BANNER_LIMIT) -> list[LinkProposal]:
    """The newest undecided proposals with their incident (one query): the admin banner."""
    return list(
        LinkProposal.objects.filter(state=LinkProposal.State.PENDING)
        .select_related("incident")
        .order_by("-created_at", "-id")[:limit]
    )


def linked_complaint_authors(incident: Incident) -> QuerySet:
    """Audience extension: the contacts who filed a complaint linked to the incident (a subquery)."""
    return Complaint.objects.filter(incident_id=incident.pk, contact__isnull=False).values("contact_id")


# --- Writes ---------------------------------------------------------------------------------------


@transaction.atomic
def link_proposal_create(
    *, incident_id: int, service_ids: list[int], region_ids: list[int], reason: str
) -> LinkProposal | None:
    """Propose the open complaints the incident's new scope matches; None when nothing matches.

    The new scope is every (service, region) pair of the incident that involves an added service
    or an added region: pairs it covered before were proposed (or linked at filing) already.
    """
    incident = Incident.objects.filter(pk=incident_id, declared_at__isnull=False).first()
    if incident is None:
        return None
    services = set(incident.services.values_list("pk", flat=True))
    regions = set(incident.regions.values_list("pk", flat=True))
    added_services, added_regions = set(service_ids) & services, set(region_ids) & regions
    if not added_services and not added_regions:
        return None
    scope = Q(service_id__in=added_services, region_id__in=regions) | Q(
        service_id__in=services, region_id__in=added_regions
    )
    ids = list(link_candidates(incident=incident, scope=scope).order_by("pk").values_list("pk", flat=True))
    if not ids:
        return None
    try:
        with transaction.atomic():
            proposal = LinkProposal.objects.create(
                incident=incident,
                reason=reason,
                service_ids=sorted(added_services),
                region_ids=sorted(added_regions),
                complaint_count=len(ids),
            )
    except IntegrityError:
        return None  # this declaration was already proposed
    LinkProposalItem.objects.bulk_create(
        [LinkProposalItem(proposal=proposal, complaint_id=pk) for pk in ids], batch_size=1000
    )
    return proposal


def _decide(*, proposal_id: int, actor, state: str) -> LinkProposal:
    if actor is None or not actor.has_perm(CONFIRM_PERMISSION):
        raise PermissionDenied(_("You may not link complaints to incidents."))
    proposal = LinkProposal.objects.select_for_update().select_related("incident").get(pk=proposal_id)
    if proposal.state != LinkProposal.State.PENDING:
        raise ValidationError(_("This proposal was already decided."))
    proposal.state = state
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    return proposal


@transaction.atomic
def link_proposal_confirm(*, proposal_id: int, actor) -> int:
    """Link the proposed complaints that are still open and unlinked; returns how many were linked."""
    proposal = _decide(proposal_id=proposal_id, actor=actor, state=LinkProposal.State.CONFIRMED)
    # Decided since the proposal: closed, or linked by hand to some incident. Those stay as they are.
    still_matching = Complaint.objects.filter(
        pk__in=proposal.items.values("complaint_id"), status__in=OPEN_STATUSES, incident__isnull=True
    )
    ids = list(still_matching.values_list("pk", flat=True))
    proposal.linked_count = complaints_link_many(
        complaint_ids=ids, incident=proposal.incident, actor=actor, reason="proposal"
    )
    proposal.save(update_fields=["state", "decided_by", "decided_at", "linked_count"])
    return proposal.linked_count


@transaction.atomic
def link_proposal_dismiss(*, proposal_id: int, actor) -> LinkProposal:
    """Decide not to link: nothing changes on the complaints."""
    proposal = _decide(proposal_id=proposal_id, actor=actor, state=LinkProposal.State.DISMISSED)
    proposal.save(update_fields=["state", "decided_by", "decided_at"])
    return proposal


# --- Hooks into the core ---------------------------------------------------------------------------


def on_incident_scope_changed(sender, *, incident_id: int, service_ids, region_ids, reason: str, **kwargs) -> None:
    link_proposal_create(incident_id=incident_id, service_ids=service_ids, region_ids=region_ids, reason=reason)


def admin_index_notices(request) -> list[AdminNotice]:
    """Banners of the admin index: unacknowledged spikes and undecided link proposals (one query each)."""
    from .selectors import spikes_open

    user = request.user
    notices = []
    if user.has_perm("complaints.view_complaintspike"):
        for spike in spikes_open()[:BANNER_LIMIT]:
            notices.append(
                AdminNotice(
                    text=_("Complaint spike: %(count)s businesses about %(service)s in %(region)s.")
                    % {"count": spike.businesses, "service": spike.service, "region": spike.region},
                    url=reverse("admin:complaints_complaintspike_changelist") + "?acknowledged_at__isempty=1",
                    link_text=_("Review"),
                )
            )
    if user.has_perm("complaints.view_linkproposal"):
        for proposal in link_proposals_pending():
            notices.append(
                AdminNotice(
                    text=_("%(count)s open complaints match incident %(incident)s.")
                    % {"count": proposal.complaint_count, "incident": proposal.incident},
                    url=reverse("admin:complaints_linkproposal_change", args=[proposal.pk]),
                    link_text=_("Review"),
                )
            )
    return notices
