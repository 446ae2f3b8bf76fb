"""Personal data in petitions: export, erasure and retention (registered in tracker.security.privacy).

A contact's signatures are found by canonical e-mail (one person, one signature, whatever the dots and
+tags). Erasure keeps what the counts and totals read (confirmation, withdrawal, invalidation, declared
loss, verified customer), so tallies and reports do not move. Compensation decisions belong to the
business; only the comment the contact wrote is theirs.
"""

from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from django.db import transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from tracker.customers.models import Contact

from .abuse import email_canonical
from .models import CompensationDecision, Signature


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def contact_signatures(contact: Contact):
    """The contact's signatures, on every petition (anonymised ones hold no address and never match)."""
    if not contact.email.strip():
        return Signature.objects.none()
    canonical, _domain = email_canonical(contact.email)
    return Signature.objects.filter(Q(email_canonical=canonical) | Q(email__iexact=contact.email.strip()))


def _contact_decisions(contact: Contact):
    if contact.user_id is None:
        return CompensationDecision.objects.none()
    return CompensationDecision.objects.filter(answered_by_id=contact.user_id)


def petitions_export(contact: Contact) -> dict[str, Any]:
    signatures = contact_signatures(contact).select_related("petition").order_by("pk")
    decisions = _contact_decisions(contact).order_by("pk")
    return {
        "signatures": [
            {
                "petition": signature.petition.slug,
                "petition_title": signature.petition.title,
                "name": signature.name,
                "email": signature.email,
                "company": signature.company,
                "customer_number": signature.customer_number,
                "verified_customer": signature.verified_customer,
                "language": signature.language,
                "loss_amount": str(signature.loss_amount),
                "loss_currency": signature.loss_currency,
                "hours_without_service": signature.hours_without_service,
                "lines_affected": signature.lines_affected,
                "evidence": PurePosixPath(signature.evidence.name).name if signature.evidence else "",
                "wants_updates": signature.wants_updates,
                "signed_at": _iso(signature.created_at),
                "confirmed_at": _iso(signature.confirmed_at),
                "withdrawn_at": _iso(signature.withdrawn_at),
                "invalidated_at": _iso(signature.invalidated_at),
            }
            for signature in signatures
        ],
        "compensation_answers": [
            {
                "incident": decision.incident_id,
                "status": decision.status,
                "currency": decision.currency,
                "offered_amount": str(decision.offered_amount) if decision.offered_amount is not None else None,
                "counter_amount": str(decision.counter_amount) if decision.counter_amount is not None else None,
                "comment": decision.business_comment,
                "answered_at": _iso(decision.answered_at),
            }
            for decision in decisions
        ],
    }


def petitions_erase(contact: Contact) -> None:
    """Anonymise the contact's signatures and clear the comments they wrote on compensation offers."""
    rows = contact_signatures(contact)
    files = [name for name in rows.exclude(evidence="").values_list("evidence", flat=True) if name]
    # The canonical address becomes unique per row, so the one-signature-per-address constraint holds.
    rows.update(
        name="",
        email="",
        email_canonical=Concat(Value("anonymised-"), Cast("id", output_field=CharField())),
        email_domain="",
        company="",
        ip_hash="",
        evidence="",
        wants_updates=False,
        anonymised_at=timezone.now(),
    )
    if files:
        storage = Signature.evidence.field.storage
        transaction.on_commit(lambda: [storage.delete(name) for name in files])
    _contact_decisions(contact).exclude(business_comment="").update(business_comment="")


def petitions_retain(now: datetime) -> int:
    """Signatures of petitions closed longer than PETITIONS_ANONYMISE_AFTER_DAYS (see services)."""
    from .services import petitions_anonymise

    return petitions_anonymise(now=now)


def register_privacy() -> None:
    from tracker.security.privacy import register

    register(name="petitions", export=petitions_export, erase=petitions_erase, retain=petitions_retain)
