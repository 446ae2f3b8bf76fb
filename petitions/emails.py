"""E-mails to signers and staff.

Signers are not Contacts (anyone may sign, most are not logged-in customers),
so they are e-mailed here with django.core.mail, in batches over one
connection, in the language they signed in; each row records what it was sent
so a retried task does not send twice. Staff are told of milestones the same way.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from . import tokens
from .models import Petition, PetitionThreshold, Signature

logger = logging.getLogger(__name__)
BATCH = 200


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def signature_links(signature: Signature) -> dict[str, str]:
    with translation.override(signature.language):
        return {
            "confirm_url": _absolute(
                reverse(
                    "petitions:confirm",
                    args=[tokens.make(signature_id=signature.pk, action=tokens.CONFIRM, slug=signature.petition.slug)],
                )
            ),
            "withdraw_url": _absolute(
                reverse("petitions:withdraw", args=[tokens.make(signature_id=signature.pk, action=tokens.WITHDRAW)])
            ),
            "petition_url": _absolute(reverse("petitions:detail", args=[signature.petition.slug])),
        }


def _message(*, template: str, context: dict, to: str, language: str) -> mail.EmailMultiAlternatives:
    with translation.override(language):
        subject = render_to_string(f"petitions/email/{template}_subject.txt", context).strip()
        text = render_to_string(f"petitions/email/{template}.txt", context)
    return mail.EmailMultiAlternatives(subject=" ".join(subject.split()), body=text, to=[to])


def confirmation_send(*, signature_id: int) -> bool:
    signature = Signature.objects.select_related("petition").filter(pk=signature_id, confirmed_at__isnull=True).first()
    if signature is None or not signature.email:
        return False
    context = {"signature": signature, "petition": signature.petition, **signature_links(signature)}
    context["confirm_days"] = getattr(settings, "PETITIONS_CONFIRM_DAYS", 7)
    _message(template="confirm", context=context, to=signature.email, language=signature.language).send()
    Signature.objects.filter(pk=signature_id).update(confirmation_sent_at=timezone.now())
    return True


def _staff_emails() -> list[str]:
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    users = users.filter(
        Q(is_superuser=True)
        | Q(groups__permissions__codename="moderate_petition", groups__permissions__content_type__app_label="petitions")
        | Q(user_permissions__codename="moderate_petition")
    )
    return sorted(set(users.values_list("email", flat=True)))


def threshold_notify(*, threshold_id: int) -> int:
    """Tell staff and the signers who asked for it that a threshold was crossed. Returns e-mails sent."""
    threshold = PetitionThreshold.objects.select_related("petition").filter(pk=threshold_id).first()
    if threshold is None:
        return 0
    petition = threshold.petition
    url = _absolute(reverse("petitions:detail", args=[petition.slug]))
    context = {"petition": petition, "threshold": threshold, "petition_url": url}
    messages = [
        _message(template="threshold", context=context | {"staff": True}, to=email, language=settings.LANGUAGE_CODE)
        for email in _staff_emails()
    ]
    signers = (
        Signature.objects.filter(petition=petition, wants_updates=True, confirmed_at__isnull=False)
        .filter(withdrawn_at__isnull=True, invalidated_at__isnull=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", "language")
    )
    messages += [_message(template="threshold", context=context, to=email, language=lang) for email, lang in signers]
    sent = 0
    for start in range(0, len(messages), BATCH):
        with mail.mailers.default as connection:
            sent += connection.send_messages(messages[start : start + BATCH]) or 0
    return sent


def answer_notify(*, petition_id: int) -> int:
    """E-mail the official answer to every confirmed signer not yet told, batch by batch. Returns e-mails sent."""
    petition = Petition.objects.filter(pk=petition_id, status=Petition.Status.ANSWERED).first()
    if petition is None:
        return 0
    url = _absolute(reverse("petitions:detail", args=[petition.slug]))
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(
                Signature.objects.select_for_update(skip_locked=True)
                .filter(petition=petition, confirmed_at__isnull=False, answer_sent_at__isnull=True)
                .filter(withdrawn_at__isnull=True, invalidated_at__isnull=True)
                .exclude(email="")
                .order_by("pk")
                .only("pk", "email", "language", "name")[:BATCH]
            )
            if not batch:
                return sent
            messages = [
                _message(
                    template="answer",
                    context={"petition": petition, "signature": s, "petition_url": url},
                    to=s.email,
                    language=s.language,
                )
                for s in batch
            ]
            with mail.mailers.default as connection:
                sent += connection.send_messages(messages) or 0
            Signature.objects.filter(pk__in=[s.pk for s in batch]).update(answer_sent_at=timezone.now())
