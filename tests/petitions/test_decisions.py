"""Compensation proposals on the demo incidents, maker and checker, the business portal, billing export."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from petitions import decisions
from petitions.models import CompensationDecision
from tests.factories import (
    BusinessFactory,
    ContactFactory,
    RegionFactory,
    ServiceFactory,
    SubscriptionFactory,
    UserFactory,
)
from tracker.incidents import demo as incidents_demo
from tracker.incidents.models import Incident

from .factories import IncidentFactory, PetitionFactory, RuleFactory, SignatureFactory
from .test_compensation import EXPECTED

pytestmark = pytest.mark.django_db
Status = CompensationDecision.Status


@pytest.fixture
def demo_incidents():
    """The incidents app's demo incidents, on a minimal catalogue, with three business-tier subscriptions."""
    phone = ServiceFactory(slug="business-phone", name="Business phone")
    email = ServiceFactory(slug="fixed-email", name="Fixed e-mail")
    vaud = RegionFactory(code="CH-VD", country="CH")
    marseille = RegionFactory(code="FR-13", country="FR", kind="departement")
    paris = RegionFactory(code="FR-75", country="FR", kind="departement")
    incidents_demo.seed(stdout=io.StringIO())
    swisscom = Incident.objects.get(started_at=incidents_demo.SWISSCOM_START)
    sfr = Incident.objects.get(started_at=incidents_demo.SFR_START)
    subs = {
        "swisscom": SubscriptionFactory(
            service=phone, region=vaud, monthly_fee=Decimal("89.00"), currency="CHF", business__tier="business"
        ),
        "sfr": SubscriptionFactory(
            service=email, region=marseille, monthly_fee=Decimal("30.00"), currency="EUR", business__tier="business"
        ),
        "sfr_paris": SubscriptionFactory(
            service=email, region=paris, monthly_fee=Decimal("30.00"), currency="EUR", business__tier="business"
        ),
    }
    return swisscom, sfr, subs


@pytest.mark.parametrize("preset", sorted(EXPECTED))
def test_demo_incidents_compensation_per_preset_equals_the_hand_computation(demo_incidents, preset):
    swisscom, sfr, subs = demo_incidents
    for incident in (swisscom, sfr):
        RuleFactory(incident=incident, preset=preset)
        decisions.compensation_propose(incident=incident)

    amounts = {
        key: CompensationDecision.objects.get(business=sub.business).proposed_amount for key, sub in subs.items()
    }
    assert amounts == {
        "swisscom": Decimal(EXPECTED[preset][0]),
        "sfr": Decimal(EXPECTED[preset][1]),
        "sfr_paris": Decimal(EXPECTED[preset][2]),
    }


def test_rule_version_effective_at_the_outage_start_applies(demo_incidents):
    swisscom, _sfr, subs = demo_incidents
    RuleFactory(incident=None, preset="agcom", effective_from=swisscom.started_at.replace(year=2010))
    RuleFactory(incident=None, preset="custom", params={"fixed_credit": "200"},
                effective_from=swisscom.started_at.replace(year=2019))  # fmt: skip

    decisions.compensation_propose(incident=swisscom)

    assert CompensationDecision.objects.get(business=subs["swisscom"].business).proposed_amount == Decimal("12.00")


def test_claims_over_the_proposal_are_flagged_and_decisions_once_offered_are_kept():
    incident = IncidentFactory()
    sub = SubscriptionFactory(service=incident.services.get(), region=incident.regions.get(), currency="EUR",
                              business__tier="business")  # fmt: skip
    quiet = SubscriptionFactory(service=incident.services.get(), region=incident.regions.get(), currency="EUR")
    RuleFactory(incident=incident, preset="custom", params={"fixed_credit": "50"})
    petition = PetitionFactory(incidents=[incident])
    SignatureFactory(petition=petition, confirmed=True, business=sub.business, verified_customer=True,
                     loss_amount=Decimal("800"), loss_currency="EUR")  # fmt: skip

    assert decisions.compensation_propose(incident=incident) == 2

    flagged = CompensationDecision.objects.get(business=sub.business)
    assert (flagged.proposed_amount, flagged.claimed_amount, flagged.flagged) == (Decimal("50.00"), Decimal("800.00"),
                                                                                  True)  # fmt: skip
    assert CompensationDecision.objects.get(business=quiet.business).flagged is False
    CompensationDecision.objects.filter(pk=flagged.pk).update(status=Status.OFFERED)
    RuleFactory(incident=incident, preset="custom", params={"fixed_credit": "70"})
    decisions.compensation_propose(incident=incident)
    assert CompensationDecision.objects.get(pk=flagged.pk).proposed_amount == Decimal("50.00")
    assert CompensationDecision.objects.get(business=quiet.business).proposed_amount == Decimal("70.00")


def _decision(amount="100.00", **kwargs):
    incident = IncidentFactory()
    return CompensationDecision.objects.create(incident=incident, business=kwargs.pop("business", BusinessFactory()),
                                               currency="CHF", proposed_amount=Decimal(amount), **kwargs)  # fmt: skip


def test_offer_under_the_limit_goes_out_at_once(settings, django_capture_on_commit_callbacks):
    settings.PETITIONS_COMPENSATION_APPROVAL_LIMIT = "500"
    decision = _decision("100.00")
    manager = _manager()

    decision = decisions.decision_offer(decision=decision, by=manager)

    assert (decision.status, decision.offered_amount, decision.offered_by) == (
        Status.OFFERED, Decimal("100.00"), manager)  # fmt: skip
    from tracker.notifications.models import NotificationJob

    assert NotificationJob.objects.get().kind == "petitions.compensation_offered"


