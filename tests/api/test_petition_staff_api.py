"""Petitions by API, the staff and business side: propose, moderate, answer, close, invalidate, export."""

import csv
import datetime as dt
import io
from decimal import Decimal

from django.utils import timezone

from petitions import counting
from petitions.models import CompensationDecision, Petition, Signature, SignatureInvalidation
from tests.factories import IncidentFactory

from .scenario import build


def post(world, role, url, body=None):
    return world.client(role).post(url, body, format="json")


def test_a_business_proposes_a_petition_that_waits_for_moderation(world):
    built = build(world)

    response = post(
        world,
        "contact_b",
        "/api/petitions/propose/",
        {"incident": built.incident.pk, "title": "Our claim", "text": "Two days without phone.", "demand": "A credit"},
    )

    assert response.status_code == 201, response.content
    petition = Petition.objects.get(slug=response.json()["slug"])
    assert (petition.status, petition.proposed_by, petition.created_by) == (
        "pending",
        world.business_b,
        world.contact_b.user,
    )
    assert list(petition.incidents.all()) == [built.incident]
    public = world.client("anonymous").get("/api/petitions/").json()["results"]
    assert petition.slug not in [p["slug"] for p in public]
    assert world.client("anonymous").get(f"/api/petitions/{petition.slug}/").status_code == 404
    pending = world.client("agent").get("/api/petitions/?status=pending").json()["results"]
    assert {p["slug"] for p in pending} == {petition.slug, built.proposed_petition.slug}
    staff_detail = world.client("agent").get(f"/api/petitions/{petition.slug}/").json()
    assert (staff_detail["status"], staff_detail["proposed_by"]) == ("pending", "CU-B")
    own_view = world.client("contact_b").get(f"/api/petitions/{petition.slug}/")
    assert own_view.status_code == 404  # not public until approved


