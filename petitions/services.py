"""Writes of petitions and signatures. Every write is here; views, admin and tasks call these."""

from __future__ import annotations

import logging
import posixpath
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from tracker.customers.models import Business, Subscription
from tracker.customers.roles import require_permission

from . import abuse
from .models import Petition, PetitionTally, PetitionThreshold, Signature, SignatureInvalidation

RESERVED_SLUGS = {"compensation", "confirm", "withdraw", "new", "propose", "evidence"}
EVIDENCE_PERMISSION = "petitions.view_signature"
security_log = logging.getLogger("tracker.security")


class SigningError(ValidationError):
    pass


class TransitionError(ValidationError):
    pass


@dataclass(frozen=True)
class SignOutcome:
    # created: a new row; duplicate: this e-mail already signed (nothing changed);
    # claim_taken: signed, but the business's verified claim was already made by someone else;
    # trap: the honeypot was filled (nothing stored, the robot sees a success page).
    result: str
    signature: Signature | None = None
    customer_checked: bool = False


# --- Petitions --------------------------------------------------------------


def _unique_slug(title: str) -> str:
    base = (slugify(title)[:70] or "petition").strip("-") or "petition"
    if base in RESERVED_SLUGS:
        base = f"{base}-petition"
    slug, n = base, 2
    while Petition.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def petition_translations_clean(translations, *, language: str) -> dict[str, dict[str, str]]:
    """{"de": {"title": ..., "text": ...}} with known languages and fields only, stripped, empty ones dropped.

    The language the petition is written in is dropped too: its text is the original.
    """
    cleaned: dict[str, dict[str, str]] = {}
    known = {code for code, _label in settings.LANGUAGES}
    for code, fields in (translations or {}).items():
        if code not in known:
            raise ValidationError(_("Unknown language %(code)s.") % {"code": str(code)[:10]})
        if code == language or not fields:
            continue
        if not isinstance(fields, dict):
            raise ValidationError(_("A translation must be text."))
        for field, text in fields.items():
            if field not in Petition.TRANSLATED_FIELDS:
                raise ValidationError(_("Unknown field %(field)s.") % {"field": str(field)[:20]})
            if text is None:
                continue
            if not isinstance(text, str):
                raise ValidationError(_("A translation must be text."))
            text = text.strip()
            limit = Petition.TRANSLATED_FIELDS[field]
            if len(text) > limit:
                raise ValidationError(
                    _("A translation is at most %(max)d characters long.") % {"max": limit}, code=field
                )
            if text:
                cleaned.setdefault(code, {})[field] = text
    return cleaned


@transaction.atomic
def petition_translations_set(*, petition: Petition, translations) -> Petition:
    """Replace the staff translations of the title, text, demand and answer."""
    petition.translations = petition_translations_clean(translations, language=petition.language)
    Petition.objects.filter(pk=petition.pk).update(translations=petition.translations)
    return petition


