"""The batched counter, thresholds, bulk invalidation, reconciliation, milestone and answer e-mails."""

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection, connections
from django.utils import timezone

from petitions import counting, services
from petitions.models import Petition, PetitionTally, PetitionThreshold, Signature, SignatureInvalidation
from tests.factories import StaffFactory, UserFactory

from .factories import PetitionFactory, SignatureFactory, ThresholdFactory

pytestmark = pytest.mark.django_db


def tally(petition):
    return PetitionTally.objects.get(petition=petition)


def test_counter_adds_confirmed_signatures_and_losses_by_currency():
    petition = PetitionFactory()
    SignatureFactory.create_batch(3, petition=petition, confirmed=True, loss_amount=Decimal("10.50"))
    SignatureFactory(petition=petition, confirmed=True, loss_amount=Decimal("200"), loss_currency="CHF",
                     verified_customer=True)  # fmt: skip
    SignatureFactory(petition=petition)  # unconfirmed: not counted

    assert counting.tally_count() == 4

    row = tally(petition)
    assert (row.confirmed, row.verified, row.losses) == (4, 1, {"CHF": "200.00", "EUR": "31.50"})
    assert Signature.objects.filter(dirty=True).count() == 0


def test_two_runs_never_count_a_row_twice():
    petition = PetitionFactory()
    SignatureFactory.create_batch(2, petition=petition, confirmed=True)

    counting.tally_count()
    counting.tally_count()

    assert tally(petition).confirmed == 2


def test_a_run_that_does_not_get_the_lock_counts_nothing():
    petition = PetitionFactory()
    SignatureFactory(petition=petition, confirmed=True)
    with _lock_held_elsewhere():
        assert counting.tally_count() == 0
        assert tally(petition).confirmed == 0
    assert counting.tally_count() == 1


@contextmanager
def _lock_held_elsewhere():
    """Another run holds the counter lock: an advisory lock on PostgreSQL, the cache lock elsewhere."""
    if connection.vendor != "postgresql":
        cache.add(counting.CACHE_LOCK, 1)
        yield
        cache.delete(counting.CACHE_LOCK)
        return
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [counting.LOCK_KEY])
        yield
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [counting.LOCK_KEY])
    finally:
        other.close()


def test_counter_works_in_batches():
    petition = PetitionFactory()
    SignatureFactory.create_batch(5, petition=petition, confirmed=True)

    assert counting.tally_count(batch_size=2) == 5
    assert tally(petition).confirmed == 5


def test_counter_query_count_does_not_grow_with_rows(django_assert_num_queries):
    petition = PetitionFactory()
    SignatureFactory.create_batch(10, petition=petition, confirmed=True)
    # Savepoint, dirty rows, tally read and write, rows marked, tallies and thresholds read, release
    # (and the advisory lock on PostgreSQL): the same at 10 and 20 rows.
    expected = 8 + (connection.vendor == "postgresql")
    with django_assert_num_queries(expected):
        counting.tally_count()
    SignatureFactory.create_batch(20, petition=petition, confirmed=True)
    with django_assert_num_queries(expected):
        counting.tally_count()
    assert tally(petition).confirmed == 30


def test_crossing_a_threshold_notifies_staff_and_opted_in_signers_once(django_capture_on_commit_callbacks, mailoutbox):
    moderator = UserFactory(email="agent@operator.example")
    moderator.groups.add(Group.objects.get(name="agent"))
    UserFactory(email="nobody@operator.example")  # no permission: not told
    petition = PetitionFactory()
    threshold = ThresholdFactory(petition=petition, count=2)
    SignatureFactory(petition=petition, confirmed=True, wants_updates=True, email="fan@atelier.example", language="de")
    SignatureFactory(petition=petition, confirmed=True, wants_updates=False)

    with django_capture_on_commit_callbacks(execute=True):
        counting.tally_count()
    threshold.refresh_from_db()
    assert threshold.reached_at is not None
    assert sorted(m.to[0] for m in mailoutbox) == ["agent@operator.example", "fan@atelier.example"]

    # Falls below (invalidation), then crosses again: no second notification.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.signatures_invalidate(petition=petition, reason="Bot", email_domain="atelier.example")
    threshold.refresh_from_db()
    assert threshold.reached_at is None
    with django_capture_on_commit_callbacks(execute=True):
        SignatureFactory(petition=petition, confirmed=True)
        counting.tally_count()
    threshold.refresh_from_db()
    assert threshold.reached_at is not None
    assert mailoutbox == []


def test_bulk_invalidation_by_ip_hash_and_time_window_is_recorded_and_counted(django_capture_on_commit_callbacks):
    petition = PetitionFactory()
    now = timezone.now()
    bad = SignatureFactory.create_batch(3, petition=petition, confirmed=True, ip_hash="f00")
    early = SignatureFactory(petition=petition, confirmed=True, ip_hash="f00")
    good = SignatureFactory(petition=petition, confirmed=True, ip_hash="ba5")
    Signature.objects.filter(pk=early.pk).update(created_at=now - dt.timedelta(hours=5))
    counting.tally_count()
    staff = StaffFactory()

    with django_capture_on_commit_callbacks(execute=True):
        record = services.signatures_invalidate(petition=petition, reason="Bot burst", ip_hash="f00",
                                                since=now - dt.timedelta(hours=1), by=staff)  # fmt: skip

    assert (record.affected, record.reason, record.created_by) == (3, "Bot burst", staff)
    assert set(Signature.objects.filter(invalidated_at__isnull=False).values_list("pk", flat=True)) == {
        s.pk for s in bad
    }
    assert tally(petition).confirmed == 2
    assert SignatureInvalidation.objects.count() == 1
    assert good.pk in Signature.objects.filter(invalidated_at__isnull=True).values_list("pk", flat=True)