def test_proposing_about_an_outage_that_did_not_hit_the_business_changes_nothing(world):
    build(world)
    elsewhere = IncidentFactory()  # no service or region of business A
    before = Petition.objects.count()

    response = post(
        world, "contact_a", "/api/petitions/propose/", {"incident": elsewhere.pk, "title": "Claim", "text": "Text"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"incident": ["Choose an outage that hit your business."]}
    assert Petition.objects.count() == before


def test_approve_opens_a_proposed_petition_and_only_once(world):
    built = build(world)
    url = f"/api/petitions/{built.proposed_petition.slug}/approve/"

    approved = post(world, "agent", url)
    again = post(world, "agent", url)

    assert approved.status_code == 200
    assert approved.json()["status"] == "open"
    assert again.status_code == 400
    assert again.json()["error"]["message"] == "A petition cannot go from Open to Open."
    assert world.client("anonymous").get(f"/api/petitions/{built.proposed_petition.slug}/").status_code == 200


def test_reject_needs_a_reason(world):
    built = build(world)
    url = f"/api/petitions/{built.proposed_petition.slug}/reject/"

    blank = post(world, "agent", url, {"reason": "   "})
    missing = post(world, "agent", url, {})
    built.proposed_petition.refresh_from_db()
    status_after_refusals = built.proposed_petition.status
    rejected = post(world, "agent", url, {"reason": "Already covered by another petition."})

    assert (blank.status_code, missing.status_code) == (400, 400)
    assert status_after_refusals == "pending"
    assert rejected.status_code == 200
    assert (rejected.json()["proposed_by"], rejected.json()["rejection_reason"]) == (
        "CU-A",
        "Already covered by another petition.",
    )
    built.proposed_petition.refresh_from_db()
    assert (built.proposed_petition.status, built.proposed_petition.rejection_reason) == (
        "rejected",
        "Already covered by another petition.",
    )


def test_close_then_answer_tells_the_signers(world, django_capture_on_commit_callbacks):
    built = build(world)
    slug = built.petition.slug

    closed = post(world, "agent", f"/api/petitions/{slug}/close/")
    by_agent = post(world, "agent", f"/api/petitions/{slug}/answer/", {"answer": "A credit for everyone."})
    with django_capture_on_commit_callbacks() as callbacks:
        answered = post(world, "manager", f"/api/petitions/{slug}/answer/", {"answer": "A credit for everyone."})

    assert closed.json()["status"] == "closed"
    assert by_agent.status_code == 403
    assert answered.status_code == 200
    assert (answered.json()["status"], answered.json()["answer"]) == ("answered", "A credit for everyone.")
    built.petition.refresh_from_db()
    assert built.petition.answered_by == world.manager
    assert len(callbacks) >= 1  # notify_answer enqueued once the answer is committed


def test_an_empty_answer_changes_nothing(world):
    built = build(world)

    response = post(world, "manager", f"/api/petitions/{built.petition.slug}/answer/", {"answer": ""})

    assert response.status_code == 400
    built.petition.refresh_from_db()
    assert (built.petition.status, built.petition.answer) == ("open", "")


def _confirmed_signature(petition, email, **fields):
    return Signature.objects.create(
        petition=petition,
        name=email,
        email=email,
        email_canonical=email,
        email_domain=email.split("@")[1],
        confirmed_at=timezone.now(),
        dirty=True,  # as signature_confirm leaves it: the counter picks it up
        **fields,
    )


def test_bulk_invalidation_by_domain_returns_the_count_and_the_tally_follows(world):
    built = build(world)
    Signature.objects.all().delete()
    for i in range(3):
        _confirmed_signature(built.petition, f"bot{i}@spam.example")
    _confirmed_signature(built.petition, "claire@alpha.example")
    counting.tally_count()
    built.petition.tally.refresh_from_db()
    assert built.petition.tally.confirmed == 4

    response = post(
        world,
        "agent",
        f"/api/petitions/{built.petition.slug}/invalidate-signatures/",
        {"reason": "Burst from one domain.", "email_domain": "spam.example"},
    )

    assert response.status_code == 201, response.content
    assert response.json()["affected"] == 3
    record = SignatureInvalidation.objects.get()
    assert (record.reason, record.created_by, record.affected) == ("Burst from one domain.", world.agent, 3)
    assert Signature.objects.filter(invalidated_at__isnull=True).get().email == "claire@alpha.example"
    counting.tally_count()
    built.petition.tally.refresh_from_db()
    assert built.petition.tally.confirmed == 1


def test_bulk_invalidation_by_time_window_and_ip_hash(world):
    built = build(world)
    Signature.objects.all().delete()
    now = timezone.now()
    early = _confirmed_signature(built.petition, "a@one.example", ip_hash="h1")
    late = _confirmed_signature(built.petition, "b@two.example", ip_hash="h1")
    other_ip = _confirmed_signature(built.petition, "c@three.example", ip_hash="h2")
    Signature.objects.filter(pk=early.pk).update(created_at=now - dt.timedelta(hours=5))
    url = f"/api/petitions/{built.petition.slug}/invalidate-signatures/"

    response = post(
        world,
        "agent",
        url,
        {"reason": "Same address, last hour.", "ip_hash": "h1", "since": (now - dt.timedelta(hours=1)).isoformat()},
    )

    assert response.json()["affected"] == 1
    invalidated = set(Signature.objects.filter(invalidated_at__isnull=False).values_list("pk", flat=True))
    assert invalidated == {late.pk}
    assert other_ip.pk not in invalidated


def test_bulk_invalidation_without_reason_or_criterion_changes_nothing(world):
    built = build(world)
    url = f"/api/petitions/{built.petition.slug}/invalidate-signatures/"

    no_criterion = post(world, "agent", url, {"reason": "Spam"})
    no_reason = post(world, "agent", url, {"email_domain": "alpha.example"})
    now = timezone.now()
    bad_window = post(
        world,
        "agent",
        url,
        {"reason": "Spam", "since": now.isoformat(), "until": (now - dt.timedelta(hours=1)).isoformat()},
    )

    assert (no_criterion.status_code, no_reason.status_code, bad_window.status_code) == (400, 400, 400)
    assert no_reason.json()["error"]["details"] == {"reason": ["This field is required."]}
    assert SignatureInvalidation.objects.count() == 0
    assert Signature.objects.filter(invalidated_at__isnull=False).count() == 0


def test_billing_export_lists_accepted_credits_once_marked(world):
    built = build(world)
    accepted = built.decision_offered
    CompensationDecision.objects.filter(pk=accepted.pk).update(status="accepted", answered_at=timezone.now())

    by_agent = post(world, "agent", "/api/compensation-decisions/export/")
    response = post(world, "manager", f"/api/compensation-decisions/export/?incident={built.incident.pk}")

    assert by_agent.status_code == 403
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["decision", "incident", "customer_number", "company", "currency", "amount", "accepted_at"]
    assert [(r[0], r[2], r[5]) for r in rows[1:]] == [(str(accepted.pk), "CU-A", "40.00")]
    exported = dict(CompensationDecision.objects.values_list("pk", "exported_at"))
    assert exported[accepted.pk] is not None
    assert [pk for pk, at in exported.items() if at is not None] == [accepted.pk]


def test_the_maker_cannot_approve_their_own_offer_over_the_limit(world, settings):
    settings.PETITIONS_COMPENSATION_APPROVAL_LIMIT = "100"
    built = build(world)
    decision = built.decision_proposed
    CompensationDecision.objects.filter(pk=decision.pk).update(proposed_amount=Decimal("400.00"))

    offered = post(world, "manager", f"/api/compensation-decisions/{decision.pk}/offer/", {})
    own = post(world, "manager", f"/api/compensation-decisions/{decision.pk}/approve/")

    assert offered.json()["status"] == "awaiting"
    assert own.status_code == 403
    decision.refresh_from_db()
    assert (decision.status, decision.approved_by) == ("awaiting", None)


def test_a_manager_computes_the_proposals_of_an_incident(world):
    from petitions.models import CompensationRule

    build(world)
    started = timezone.now() - dt.timedelta(hours=5)
    incident = IncidentFactory(
        services=[world.service], regions=[world.region], started_at=started, declared_at=started
    )
    CompensationRule.objects.create(
        incident=incident,
        name="Flat credit",
        params={"fixed_credit": "50.00"},
        effective_from=started - dt.timedelta(days=1),
    )
    url = "/api/compensation-decisions/propose/"

    by_agent = post(world, "agent", url, {"incident": incident.pk})
    unknown = post(world, "manager", url, {"incident": 2**40})
    response = post(world, "manager", url, {"incident": incident.pk})

    assert (by_agent.status_code, unknown.status_code, response.status_code) == (403, 404, 200)
    written = CompensationDecision.objects.filter(incident=incident, status="proposed")
    assert response.json() == {"proposals": written.count()} != {"proposals": 0}
    assert set(written.values_list("proposed_amount", flat=True)) == {Decimal("50.00")}
