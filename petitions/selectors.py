"""Reads of petitions: public lists, the cached live count, a business's decisions."""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import cache
from django.db.models import QuerySet

from .models import CompensationDecision, Petition, PetitionTally

COUNT_CACHE_SECONDS = 2


def petition_list_public() -> QuerySet[Petition]:
    """Open, closed and answered petitions with their tally (select_related) and incidents (prefetched)."""
    return (
        Petition.objects.filter(status__in=Petition.PUBLIC)
        .select_related("tally")
        .prefetch_related("incidents")
        .order_by("-opens_at", "-pk")
    )


def petition_get_public(*, slug: str) -> Petition | None:
    return (
        Petition.objects.filter(slug=slug, status__in=Petition.PUBLIC)
        .select_related("tally")
        .prefetch_related("incidents", "thresholds")
        .first()
    )


def petition_get_for_signing(*, slug: str) -> Petition | None:
    """The petition alone (no prefetch): the signing POST needs its status, dates and salt."""
    return Petition.objects.filter(slug=slug, status__in=Petition.PUBLIC).first()


def petition_of_signature(*, signature_id: int) -> Petition | None:
    """The petition a signature belongs to (slug and title for the link pages), or None if the row is gone."""
    fields = ["pk", "slug", "title", "language", "translations", "status"]
    return Petition.objects.filter(signatures__pk=signature_id).only(*fields).first()


def tally_as_dict(tally: PetitionTally | None) -> dict:
    if tally is None:
        return {"confirmed": 0, "verified": 0, "losses": {}, "counted_at": None}
    return {
        "confirmed": tally.confirmed,
        "verified": tally.verified,
        "losses": tally.losses,
        "counted_at": tally.counted_at.isoformat() if tally.counted_at else None,
    }


def petition_count_cached(*, slug: str) -> dict | None:
    """The live counter's data, cached a couple of seconds: one query per petition per period at most."""
    key = f"petitions:count:{slug}"[:200]
    data = cache.get(key)
    if data is None:
        petition = Petition.objects.filter(slug=slug, status__in=Petition.PUBLIC).select_related("tally").first()
        if petition is None:
            return None
        data = tally_as_dict(getattr(petition, "tally", None))
        cache.set(key, data, COUNT_CACHE_SECONDS)
    return data


def decision_list_for_business(*, business_id: int) -> QuerySet[CompensationDecision]:
    """A business's decisions that it may see (offered and after), with the incident (select_related)."""
    return (
        CompensationDecision.objects.filter(business_id=business_id)
        .exclude(status__in=[CompensationDecision.Status.PROPOSED, CompensationDecision.Status.AWAITING_APPROVAL])
        .select_related("incident")
        .order_by("-offered_at", "-pk")
    )


def incidents_hitting_business(*, business_id: int):
    """Declared incidents of the last year that hit one of the business's subscriptions (service and region)."""
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from tracker.customers.models import Subscription
    from tracker.incidents.models import Incident

    hit = Subscription.objects.filter(
        business_id=business_id, service__incidents=OuterRef("pk"), region__incidents=OuterRef("pk")
    )
    return (
        Incident.objects.filter(declared_at__isnull=False, started_at__gte=timezone.now() - timedelta(days=365))
        .filter(Exists(hit))
        .order_by("-started_at")
    )