@transaction.atomic
def petition_create(
    *,
    title: str,
    text: str,
    incidents: list,
    demand: str = "",
    language: str = "en",
    translations: dict | None = None,
    thresholds: list[tuple[int, str, int | None]] = (),
    created_by=None,
    proposed_by: Business | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    slug: str = "",
) -> Petition:
    """Staff create petitions as drafts; a business's proposal waits for moderation."""
    if not incidents:
        raise ValidationError(_("A petition is about at least one incident."))
    if opens_at and closes_at and closes_at <= opens_at:
        raise ValidationError(_("The closing date must come after the opening date."))
    petition = Petition.objects.create(
        slug=slug or _unique_slug(title),
        title=title,
        text=text,
        demand=demand,
        language=language,
        translations=petition_translations_clean(translations, language=language),
        status=Petition.Status.PENDING if proposed_by else Petition.Status.DRAFT,
        created_by=created_by,
        proposed_by=proposed_by,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    petition.incidents.set(incidents)
    PetitionThreshold.objects.bulk_create(
        PetitionThreshold(petition=petition, count=count, label=label, answer_within_days=days)
        for count, label, days in thresholds
    )
    PetitionTally.objects.create(petition=petition)
    return petition


@transaction.atomic
def petition_transition(*, petition: Petition, to: str, by=None, reason: str = "") -> Petition:
    """Moderation: pending -> open or rejected (with a reason); open -> closed."""
    require_permission(by, "petitions.moderate_petition")
    petition = Petition.objects.select_for_update().get(pk=petition.pk)
    if not petition.can_become(to):
        raise TransitionError(
            _("A petition cannot go from %(current)s to %(target)s.")
            % {"current": petition.get_status_display(), "target": Petition.Status(to).label}
        )
    if to == Petition.Status.REJECTED and not reason.strip():
        raise TransitionError(_("Say why the petition is rejected."))
    if to == Petition.Status.ANSWERED:
        raise TransitionError(_("Publish the answer to mark a petition answered."))
    now = timezone.now()
    petition.status = to
    if to == Petition.Status.REJECTED:
        petition.rejection_reason = reason.strip()[:500]
    if to == Petition.Status.OPEN and not petition.opens_at:
        petition.opens_at = now
    if to == Petition.Status.CLOSED:
        petition.closes_at = min(petition.closes_at or now, now)
    petition.save()
    return petition


@transaction.atomic
def petition_answer(*, petition: Petition, answer: str, by, translations: dict[str, str] | None = None) -> Petition:
    """Publish the operator's official answer; every confirmed signer is told in their language.

    translations: the answer in other languages, {"de": "..."}; a signer without one gets the original.
    """
    require_permission(by, "petitions.answer_petition")
    petition = Petition.objects.select_for_update().get(pk=petition.pk)
    merged = {code: dict(fields) for code, fields in (petition.translations or {}).items()}
    for code, text in (translations or {}).items():
        merged.setdefault(code, {})["answer"] = text
    merged = petition_translations_clean(merged, language=petition.language)
    answer = answer.strip()
    if not answer:
        raise ValidationError(_("The answer is empty."))
    if len(answer) > 10000:
        raise ValidationError(_("The answer is longer than 10,000 characters."))
    if not petition.can_become(Petition.Status.ANSWERED):
        raise TransitionError(_("Only an open or closed petition can be answered."))
    petition.status = Petition.Status.ANSWERED
    petition.answer = answer
    petition.translations = merged
    petition.answered_at = timezone.now()
    petition.answered_by = by
    if not petition.closes_at or petition.closes_at > petition.answered_at:
        petition.closes_at = petition.answered_at
    petition.save()
    from .tasks import notify_answer

    notify_answer.delay_on_commit(petition.pk)
    return petition


def petition_is_signable(petition: Petition, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        petition.status == Petition.Status.OPEN
        and (petition.opens_at is None or petition.opens_at <= now)
        and (petition.closes_at is None or now < petition.closes_at)
    )


# --- Signing ----------------------------------------------------------------


def _affected_business(*, petition: Petition, customer_number: str) -> Business | None:
    """The business with this number if one of its subscriptions is hit by one of the petition's incidents."""
    business = Business.objects.filter(customer_number__iexact=customer_number.strip()).first()
    if business is None:
        return None
    hit = Q()
    for incident in petition.incidents.prefetch_related("services", "regions"):
        hit |= Q(service__in=incident.services.all(), region__in=incident.regions.all())
    if not Subscription.objects.filter(hit, business=business).exists():
        return None
    return business


def petition_sign(
    *,
    petition: Petition,
    name: str,
    email: str,
    loss_amount: Decimal,
    loss_currency: str,
    hours_without_service: int = 0,
    lines_affected: int = 0,
    company: str = "",
    customer_number: str = "",
    evidence=None,
    wants_updates: bool = False,
    language: str = "en",
    ip: str = "",
    honeypot: str = "",
) -> SignOutcome:
    """Record a signature once per e-mail (insert or ignore); the confirmation e-mail leaves after commit.

    Never raises on a duplicate: the outcome says what happened. Raises
    SigningError for a closed petition, a disposable address or a rate limit.
    """
    if honeypot:
        return SignOutcome(result="trap")
    if not petition_is_signable(petition):
        raise SigningError(_("This petition is not open for signatures."))
    canonical, domain = abuse.email_canonical(email)
    if abuse.is_disposable(domain):
        raise SigningError(_("Please use a permanent e-mail address, not a disposable one."))
    limits = abuse.limits()
    hashed_ip = abuse.ip_hash(salt=petition.ip_salt, ip=ip) if ip else ""
    if hashed_ip and abuse.rate_limited(f"ip:{petition.pk}:{hashed_ip}", limit=limits["ip"], window=3600):
        raise SigningError(_("Too many signatures from your network. Please try again in an hour."))
    if domain not in abuse.LARGE_PROVIDERS and abuse.rate_limited(
        f"domain:{petition.pk}:{domain}", limit=limits["domain"], window=3600
    ):
        raise SigningError(_("Too many signatures from this e-mail domain. Please try again later."))

    business = _affected_business(petition=petition, customer_number=customer_number) if customer_number else None
    signature = Signature(
        petition=petition,
        name=name.strip()[:150],
        email=email.strip()[:254],
        email_canonical=canonical,
        email_domain=domain,
        company=company.strip()[:200],
        customer_number=customer_number.strip()[:20],
        business=business,
        verified_customer=business is not None,
        language=language if language in dict(settings.LANGUAGES) else "en",
        loss_amount=loss_amount,
        loss_currency=loss_currency,
        hours_without_service=hours_without_service,
        lines_affected=lines_affected,
        wants_updates=wants_updates,
        ip_hash=hashed_ip,
    )
    if evidence:
        signature.evidence = evidence
    result = "created"
    with transaction.atomic():
        try:
            with transaction.atomic():
                signature.save()
        except IntegrityError:
            # Either the same e-mail won a race, or the business's verified claim exists.
            existing = Signature.objects.filter(petition=petition, email_canonical=canonical).first()
            if existing is not None or not signature.verified_customer:
                if signature.evidence:
                    stored = signature.evidence.name
                    transaction.on_commit(lambda: Signature.evidence.field.storage.delete(stored))
                return SignOutcome(result="duplicate", signature=existing)
            signature.pk = None
            signature.verified_customer = False
            try:
                with transaction.atomic():
                    signature.save()
            except IntegrityError:
                existing = Signature.objects.filter(petition=petition, email_canonical=canonical).first()
                return SignOutcome(result="duplicate", signature=existing)
            result = "claim_taken"
        from .tasks import send_confirmation

        send_confirmation.delay_on_commit(signature.pk)
    return SignOutcome(result=result, signature=signature, customer_checked=bool(customer_number))


@transaction.atomic
def signature_resend_confirmation(*, petition: Petition, email: str) -> bool:
    """Send the confirmation again to an unconfirmed signature, at most every 5 minutes."""
    canonical, _domain = abuse.email_canonical(email)
    cutoff = timezone.now() - timedelta(minutes=5)
    signature = (
        Signature.objects.filter(petition=petition, email_canonical=canonical, confirmed_at__isnull=True)
        .filter(Q(confirmation_sent_at__isnull=True) | Q(confirmation_sent_at__lt=cutoff))
        .filter(withdrawn_at__isnull=True, invalidated_at__isnull=True)
        .first()
    )
    if signature is None:
        return False
    from .tasks import send_confirmation

    send_confirmation.delay_on_commit(signature.pk)
    return True


def signature_confirm(*, signature_id: int) -> str:
    """Confirm from the e-mailed link: confirmed, already, or gone.

    One UPDATE of the signature row (a single statement needs no transaction of its own); the petition row and
    the tally are not touched: the batched counter picks the row up.
    """
    updated = Signature.objects.filter(
        pk=signature_id,
        confirmed_at__isnull=True,
        withdrawn_at__isnull=True,
        invalidated_at__isnull=True,
        anonymised_at__isnull=True,
        petition_id__in=Petition.objects.filter(status=Petition.Status.OPEN).values("pk"),
    ).update(confirmed_at=timezone.now(), dirty=True)
    if updated:
        return "confirmed"
    if Signature.objects.filter(pk=signature_id, confirmed_at__isnull=False, withdrawn_at__isnull=True).exists():
        return "already"
    return "gone"


def signature_evidence_open(*, user, signature_id: int):
    """The evidence file of a signature, opened for reading, and its file name; None when there is none.

    Only staff who may view signatures get it (the signer has no account to prove it is theirs);
    anyone else gets PermissionDenied before the row is even looked up. Each download is logged.
    """
    if not (user.is_active and user.is_staff and user.has_perm(EVIDENCE_PERMISSION)):
        raise PermissionDenied
    signature = Signature.objects.filter(pk=signature_id).only("pk", "evidence").first()
    if signature is None or not signature.evidence:
        return None
    try:
        handle = signature.evidence.open("rb")
    except FileNotFoundError:
        return None
    security_log.info("Signature evidence %s downloaded by user %s.", signature.pk, user.pk)
    return handle, posixpath.basename(signature.evidence.name)


@transaction.atomic
def signature_withdraw(*, signature_id: int) -> bool:
    """The signer takes the signature back; the counter takes it out of the tally."""
    return bool(
        Signature.objects.filter(pk=signature_id, withdrawn_at__isnull=True, anonymised_at__isnull=True).update(
            withdrawn_at=timezone.now(), dirty=True
        )
    )


@transaction.atomic
def signatures_expire(*, now: datetime | None = None) -> int:
    """Delete signatures never confirmed within the confirmation window (never counted)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=getattr(settings, "PETITIONS_CONFIRM_DAYS", 7))
    deleted, _detail = Signature.objects.filter(confirmed_at__isnull=True, created_at__lt=cutoff).delete()
    return deleted


@transaction.atomic
def signatures_invalidate(
    *,
    petition: Petition,
    reason: str,
    by=None,
    ip_hash: str = "",
    email_domain: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    signature_ids: list[int] | None = None,
) -> SignatureInvalidation:
    """Invalidate signatures matching every criterion given; the counts and thresholds follow."""
    require_permission(by, "petitions.invalidate_signature")
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give the reason of the invalidation."))
    if not (ip_hash or email_domain or since or until or signature_ids):
        raise ValidationError(_("Give at least one criterion: IP hash, e-mail domain, time window or signatures."))
    qs = Signature.objects.filter(petition=petition, invalidated_at__isnull=True)
    if ip_hash:
        qs = qs.filter(ip_hash=ip_hash)
    if email_domain:
        qs = qs.filter(email_domain=email_domain.strip().lower())
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    if signature_ids is not None:
        qs = qs.filter(pk__in=signature_ids)
    record = SignatureInvalidation.objects.create(
        petition=petition,
        reason=reason[:500],
        ip_hash=ip_hash[:64],
        email_domain=email_domain[:253],
        since=since,
        until=until,
        created_by=by,
    )
    record.affected = qs.update(invalidated_at=timezone.now(), invalidation=record, dirty=True)
    record.save(update_fields=["affected"])
    from .tasks import count_signatures

    count_signatures.delay_on_commit()
    return record


def petitions_anonymise(*, now: datetime | None = None) -> int:
    """Erase the personal data of signatures N days after their petition closed. Returns signatures erased."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=getattr(settings, "PETITIONS_ANONYMISE_AFTER_DAYS", 90))
    total = 0
    due = Petition.objects.filter(
        anonymised_at__isnull=True,
        status__in=[Petition.Status.CLOSED, Petition.Status.ANSWERED, Petition.Status.REJECTED],
        closes_at__lt=cutoff,
    )
    for petition in due:
        total += _petition_anonymise(petition_id=petition.pk, now=now)
    return total


@transaction.atomic
def _petition_anonymise(*, petition_id: int, now: datetime) -> int:
    rows = Signature.objects.filter(petition_id=petition_id, anonymised_at__isnull=True)
    files = list(rows.exclude(evidence="").values_list("evidence", flat=True))
    # One statement, however many rows; the canonical address keeps the unique constraint satisfied.
    count = rows.update(
        name="",
        email="",
        email_canonical=Concat(Value("anonymised-"), Cast("id", output_field=CharField())),
        ip_hash="",
        evidence="",
        anonymised_at=now,
    )
    Petition.objects.filter(pk=petition_id).update(anonymised_at=now)
    storage = Signature.evidence.field.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in files])
    return count


@transaction.atomic
def petitions_close_due(*, now: datetime | None = None) -> int:
    """Open petitions past their closing date become closed."""
    now = now or timezone.now()
    return Petition.objects.filter(status=Petition.Status.OPEN, closes_at__lte=now).update(
        status=Petition.Status.CLOSED
    )
