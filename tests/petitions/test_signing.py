"""Signing, confirmation, withdrawal, expiry and abuse controls."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from petitions import abuse, services, tokens
from petitions.counting import tally_count
from petitions.models import Petition, PetitionTally, Signature
from tests.factories import BusinessFactory, SubscriptionFactory

from .factories import IncidentFactory, PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db


def sign(petition, **overrides):
    data = {
        "petition": petition,
        "name": "Fabien H.",
        "email": "fabien@atelier.example",
        "company": "Atelier H",
        "loss_amount": Decimal("1500.00"),
        "loss_currency": "EUR",
        "hours_without_service": 160,
        "lines_affected": 3,
        "language": "fr",
        "ip": "203.0.113.7",
    }
    return services.petition_sign(**(data | overrides))


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Jean.Dupont+petition@GMail.com", "jeandupont@gmail.com"),
        ("jean.dupont@googlemail.com", "jeandupont@gmail.com"),
        ("Jean.Dupont+sfr@neuf.fr", "jean.dupont@neuf.fr"),
        ("  office@Atelier.example ", "office@atelier.example"),
    ],
)
def test_email_canonical(raw, canonical):
    assert abuse.email_canonical(raw)[0] == canonical


def test_sign_creates_an_unconfirmed_signature_and_sends_the_confirmation(
    django_capture_on_commit_callbacks, mailoutbox
):
    petition = PetitionFactory()

    with django_capture_on_commit_callbacks(execute=True):
        outcome = sign(petition)

    assert outcome.result == "created"
    signature = Signature.objects.get()
    assert (signature.email_canonical, signature.confirmed_at, signature.verified_customer) == (
        "fabien@atelier.example",
        None,
        False,
    )
    assert signature.ip_hash == abuse.ip_hash(salt=petition.ip_salt, ip="203.0.113.7")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["fabien@atelier.example"]
    assert "/petitions/confirm/" in mailoutbox[0].body
    assert "/petitions/withdraw/" in mailoutbox[0].body
    assert Signature.objects.get().confirmation_sent_at is not None


def test_second_signature_with_the_same_canonical_email_changes_nothing(django_capture_on_commit_callbacks, mailoutbox):
    petition = PetitionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = sign(petition, email="jean.dupont@gmail.com")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = sign(petition, email="Jean.Dupont+again@gmail.com", name="Someone else")

    assert second.result == "duplicate"
    assert second.signature.pk == first.signature.pk
    assert callbacks == []
    assert list(Signature.objects.values_list("name", flat=True)) == ["Fabien H."]
    assert len(mailoutbox) == 1


def test_customer_number_of_an_affected_business_makes_a_verified_claim():
    incident = IncidentFactory()
    subscription = SubscriptionFactory(service=incident.services.get(), region=incident.regions.get())
    petition = PetitionFactory(incidents=[incident])

    outcome = sign(petition, customer_number=subscription.business.customer_number.lower())

    assert (outcome.result, outcome.signature.verified_customer, outcome.signature.business) == (
        "created",
        True,
        subscription.business,
    )


def test_customer_number_without_an_affected_subscription_signs_as_a_supporter():
    petition = PetitionFactory()
    business = BusinessFactory()
    SubscriptionFactory(business=business)  # another service and region

    outcome = sign(petition, customer_number=business.customer_number)

    assert (outcome.result, outcome.signature.verified_customer, outcome.signature.business) == ("created", False, None)


def test_one_verified_claim_per_business_the_colleague_signs_as_a_supporter():
    incident = IncidentFactory()
    subscription = SubscriptionFactory(service=incident.services.get(), region=incident.regions.get())
    petition = PetitionFactory(incidents=[incident])
    number = subscription.business.customer_number
    sign(petition, customer_number=number)

    second = sign(petition, customer_number=number, email="colleague@atelier.example", ip="203.0.113.8")

    assert second.result == "claim_taken"
    assert list(Signature.objects.order_by("pk").values_list("verified_customer", flat=True)) == [True, False]


def test_honeypot_stores_nothing():
    petition = PetitionFactory()

    assert sign(petition, honeypot="http://spam.example").result == "trap"
    assert Signature.objects.count() == 0


@pytest.mark.parametrize("status", [Petition.Status.PENDING, Petition.Status.CLOSED, Petition.Status.REJECTED])
def test_only_open_petitions_take_signatures(status):
    petition = PetitionFactory(status=status)

    with pytest.raises(services.SigningError):
        sign(petition)
    assert Signature.objects.count() == 0


def test_petition_past_its_closing_date_takes_no_signature():
    petition = PetitionFactory(closes_at=timezone.now() - dt.timedelta(minutes=1))

    with pytest.raises(services.SigningError):
        sign(petition)


def test_disposable_domains_are_refused():
    petition = PetitionFactory()

    with pytest.raises(services.SigningError):
        sign(petition, email="bot@sub.mailinator.com")
    assert Signature.objects.count() == 0


def test_rate_limit_per_ip(settings):
    settings.PETITIONS_SIGNATURES_PER_IP_PER_HOUR = 2
    petition = PetitionFactory()
    sign(petition, email="a@one.example")
    sign(petition, email="b@two.example")

    with pytest.raises(services.SigningError):
        sign(petition, email="c@three.example")
    # Another network is not limited.
    assert sign(petition, email="d@four.example", ip="198.51.100.1").result == "created"
    assert Signature.objects.count() == 3


def test_rate_limit_per_domain_spares_large_providers(settings):
    settings.PETITIONS_SIGNATURES_PER_DOMAIN_PER_HOUR = 1
    petition = PetitionFactory()
    sign(petition, email="a@catchall.example", ip="198.51.100.1")
    with pytest.raises(services.SigningError):
        sign(petition, email="b@catchall.example", ip="198.51.100.2")
    sign(petition, email="a@gmail.com", ip="198.51.100.3")
    sign(petition, email="b@gmail.com", ip="198.51.100.4")

    assert sorted(Signature.objects.values_list("email", flat=True)) == ["a@catchall.example", "a@gmail.com",
                                                                          "b@gmail.com"]  # fmt: skip


def test_confirm_marks_the_row_and_leaves_the_petition_row_alone(django_assert_num_queries):
    signature = SignatureFactory()
    tally_before = PetitionTally.objects.get(petition=signature.petition)

    # One UPDATE of the signature row, nothing else.
    with django_assert_num_queries(1) as queries:
        assert services.signature_confirm(signature_id=signature.pk) == "confirmed"

    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(writes) == 1
    assert writes[0].startswith('UPDATE "petitions_signature"')

    signature.refresh_from_db()
    assert signature.confirmed_at is not None
    assert signature.dirty is True
    assert PetitionTally.objects.get(petition=signature.petition).confirmed == tally_before.confirmed == 0
    assert services.signature_confirm(signature_id=signature.pk) == "already"


def test_confirm_after_withdrawal_is_refused():
    signature = SignatureFactory(withdrawn_at=timezone.now())

    assert services.signature_confirm(signature_id=signature.pk) == "gone"
    signature.refresh_from_db()
    assert signature.confirmed_at is None


def test_withdrawal_takes_the_signature_out_of_the_count():
    signature = SignatureFactory(confirmed=True)
    tally_count()
    assert PetitionTally.objects.get(petition=signature.petition).confirmed == 1

    assert services.signature_withdraw(signature_id=signature.pk) is True
    tally_count()

    assert PetitionTally.objects.get(petition=signature.petition).confirmed == 0
    assert services.signature_withdraw(signature_id=signature.pk) is False


def test_unconfirmed_signatures_expire_confirmed_ones_stay(settings):
    settings.PETITIONS_CONFIRM_DAYS = 7
    old_unconfirmed = SignatureFactory()
    old_confirmed = SignatureFactory(confirmed=True)
    fresh = SignatureFactory()
    Signature.objects.filter(pk__in=[old_unconfirmed.pk, old_confirmed.pk]).update(
        created_at=timezone.now() - dt.timedelta(days=8)
    )

    assert services.signatures_expire() == 1
    assert set(Signature.objects.values_list("pk", flat=True)) == {old_confirmed.pk, fresh.pk}


def test_resend_confirmation_only_for_unconfirmed_and_not_too_often(django_capture_on_commit_callbacks, mailoutbox):
    signature = SignatureFactory(email="office@atelier.example")
    confirmed = SignatureFactory(petition=signature.petition, confirmed=True)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.signature_resend_confirmation(petition=signature.petition, email="Office@atelier.example")
    with django_capture_on_commit_callbacks(execute=True):
        again = services.signature_resend_confirmation(petition=signature.petition, email="office@atelier.example")
        other = services.signature_resend_confirmation(petition=signature.petition, email=confirmed.email)

    assert (again, other) == (False, False)
    assert [m.to for m in mailoutbox] == [["office@atelier.example"]]


def test_tokens_round_trip_and_refuse_tampering_and_age(settings):
    token = tokens.make(signature_id=42, action=tokens.CONFIRM)

    assert tokens.read(token, action=tokens.CONFIRM) == 42
    with pytest.raises(tokens.TokenError) as wrong_action:
        tokens.read(token, action=tokens.WITHDRAW)
    assert wrong_action.value.expired is False
    with pytest.raises(tokens.TokenError):
        tokens.read(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), action=tokens.CONFIRM)
    settings.PETITIONS_CONFIRM_DAYS = -1
    with pytest.raises(tokens.TokenError) as expired:
        tokens.read(token, action=tokens.CONFIRM)
    assert expired.value.expired is True


def test_anonymisation_after_closing(settings):
    settings.PETITIONS_ANONYMISE_AFTER_DAYS = 30
    closed = PetitionFactory(status=Petition.Status.CLOSED, closes_at=timezone.now() - dt.timedelta(days=31))
    recent = PetitionFactory(status=Petition.Status.CLOSED, closes_at=timezone.now() - dt.timedelta(days=29))
    old = SignatureFactory(petition=closed, confirmed=True, ip_hash="abc", company="Atelier H")
    kept = SignatureFactory(petition=recent, confirmed=True)

    assert services.petitions_anonymise() == 1

    old.refresh_from_db()
    kept.refresh_from_db()
    assert (old.name, old.email, old.ip_hash, old.email_canonical) == ("", "", "", f"anonymised-{old.pk}")
    assert (old.company, old.loss_amount) == ("Atelier H", Decimal("100.00"))
    assert kept.email != ""
    assert services.petitions_anonymise() == 0


def test_zero_means_no_rate_limit(settings):
    settings.PETITIONS_SIGNATURES_PER_IP_PER_HOUR = 0
    petition = PetitionFactory()

    for n in range(3):
        sign(petition, email=f"s{n}@same-network.example")

    assert Signature.objects.count() == 3