def test_invalidation_needs_a_reason_and_a_criterion():
    petition = PetitionFactory()
    SignatureFactory(petition=petition, confirmed=True)

    with pytest.raises(Exception, match="reason"):
        services.signatures_invalidate(petition=petition, reason=" ", ip_hash="x")
    with pytest.raises(Exception, match="criterion"):
        services.signatures_invalidate(petition=petition, reason="Bots")
    assert SignatureInvalidation.objects.count() == 0
    assert Signature.objects.filter(invalidated_at__isnull=False).count() == 0


def test_reconciliation_repairs_a_wrong_tally():
    petition = PetitionFactory()
    SignatureFactory.create_batch(3, petition=petition, confirmed=True)
    counting.tally_count()
    PetitionTally.objects.filter(petition=petition).update(confirmed=99, losses={})

    assert counting.tally_reconcile() == {petition.pk: -96}

    row = tally(petition)
    assert (row.confirmed, row.losses) == (3, {"EUR": "300.00"})
    assert counting.tally_reconcile() == {}


def test_answer_notifies_every_confirmed_signer_once_in_their_language(django_capture_on_commit_callbacks, mailoutbox):
    petition = PetitionFactory(title="SFR mail")
    SignatureFactory(petition=petition, confirmed=True, language="fr", email="fr@a.example")
    SignatureFactory(petition=petition, confirmed=True, language="de", email="de@b.example")
    SignatureFactory(petition=petition, email="unconfirmed@c.example")
    SignatureFactory(petition=petition, confirmed=True, withdrawn_at=timezone.now(), email="gone@d.example")
    manager = StaffFactory(role="manager")

    with django_capture_on_commit_callbacks(execute=True):
        services.petition_answer(petition=petition, answer="Each business gets one month free.", by=manager)

    petition.refresh_from_db()
    assert (petition.status, petition.answered_by) == (Petition.Status.ANSWERED, manager)
    by_to = {m.to[0]: m for m in mailoutbox}
    assert sorted(by_to) == ["de@b.example", "fr@a.example"]
    assert (
        by_to["fr@a.example"].subject == "The operator answered: SFR mail"
        or "SFR mail" in by_to["fr@a.example"].subject
    )
    assert "Each business gets one month free." in by_to["de@b.example"].body

    from petitions.emails import answer_notify

    assert answer_notify(petition_id=petition.pk) == 0
    assert len(mailoutbox) == 2


def test_moderation_transitions():
    petition = PetitionFactory(status=Petition.Status.PENDING, opens_at=None)

    with pytest.raises(services.TransitionError):
        services.petition_transition(petition=petition, to=Petition.Status.REJECTED)
    with pytest.raises(services.TransitionError):
        services.petition_transition(petition=petition, to=Petition.Status.CLOSED)
    petition.refresh_from_db()
    assert petition.status == Petition.Status.PENDING

    services.petition_transition(petition=petition, to=Petition.Status.OPEN)
    petition.refresh_from_db()
    assert petition.status == Petition.Status.OPEN
    assert petition.opens_at is not None


def test_rejection_keeps_the_reason():
    petition = PetitionFactory(status=Petition.Status.PENDING)

    services.petition_transition(petition=petition, to=Petition.Status.REJECTED, reason="Duplicate of another")

    petition.refresh_from_db()
    assert (petition.status, petition.rejection_reason) == (Petition.Status.REJECTED, "Duplicate of another")


def test_business_proposal_waits_for_moderation_staff_draft_does_not():
    from tests.factories import BusinessFactory

    from .factories import IncidentFactory

    incident = IncidentFactory()
    proposed = services.petition_create(title="Compensation", text="Text", incidents=[incident],
                                        proposed_by=BusinessFactory(), thresholds=[(100, "Answer", 14)])  # fmt: skip
    drafted = services.petition_create(title="Compensation", text="Text", incidents=[incident])

    assert (proposed.status, drafted.status) == (Petition.Status.PENDING, Petition.Status.DRAFT)
    assert (proposed.slug, drafted.slug) == ("compensation-petition", "compensation-petition-2")
    assert list(PetitionThreshold.objects.filter(petition=proposed).values_list("count", "label")) == [(100, "Answer")]
    assert PetitionTally.objects.filter(petition=proposed).exists()


def test_moderation_answer_and_invalidation_check_the_actors_role():
    petition = PetitionFactory(status=Petition.Status.DRAFT, answer="")
    agent = StaffFactory()

    with pytest.raises(PermissionDenied):
        services.petition_transition(petition=petition, to=Petition.Status.OPEN, by=UserFactory(is_staff=True))
    with pytest.raises(PermissionDenied):
        services.petition_answer(petition=petition, answer="No.", by=agent)  # answering is for managers
    with pytest.raises(PermissionDenied):
        services.signatures_invalidate(petition=petition, reason="Spam", email_domain="x.example", by=UserFactory())
    petition.refresh_from_db()
    assert (petition.status, petition.answer) == (Petition.Status.DRAFT, "")
    assert services.petition_transition(petition=petition, to=Petition.Status.OPEN, by=agent).status == "open"


@pytest.mark.django_db(transaction=True)
def test_moderation_holds_its_row_lock_in_its_own_transaction():
    # Outside a test's wrapping transaction: select_for_update needs the service's own.
    petition = PetitionFactory(status=Petition.Status.PENDING)

    assert services.petition_transition(petition=petition, to=Petition.Status.OPEN).status == "open"