def test_offer_over_the_limit_needs_a_different_manager(settings):
    settings.PETITIONS_COMPENSATION_APPROVAL_LIMIT = "500"
    manager_group = Group.objects.get(name="manager")
    maker = UserFactory()
    maker.groups.add(manager_group)
    checker = UserFactory()
    checker.groups.add(manager_group)
    agent = UserFactory()
    agent.groups.add(Group.objects.get(name="agent"))
    decision = decisions.decision_offer(decision=_decision("900.00"), by=maker)
    assert decision.status == Status.AWAITING_APPROVAL

    with pytest.raises(PermissionDenied):
        decisions.decision_approve(decision=decision, by=maker)
    with pytest.raises(PermissionDenied):
        decisions.decision_approve(decision=decision, by=agent)
    decision.refresh_from_db()
    assert (decision.status, decision.approved_by) == (Status.AWAITING_APPROVAL, None)

    decision = decisions.decision_approve(decision=decision, by=checker)
    assert (decision.status, decision.approved_by, decision.offered_by) == (Status.OFFERED, checker, maker)


@pytest.mark.parametrize("amount", ["-1", "1.234", "abc", "1e12"])
def test_bad_offer_amounts_are_refused(amount):
    decision = _decision()

    with pytest.raises(ValidationError):
        decisions.decision_offer(decision=decision, by=_manager(), amount=amount)
    decision.refresh_from_db()
    assert (decision.status, decision.offered_amount) == (Status.PROPOSED, None)


def _manager():
    manager = UserFactory()
    manager.groups.add(Group.objects.get(name="manager"))
    return manager


def test_only_managers_offer():
    decision = _decision("100.00")
    agent = UserFactory()
    agent.groups.add(Group.objects.get(name="agent"))

    with pytest.raises(PermissionDenied):
        decisions.decision_offer(decision=decision, by=agent)
    decision.refresh_from_db()
    assert (decision.status, decision.offered_amount) == (Status.PROPOSED, None)


def test_a_contact_who_is_not_a_business_admin_cannot_answer(client):
    business = BusinessFactory()
    user = UserFactory()
    ContactFactory(business=business, user=user, is_business_admin=False)
    decision = _decision("120.00", business=business, status=Status.OFFERED, offered_amount=Decimal("120.00"))
    client.force_login(user)

    page = client.get(reverse("petitions:compensation"))
    response = client.post(reverse("petitions:compensation-answer", args=[decision.pk]), {"action": "accept"})

    assert "An administrator of your business answers this offer." in page.text
    assert response.status_code == 403
    decision.refresh_from_db()
    assert (decision.status, decision.answered_by) == (Status.OFFERED, None)


def test_portal_accept_counter_reject_and_export(client):
    business = BusinessFactory()
    user = UserFactory()
    ContactFactory(business=business, user=user, is_business_admin=True)
    accepted = _decision("120.00", business=business, status=Status.OFFERED, offered_amount=Decimal("120.00"))
    countered = _decision("80.00", business=business, status=Status.OFFERED, offered_amount=Decimal("80.00"))
    hidden = _decision("10.00", business=business)  # still a proposal: not shown
    other = _decision("50.00", status=Status.OFFERED, offered_amount=Decimal("50.00"))
    client.force_login(user)

    page = client.get(reverse("petitions:compensation"))
    assert page.status_code == 200
    assert {d.pk for d in page.context["decisions"]} == {accepted.pk, countered.pk}
    assert hidden.pk not in {d.pk for d in page.context["decisions"]}

    client.post(reverse("petitions:compensation-answer", args=[accepted.pk]), {"action": "accept"})
    client.post(reverse("petitions:compensation-answer", args=[countered.pk]),
                {"action": "counter", "amount": "450.00", "comment": "We lost two days"})  # fmt: skip
    refused = client.post(reverse("petitions:compensation-answer", args=[other.pk]), {"action": "accept"})

    assert refused.status_code == 404
    accepted.refresh_from_db()
    countered.refresh_from_db()
    other.refresh_from_db()
    assert (accepted.status, accepted.answered_by) == (Status.ACCEPTED, user)
    assert (countered.status, countered.counter_amount, countered.business_comment) == (
        Status.COUNTERED, Decimal("450.00"), "We lost two days")  # fmt: skip
    assert other.status == Status.OFFERED

    csv = decisions.decisions_export(queryset=CompensationDecision.objects.all())
    lines = csv.strip().splitlines()
    assert len(lines) == 2
    assert lines[1].split(",")[2] == business.customer_number
    accepted.refresh_from_db()
    assert accepted.exported_at is not None


def test_portal_counter_without_amount_changes_nothing(client):
    business = BusinessFactory()
    user = UserFactory()
    ContactFactory(business=business, user=user, is_business_admin=True)
    decision = _decision("120.00", business=business, status=Status.OFFERED, offered_amount=Decimal("120.00"))
    client.force_login(user)

    response = client.post(reverse("petitions:compensation-answer", args=[decision.pk]), {"action": "counter"})

    assert response.status_code == 302
    decision.refresh_from_db()
    assert (decision.status, decision.counter_amount) == (Status.OFFERED, None)


def test_portal_needs_a_business_contact(client):
    client.force_login(UserFactory())

    assert client.get(reverse("petitions:compensation")).status_code == 403
