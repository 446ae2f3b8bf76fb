"""Staff screens: moderation, the answer, bulk invalidation, rules and decisions with maker and checker."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from petitions.models import CompensationDecision, CompensationRule, Petition, Signature, SignatureInvalidation
from tests.factories import BusinessFactory, SubscriptionFactory, UserFactory

from .factories import IncidentFactory, PetitionFactory, RuleFactory, SignatureFactory

pytestmark = pytest.mark.django_db


def staff(client, group, username):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    "model", ["petition", "signature", "signatureinvalidation", "compensationrule", "compensationdecision"]
)
def test_changelists_open_for_managers(client, model):
    staff(client, "manager", "manager-1")
    signature = SignatureFactory(confirmed=True)
    RuleFactory(incident=signature.petition.incidents.get())

    assert client.get(reverse(f"admin:petitions_{model}_changelist")).status_code == 200


def test_agent_opens_a_petition_and_rejects_another_with_a_reason(client):
    staff(client, "agent", "agent-1")
    pending = PetitionFactory(status=Petition.Status.PENDING)
    spam = PetitionFactory(status=Petition.Status.PENDING)

    client.post(reverse("admin:petitions_petition_changelist"),
                {"action": "open_action", "_selected_action": [pending.pk]})  # fmt: skip
    empty = client.post(reverse("admin:petitions_petition_reject", args=[spam.pk]), {"reason": ""})
    assert empty.status_code == 200
    spam.refresh_from_db()
    assert spam.status == Petition.Status.PENDING
    client.post(reverse("admin:petitions_petition_reject", args=[spam.pk]), {"reason": "Advertising"})

    pending.refresh_from_db()
    spam.refresh_from_db()
    assert pending.status == Petition.Status.OPEN
    assert (spam.status, spam.rejection_reason) == (Petition.Status.REJECTED, "Advertising")


def test_agent_cannot_publish_the_answer(client):
    staff(client, "agent", "agent-1")
    petition = PetitionFactory()

    response = client.post(reverse("admin:petitions_petition_answer", args=[petition.pk]), {"answer": "No."})

    assert response.status_code == 403
    petition.refresh_from_db()
    assert petition.status == Petition.Status.OPEN


def test_manager_publishes_the_answer(client, django_capture_on_commit_callbacks, mailoutbox):
    staff(client, "manager", "manager-1")
    petition = PetitionFactory()
    SignatureFactory(petition=petition, confirmed=True, email="signer@a.example")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:petitions_petition_answer", args=[petition.pk]),
                               {"answer": "One month free."})  # fmt: skip

    assert response.status_code == 302
    petition.refresh_from_db()
    assert (petition.status, petition.answer) == (Petition.Status.ANSWERED, "One month free.")
    assert [m.to for m in mailoutbox] == [["signer@a.example"]]


def test_bulk_invalidation_by_domain_and_window_from_the_admin(client):
    staff(client, "agent", "agent-1")
    petition = PetitionFactory()
    SignatureFactory.create_batch(2, petition=petition, confirmed=True, email_domain="bots.example")
    SignatureFactory(petition=petition, confirmed=True, email_domain="fine.example")
    since = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")

    response = client.post(reverse("admin:petitions_petition_invalidate", args=[petition.pk]),
                           {"reason": "Bot wave", "email_domain": "bots.example", "since": since})  # fmt: skip

    assert response.status_code == 302
    assert Signature.objects.filter(invalidated_at__isnull=False).count() == 2
    record = SignatureInvalidation.objects.get()
    assert (record.reason, record.affected, record.email_domain) == ("Bot wave", 2, "bots.example")


def test_invalidate_selected_signatures_asks_for_a_reason(client):
    staff(client, "agent", "agent-1")
    signatures = SignatureFactory.create_batch(2, confirmed=True)
    url = reverse("admin:petitions_signature_changelist")
    ids = [s.pk for s in signatures]

    form = client.post(url, {"action": "invalidate_action", "_selected_action": ids})
    assert form.status_code == 200
    assert Signature.objects.filter(invalidated_at__isnull=False).count() == 0
    client.post(url, {"action": "invalidate_action", "_selected_action": ids, "reason": "Same IP"})

    assert Signature.objects.filter(invalidated_at__isnull=False).count() == 2


def test_rule_with_bad_parameters_is_refused(client):
    staff(client, "manager", "manager-1")
    incident = IncidentFactory()

    response = client.post(reverse("admin:petitions_compensationrule_add"), {
        "incident": incident.pk, "name": "Bad", "preset": "custom", "params": '{"per_day": "-5"}',
        "effective_from_0": "2020-01-01", "effective_from_1": "00:00:00",
    })  # fmt: skip

    assert response.status_code == 200
    assert CompensationRule.objects.count() == 0


def test_propose_offer_and_approve_from_the_admin(client, settings):
    settings.PETITIONS_COMPENSATION_APPROVAL_LIMIT = "100"
    incident = IncidentFactory()
    sub = SubscriptionFactory(service=incident.services.get(), region=incident.regions.get(),
                              business=BusinessFactory())  # fmt: skip
    rule = RuleFactory(incident=incident, preset="custom", params={"fixed_credit": "250"})
    maker = staff(client, "manager", "manager-1")
    client.post(reverse("admin:petitions_compensationrule_changelist"),
                {"action": "propose_action", "_selected_action": [rule.pk]})  # fmt: skip
    decision = CompensationDecision.objects.get(business=sub.business)
    assert decision.proposed_amount == Decimal("250.00")

    url = reverse("admin:petitions_compensationdecision_changelist")
    client.post(url, {"action": "offer_action", "_selected_action": [decision.pk]})
    client.post(url, {"action": "approve_action", "_selected_action": [decision.pk]})  # same person: refused
    decision.refresh_from_db()
    assert (decision.status, decision.offered_by, decision.approved_by) == (
        CompensationDecision.Status.AWAITING_APPROVAL, maker, None)  # fmt: skip

    checker = staff(client, "manager", "manager-2")
    client.post(url, {"action": "approve_action", "_selected_action": [decision.pk]})
    decision.refresh_from_db()
    assert (decision.status, decision.approved_by) == (CompensationDecision.Status.OFFERED, checker)


def test_taking_up_a_counter_offer_offers_the_amount_asked_for(client, settings):
    settings.PETITIONS_COMPENSATION_APPROVAL_LIMIT = "1000"
    staff(client, "manager", "manager-1")
    decision = CompensationDecision.objects.create(
        incident=IncidentFactory(), business=BusinessFactory(), currency="EUR", proposed_amount=Decimal("50.00"),
        offered_amount=Decimal("50.00"), counter_amount=Decimal("300.00"), status=CompensationDecision.Status.COUNTERED,
    )  # fmt: skip
    untouched = CompensationDecision.objects.create(
        incident=IncidentFactory(), business=BusinessFactory(), currency="EUR", proposed_amount=Decimal("20.00"),
    )  # fmt: skip

    client.post(reverse("admin:petitions_compensationdecision_changelist"),
                {"action": "offer_counter_action", "_selected_action": [decision.pk, untouched.pk]})  # fmt: skip

    decision.refresh_from_db()
    untouched.refresh_from_db()
    assert (decision.status, decision.offered_amount) == (CompensationDecision.Status.OFFERED, Decimal("300.00"))
    assert (untouched.status, untouched.offered_amount) == (CompensationDecision.Status.PROPOSED, None)
